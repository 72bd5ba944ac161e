"""Benchmark: a finance reviewer's inbox and the declaration list with many declarations.

Prints figures (time and SQL queries per page) instead of asserting them, so it never flakes:

    .venv/bin/python -m tests.benchmarks.inbox [N]        # default N=200, SQLite in /tmp

Set DATABASE_URL to run it on PostgreSQL (it creates and drops its own test database).
"""

import copy
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def build(n: int) -> None:
    """n declarations of the 南岳 unit submitted and approved up to the finance section."""
    from django.contrib.auth import get_user_model

    from declarations.seeds import NANYUE_GRID
    from demo.data import load_demo
    from organisations.models import Organisation
    from review import drafts as services
    from review import services as review
    from review.models import ReviewTask

    load_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    unit = Organisation.objects.get(jurisdiction__code="nanyue", kind="unit")
    for i in range(n):
        declaration = services.declaration_create(
            actor=users["ny_preparer"], unit=unit, fiscal_year=2027, kind="special_fund"
        )
        content = copy.deepcopy(NANYUE_GRID)
        content.fields["name"] = f"基准测试申报表 {i:04d}"
        services.declaration_save(
            actor=users["ny_preparer"], declaration_id=declaration.pk, content=content
        )
        review.declaration_submit(actor=users["ny_preparer"], declaration_id=declaration.pk)
        for reviewer in ("ny_head", "ny_dept"):
            task = ReviewTask.objects.get(declaration=declaration, status__in=["NEW", "ASSIGNED"])
            review.task_approve(actor=users[reviewer], task_id=task.pk)


def measure(client, url: str, repeat: int = 5) -> tuple[float, int, int]:
    client.get(url)  # warm up
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
    assert response.status_code == 200, (url, response.status_code)
    return sorted(timings)[len(timings) // 2], len(queries), len(response.content)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    runner = DiscoverRunner(verbosity=0)
    old = runner.setup_databases()
    try:
        from django.test import Client
        from django.test.utils import setup_test_environment

        setup_test_environment()
        start = time.perf_counter()
        build(n)
        print(f"built {n} declarations in review: {time.perf_counter() - start:.1f}s")
        client = Client()
        client.login(username="ny_finance", password="Demo@2026")
        from django.contrib.auth import get_user_model

        from organisations.tokens import api_token_create

        finance = get_user_model().objects.get(username="ny_finance")
        api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=finance)}")
        print(f"{'page':<40} {'median ms':>10} {'queries':>8} {'bytes':>9}")
        for label, who, url in [
            ("inbox page (/tasks/)", client, "/tasks/"),
            ("declaration list (/declarations/)", client, "/declarations/"),
            ("API inbox (/api/tasks/)", api, "/api/tasks/"),
            ("API declarations (/api/declarations/)", api, "/api/declarations/"),
        ]:
            median, queries, size = measure(who, url)
            print(f"{label:<40} {median * 1000:>10.1f} {queries:>8} {size:>9}")
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
