"""Benchmark: the declaration list (page and API, first and deep pages, search) and the audit
log (page and API) on whatever database DATABASE_URL names, e.g. the one that
tests.benchmarks.sweep or tests.benchmarks.approvals filled:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/i13b_bench \\
        .venv/bin/python -m tests.benchmarks.lists [DEPTH]      # cursor pages followed, 40

Prints the median and p95 milliseconds and the SQL statements of each, measured in-process with
Django's test client as the demo's ny_preparer and auditor.
"""

import html
import os
import re
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "False")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from tests.review.helpers import PASSWORD  # noqa: E402

NEXT_LINK = re.compile(r'href="(\?[^"]*cursor=[^"]*)">下一页<')


def measure(client: Client, url: str, repeat: int = 7) -> tuple[float, float, int]:
    client.get(url)  # warm up
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[round(0.95 * (len(timings) - 1))], len(queries)


def main() -> None:
    depth = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    preparer, auditor = Client(), Client()
    assert preparer.login(username="ny_preparer", password=PASSWORD)
    assert auditor.login(username="auditor", password=PASSWORD)
    page = preparer.get("/api/declarations/").json()
    for _ in range(depth):
        if not page["next"]:
            break
        page = preparer.get(page["next"]).json()
    deep = page["next"] or "/api/declarations/"
    deep_page = "/declarations/"
    for _ in range(depth):
        found = NEXT_LINK.search(preparer.get(deep_page).content.decode())
        if not found:
            break
        deep_page = "/declarations/" + html.unescape(found.group(1))
    print(f"{'list':<44} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, client, url in [
        ("API declarations, first page", preparer, "/api/declarations/"),
        (f"API declarations, cursor page {depth + 1}", preparer, deep),
        ("API declarations, ?page=100", preparer, "/api/declarations/?page=100"),
        ("API declarations, ?search=网格化", preparer, "/api/declarations/?search=网格化"),
        ("page /declarations/", preparer, "/declarations/"),
        (f"page /declarations/, cursor page {depth + 1}", preparer, deep_page),
        ("page /declarations/?page=200", preparer, "/declarations/?page=200"),
        ("page /declarations/?q=网格化", preparer, "/declarations/?q=网格化"),
        ("page /audit/", auditor, "/audit/"),
        ("API /api/audit/events/", auditor, "/api/audit/events/"),
    ]:
        median, p95, queries = measure(client, url)
        print(f"{label:<44} {median:>10.1f} {p95:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
