"""Benchmark: any pages, as one person, on an existing database (a `bench` data set's copy).

Prints figures instead of asserting them:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_full \\
        .venv/bin/python -m tests.benchmarks.pages ny_finance /declarations/ /api/declarations/

Each URL is asked for once to warm up and then RUNS times (default 15; `BENCH_RUNS`), signed in
as the given user; it prints the status, the median and p95 in ms and the SQL statements of one
request. It only reads: the database is left as it was.
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "False")  # no query log slowing every statement

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.measure import time_get  # noqa: E402


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: python -m tests.benchmarks.pages USERNAME URL [URL…]")
    username, urls = sys.argv[1], sys.argv[2:]
    runs = int(os.environ.get("BENCH_RUNS", "15"))
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    with override_settings(ALLOWED_HOSTS=["*"]):
        for url in urls:
            figure = time_get(client, url, runs)
            print(
                f"{url:50} {figure['status']} median {figure['median_ms']:6.1f} "
                f"p95 {figure['p95_ms']:6.1f} ms, {figure['queries']} statements"
            )


if __name__ == "__main__":
    main()
