"""Benchmark: a busy reviewer's inbox (待办 and 已办, page and API, first and last page) with
10, 1,000 and 10,000 tasks: median time and SQL queries per page, and on PostgreSQL the
EXPLAIN (ANALYZE, BUFFERS) of the inbox's page query at the largest size.

Prints figures instead of asserting them, so it never flakes:

    .venv/bin/python -m tests.benchmarks.busy_inbox [SIZES]    # default 10,1000,10000; SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \
        .venv/bin/python -m tests.benchmarks.busy_inbox

It creates and drops its own test database. The tasks are copies of one task the services made
(tests.review.bulk): as many open tasks held by the unit head as tasks they have decided.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from demo.data import load_demo  # noqa: E402
from organisations.tokens import api_token_create  # noqa: E402
from review import selectors, services  # noqa: E402
from review.filters import TaskFilter  # noqa: E402
from tests.review.bulk import copy_task  # noqa: E402
from tests.review.helpers import NY_GRID, NY_MOVE, open_task, seed, submit, user  # noqa: E402

REVIEWER = "ny_head"


SLOWEST: list[tuple[float, str]] = []


def measure(client, url: str, repeat: int = 7) -> tuple[float, int]:
    client.get(url)  # warm up
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
    assert response.status_code == 200, (url, response.status_code)
    SLOWEST.extend((float(q["time"]), q["sql"][:300]) for q in queries.captured_queries)
    return sorted(timings)[len(timings) // 2], len(queries)


def grow(task, done_task, total: int, have: int) -> None:
    """Bring the reviewer's open tasks and done tasks each up to `total`."""
    if total > have:
        copy_task(task, total - have)
        copy_task(done_task, total - have, prefix="已办申报表")


def last_cursor(user, view: str, sort: str, descending: bool) -> str:
    """The cursor of the last page, found by walking the pages through the selector."""
    queryset = TaskFilter({}, queryset=selectors.tasks_for(user, view=view)).qs
    cursor, previous = "", ""
    while True:
        page = selectors.keyset_page(
            queryset, sort=sort, descending=descending, cursor=cursor, size=50
        )
        if not page.next_cursor:
            return previous
        previous = cursor = page.next_cursor


def api_last_page(api, url: str) -> str:
    """The API's last page, reached as a client does: following `next` (cursors)."""
    while True:
        following = api.get(url).json()["next"]
        if not following:
            return url
        url = following


def explain(user, view: str, sort: str, descending: bool) -> str:
    """The plan of the page's own query: the first page's ids, as keyset_page asks for them
    (review.selectors.page_rows then reads those rows by id)."""
    tasks = selectors.inbox_rows(selectors.tasks_for(user, view=view))
    order = selectors.keyset_order(sort, ascending=not descending)
    ids = tasks.order_by(*order).values_list("pk", flat=True)[:51]
    return ids.explain(analyze=True, buffers=True)


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "10,1000,10000").split(",")]
    runner = DiscoverRunner(verbosity=0)
    old = runner.setup_databases()
    try:
        setup_test_environment()
        load_demo()
        task = open_task(submit(seed(NY_MOVE)))
        done_declaration = submit(seed(NY_GRID))
        done_task = services.task_approve(
            actor=user(REVIEWER), task_id=open_task(done_declaration).pk, opinion="同意"
        )
        reviewer = get_user_model().objects.get(username=REVIEWER)
        client = Client()
        client.login(username=REVIEWER, password="Demo@2026")
        api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=reviewer)}")
        print(f"database: {connection.vendor}")
        print(f"{'tasks':>6} {'page':<34} {'median ms':>10} {'queries':>8}")
        have = 1
        for size in sizes:
            grow(task, done_task, size, have)
            have = size
            if connection.vendor == "postgresql":  # as autovacuum would after a bulk load
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            last_open = last_cursor(reviewer, "open", "due_at", False)
            last_done = last_cursor(reviewer, "done", "finished_at", True)
            pages = max(1, -(-size // 50))
            SLOWEST.clear()
            for label, who, url in [
                ("待办 first page", client, "/tasks/"),
                ("待办 last page", client, f"/tasks/?cursor={last_open}"),
                ("已办 first page", client, "/tasks/?view=done"),
                ("已办 last page", client, f"/tasks/?view=done&cursor={last_done}"),
                ("API open first page", api, "/api/tasks/"),
                ("API open last page, ?page=N", api, f"/api/tasks/?page={pages}"),
                ("API open last page, by next", api, api_last_page(api, "/api/tasks/")),
                ("API done first page", api, "/api/tasks/?status=done"),
                ("API done last page, by next", api, api_last_page(api, "/api/tasks/?status=done")),
            ]:
                median, queries = measure(who, url)
                print(f"{size:>6} {label:<34} {median * 1000:>10.1f} {queries:>8}")
        print("\nslowest queries of the last size's last run (s, SQL):")
        for seconds, sql in sorted(SLOWEST, reverse=True)[:3]:
            print(f"{seconds:.3f} {sql}")
        if connection.vendor == "postgresql":
            print("\nEXPLAIN (ANALYZE, BUFFERS) of the 待办 page query:")
            print(explain(reviewer, "open", "due_at", False))
            print("\nEXPLAIN (ANALYZE, BUFFERS) of the 已办 page query:")
            print(explain(reviewer, "done", "finished_at", True))
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
