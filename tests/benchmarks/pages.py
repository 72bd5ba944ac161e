"""Benchmark: any pages, as one person, on an existing database (a `bench` data set's copy).

Prints figures instead of asserting them:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_full \\
        .venv/bin/python -m tests.benchmarks.pages ny_finance /declarations/ /api/declarations/

Each URL is asked for once to warm up and then RUNS times (default 15; `BENCH_RUNS`), signed in
as the given user; it prints the status, the median and p95 in ms and the SQL statements of one
request. It only reads: the database is left as it was.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "False")  # no query log slowing every statement

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402


def time_page(client: Client, url: str, runs: int) -> str:
    response = client.get(url)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return (
        f"{url:50} {response.status_code} median {statistics.median(timings):6.1f} "
        f"p95 {p95:6.1f} ms, {len(queries)} statements"
    )


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: python -m tests.benchmarks.pages USERNAME URL [URL…]")
    username, urls = sys.argv[1], sys.argv[2:]
    runs = int(os.environ.get("BENCH_RUNS", "15"))
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    with override_settings(ALLOWED_HOSTS=["*"]):
        for url in urls:
            print(time_page(client, url, runs))


if __name__ == "__main__":
    main()
