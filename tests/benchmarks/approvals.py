"""Benchmark: approvals per second through the service layer, beside pgbench on the same server.

Prints figures instead of asserting them. Needs PostgreSQL and a scratch database of its own,
which it empties, migrates and fills (N declarations of 南岳区 submitted into review):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/i13b_bench \\
        .venv/bin/python -m tests.benchmarks.approvals [N]        # default N=200

It prints the SQL statements of one approval, then approvals/s with 1 and with 2 processes
(each approving its own declarations, so they never wait for one another), then pgbench
tpcb-like TPS with the same number of clients on a database of its own (`<name>_pgbench`).
Set CELERY_BROKER_URL (e-mails are then handed to the broker, as in production, instead of
being sent in-process), BENCH_PRINT_SQL=1 to print the approval's statements and
BENCH_PROFILE=1 for a cProfile of each approving process.
"""

import copy
import cProfile
import multiprocessing
import os
import pstats
import re
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "False")  # no query log slowing every statement

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from declarations.seeds import NANYUE_GRID  # noqa: E402
from demo.data import load_demo  # noqa: E402
from organisations.models import Organisation  # noqa: E402
from review import drafts, services  # noqa: E402
from review.models import OPEN_STATUSES, ReviewTask  # noqa: E402

REVIEWERS = {"unit_head": "ny_head", "department": "ny_dept", "finance": "ny_finance"}


def reset_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    load_demo()


def build(n: int) -> list[int]:
    """n declarations of the 南岳 unit, submitted: each waits at the unit head."""
    users = {u.username: u for u in get_user_model().objects.all()}
    unit = Organisation.objects.get(jurisdiction__code="nanyue", kind="unit")
    ids = []
    for i in range(n):
        declaration = drafts.declaration_create(
            actor=users["ny_preparer"], unit=unit, fiscal_year=2027, kind="special_fund"
        )
        content = copy.deepcopy(NANYUE_GRID)
        content.fields["name"] = f"基准测试申报表 {i:04d}"
        drafts.declaration_save(
            actor=users["ny_preparer"], declaration_id=declaration.pk, content=content
        )
        services.declaration_submit(actor=users["ny_preparer"], declaration_id=declaration.pk)
        ids.append(declaration.pk)
    return ids


def open_task_ids(declaration_ids: list[int], stage: str) -> list[int]:
    return list(
        ReviewTask.objects.filter(
            declaration_id__in=declaration_ids, stage=stage, status__in=OPEN_STATUSES
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def approve_all(task_ids: list[int], username: str) -> None:
    connections.close_all()  # a forked process opens its own connection
    actor = get_user_model().objects.get(username=username)
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    if profile:
        profile.enable()
    for task_id in task_ids:
        services.task_approve(actor=actor, task_id=task_id)
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    connections.close_all()


def approvals_per_second(task_ids: list[int], username: str, processes: int) -> float:
    connections.close_all()
    shares = [task_ids[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=approve_all, args=(s, username)) for s in shares]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
    return len(task_ids) / elapsed


def one_approval_statements(task_id: int, username: str) -> list[str]:
    actor = get_user_model().objects.get(username=username)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        services.task_approve(actor=actor, task_id=task_id)
    return [q["sql"] for q in queries.captured_queries]


def summarise(statements: list[str]) -> str:
    """How many statements, and of those how many read each table."""
    reads: dict[str, int] = {}
    for sql in statements:
        if sql.startswith("SELECT"):
            table = re.search(r'FROM "([^"]+)"', sql)
            name = table.group(1) if table else "?"
            reads[name] = reads.get(name, 0) + 1
    kinds: dict[str, int] = {}
    for sql in statements:
        kind = sql.split(None, 1)[0].upper()
        kinds[kind] = kinds.get(kind, 0) + 1
    listed = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    by_table = ", ".join(f"{k} {v}" for k, v in sorted(reads.items(), key=lambda kv: -kv[1]))
    return f"{len(statements)} statements ({listed}); reads: {by_table}"


def pgbench_tps(clients: int, seconds: int = 10) -> float:
    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_pgbench"
    args = ["-h", database.get("HOST") or "127.0.0.1", "-U", database.get("USER") or "postgres"]
    subprocess.run(["dropdb", *args, "--if-exists", name], check=True)
    subprocess.run(["createdb", *args, name], check=True)
    subprocess.run(
        ["pgbench", *args, "-i", "-q", "-s", "10", name], check=True, capture_output=True
    )
    run = subprocess.run(
        ["pgbench", *args, "-c", str(clients), "-j", str(clients), "-T", str(seconds), name],
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run(["dropdb", *args, name], check=True)
    match = re.search(r"tps = ([\d.]+)", run.stdout)
    assert match, run.stdout
    return float(match.group(1))


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (it is emptied).")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    reset_database()
    start = time.perf_counter()
    ids = build(n + 1)
    print(f"built {n + 1} submitted declarations: {time.perf_counter() - start:.1f}s")
    probe, ids = ids[0], ids[1:]
    statements = one_approval_statements(open_task_ids([probe], "unit_head")[0], "ny_head")
    print("one approval:", summarise(statements))
    if os.environ.get("BENCH_PRINT_SQL"):
        print("\n".join(statements))
    one = approvals_per_second(open_task_ids(ids, "unit_head"), "ny_head", 1)
    two = approvals_per_second(open_task_ids(ids, "department"), "ny_dept", 2)
    tps_one, tps_two = pgbench_tps(1), pgbench_tps(2)
    print(f"{'processes':<10} {'approvals/s':>12} {'pgbench TPS':>12} {'ratio':>7}")
    print(f"{1:<10} {one:>12.1f} {tps_one:>12.1f} {one / tps_one:>7.3f}")
    print(f"{2:<10} {two:>12.1f} {tps_two:>12.1f} {two / tps_two:>7.3f}")


if __name__ == "__main__":
    main()
