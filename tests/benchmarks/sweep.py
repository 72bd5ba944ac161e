"""Benchmark: the deadline sweep over a backlog of overdue tasks.

Prints figures instead of asserting them. Needs PostgreSQL and a scratch database of its own,
which it empties, migrates and fills in bulk (SQL copies of one submitted declaration, its
process and its unit-head task): N open tasks reminded and then overdue (their escalation to
administrators still ahead), and as many finished ones, as an outage would leave them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/i13b_bench \\
        .venv/bin/python -m tests.benchmarks.sweep [N]        # default N=100000

It prints the time and peak memory of one sweep run, what it sent, and that a second run sends
nothing; BENCH_EXPLAIN=1 adds the plan of one batch's claiming query, BENCH_PROFILE=1 a
cProfile of the first run, BENCH_STATEMENTS=1 the time the first run spent in each kind of SQL
statement (COPY and the raw cursors included, which Django's query log does not see).
"""

import cProfile
import os
import pstats
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "False")

import django
import psycopg

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from declarations.models import Declaration  # noqa: E402
from notifications import sweeps  # noqa: E402
from notifications.models import Delivery, Notification  # noqa: E402
from review import services  # noqa: E402
from review.models import ReviewTask  # noqa: E402
from tests.benchmarks.approvals import reset_database  # noqa: E402


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def _clone(table: str, key: str, template_id: int, count: int, overrides: dict[str, str]) -> None:
    """count copies of one row, `g` (1..count) numbering them in the override expressions."""
    columns = _columns(table)
    values = [overrides.get(c, f'"{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '  # noqa: S608
            f'FROM "{table}", generate_series(1, {count}) AS g WHERE "{key}" = {template_id}'
        )


def _next_id(table: str, key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX("{key}"), 0) FROM "{table}"')  # noqa: S608
        return cursor.fetchone()[0]


def _reset_sequences() -> None:
    with connection.cursor() as cursor:
        for table in ("approvals_declaration", "viewflow_process", "viewflow_task"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            cursor.execute(f"SELECT setval({sequence}, MAX(id)) FROM {table}")  # noqa: S608


def build(n: int, *, open_tasks: bool) -> None:
    """n copies of a submitted declaration with its unit-head task, open and long overdue, or
    finished long ago."""
    preparer = get_user_model().objects.get(username="ny_preparer")
    template = Declaration.objects.filter(reporting_unit__jurisdiction__code="nanyue").first()
    if template.status != "submitted":
        services.declaration_submit(actor=preparer, declaration_id=template.pk)
    task = ReviewTask.objects.filter(declaration=template, stage="unit_head").latest("pk")
    process_id = task.process_id
    base_d = _next_id("approvals_declaration", "id")
    base_p = _next_id("viewflow_process", "id")
    base_t = _next_id("viewflow_task", "id")
    past = "now() - interval '10 days'"
    with transaction.atomic():
        _clone("approvals_declaration", "id", template.pk, n, {"id": f"{base_d} + g"})
        _clone("viewflow_process", "id", process_id, n, {"id": f"{base_p} + g"})
        _clone(
            "approval_workflow_reviewprocess",
            "process_ptr_id",
            process_id,
            n,
            {"process_ptr_id": f"{base_p} + g", "declaration_id": f"{base_d} + g"},
        )
        status = "'ASSIGNED'" if open_tasks else "'DONE'"
        _clone(
            "viewflow_task",
            "id",
            task.pk,
            n,
            {"id": f"{base_t} + g", "process_id": f"{base_p} + g", "status": status},
        )
        _clone(
            "approval_workflow_reviewtask",
            "task_ptr_id",
            task.pk,
            n,
            {
                "task_ptr_id": f"{base_t} + g",
                "declaration_id": f"{base_d} + g",
                # Reminded before the outage, overdue since; administrators not yet due.
                "remind_at": past,
                "reminded_at": past,
                "due_at": past,
                "escalate_at": "now() + interval '10 days'",
                "outcome": "''" if open_tasks else "'approve'",
            },
        )
        # A real declaration's chain has a head from its creation on (audit.log); the copies
        # get one, empty, so that a batch finds its heads as it does in production.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO approval_workflow_chainhead (chain, seq, hash, updated_at) "
                "SELECT 'declaration:' || (%s + g), 0, '', now() "
                "FROM generate_series(1, %s) AS g",
                [base_d, n],
            )
        _reset_sequences()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def explain_claim() -> str:
    queryset = (
        ReviewTask.objects.reviews()
        .open()
        .filter(outcome="", due_at__lte=timezone.now(), overdue_at__isnull=True)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[: sweeps.BATCH]
    )
    return queryset.explain(analyze=True, buffers=True)


def _cpu_seconds() -> tuple[float, float | None]:
    """CPU time used so far by this process and by its PostgreSQL backend (read from /proc when
    the server runs on this machine, else None): on a shared machine wall-clock time also
    counts the waits for other processes, these figures do not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        backend = None
    return usage.ru_utime + usage.ru_stime, backend


@contextmanager
def timed_statements() -> Iterator[dict]:
    """Seconds and count per statement (its first 90 characters) of every psycopg execute and
    copy while inside."""
    stats: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def name(query) -> str:
        text = query.as_string(None) if hasattr(query, "as_string") else str(query)
        return " ".join(text.split())[:90]

    def timed(original):
        def execute(cursor, query, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(cursor, query, *args, **kwargs)
            finally:
                entry = stats[name(query)]
                entry[0] += 1
                entry[1] += time.perf_counter() - start

        return execute

    originals = {cls: cls.execute for cls in (psycopg.Cursor, psycopg.ClientCursor)}
    original_copy = psycopg.Cursor.copy

    @contextmanager
    def copy(cursor, statement, *args, **kwargs):
        start = time.perf_counter()
        with original_copy(cursor, statement, *args, **kwargs) as copying:
            yield copying
        entry = stats[name(statement)]
        entry[0] += 1
        entry[1] += time.perf_counter() - start

    for cls, original in originals.items():
        cls.execute = timed(original)
    psycopg.Cursor.copy = copy
    try:
        yield stats
    finally:
        for cls, original in originals.items():
            cls.execute = original
        psycopg.Cursor.copy = original_copy


def print_statements(stats: dict) -> None:
    for statement, (count, seconds) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:12]:
        print(f"{seconds:7.2f}s {count:6d}  {statement}")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (it is emptied).")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    reset_database()
    start = time.perf_counter()
    build(n, open_tasks=False)
    build(n, open_tasks=True)
    print(f"built {n} overdue open tasks and {n} finished ones: {time.perf_counter() - start:.1f}s")
    if os.environ.get("BENCH_EXPLAIN"):
        print(explain_claim())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    if profile:
        profile.enable()
    with timed_statements() if os.environ.get("BENCH_STATEMENTS") else nullcontext({}) as stats:
        report = sweeps.sweep_deadlines()
    elapsed = time.perf_counter() - start
    cpu_after = _cpu_seconds()
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
    if stats:
        print_statements(stats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"first run: {elapsed:.1f}s, peak RSS {peak / 1024:.0f} MB (+{(peak - before) / 1024:.0f}),"
        f" {report.as_dict()}, notifications {Notification.objects.count()},"
        f" e-mail deliveries {Delivery.objects.count()}"
    )
    python_cpu = cpu_after[0] - cpu_before[0]
    backend_cpu = (
        f"{cpu_after[1] - cpu_before[1]:.1f}s"
        if cpu_after[1] is not None and cpu_before[1] is not None
        else "unknown"
    )
    print(
        f"first run CPU: Python {python_cpu:.1f}s, PostgreSQL backend {backend_cpu}"
        f" ({elapsed / max(n, 1) * 1000:.3f} ms a task by the clock)"
    )
    start = time.perf_counter()
    again = sweeps.sweep_deadlines()
    print(f"second run: {time.perf_counter() - start:.2f}s, {again.as_dict()}")


if __name__ == "__main__":
    main()
