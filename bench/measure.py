"""The benchmark's measurements on the generated data: approvals against pgbench, the busy
reviewer's inbox against viewflow's own inbox query, the declaration page with a long history,
the deadline sweep and verify_audit (time and peak memory, each in a forked process)."""

import contextlib
import math
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from glob import glob
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditEvent, ChainHead
from audit.verification import verify_audit
from bench import templates
from declarations.models import Declaration, Indicator
from declarations.stages import Stage
from notifications.sweeps import sweep_deadlines
from review import selectors, services
from review.filters import task_count_order, task_sort
from review.flows import ReviewFlow
from review.models import ReviewProcess, ReviewTask
from web.views.tasks import COUNT_CAP as INBOX_COUNT_CAP

BUSY_REVIEWER = "ny_finance"
PAGE_SIZE = 50
APPROVED_STAGES = (Stage.UNIT_HEAD, Stage.DEPARTMENT)


# --- Helpers ---------------------------------------------------------------------------------


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _summary(timings: list[float]) -> dict:
    ordered = sorted(timings)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": _ms(statistics.median(ordered)), "p95_ms": _ms(p95), "runs": len(ordered)}


def _peak_rss_reset() -> int:
    """Reset this process's peak RSS (Linux), and return the RSS now, in kB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _status_kb(name: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _child(function: Callable[[], dict], pipe) -> None:
    baseline = _peak_rss_reset()
    start = time.perf_counter()
    try:
        result = function()
        result["seconds"] = round(time.perf_counter() - start, 2)
        result["peak_memory_mb"] = round(max(0, _status_kb("VmHWM") - baseline) / 1024, 1)
    except Exception as error:  # reported to the parent, which prints it in the table
        result = {"error": f"{type(error).__name__}: {error}"}
    finally:
        connections.close_all()
    pipe.send(result)
    pipe.close()


def in_child(function: Callable[[], dict]) -> dict:
    """Run `function` in a forked process (its own connection and memory); its time and the
    growth of its peak resident memory are added to what it returns."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, send))
    process.start()
    result = receive.recv()
    process.join()
    return result


# --- Counts ----------------------------------------------------------------------------------


def data_counts() -> dict:
    busy = get_user_model().objects.get(username=BUSY_REVIEWER)
    return {
        "declarations": Declaration.objects.count(),
        "indicators": Indicator.objects.count(),
        "review_processes": ReviewProcess.objects.count(),
        "viewflow_tasks": Task.objects.count(),
        "review_tasks_open": ReviewTask.objects.reviews().open().count(),
        "audit_events": AuditEvent.objects.count(),
        "audit_chains": ChainHead.objects.count(),
        "busy_reviewer_waiting": selectors.tasks_for(busy, view="open").count(),
    }


# --- Approvals against pgbench -----------------------------------------------------------------


def approvable_tasks() -> list[tuple[int, str]]:
    """Open tasks of the first two stages, each with the account that approves it (its holder,
    else the stage's reviewer of the declaration's jurisdiction)."""
    rows = (
        ReviewTask.objects.reviews()
        .open()
        .filter(stage__in=APPROVED_STAGES)
        .order_by("pk")
        .values_list(
            "pk", "stage", "declaration__reporting_unit__jurisdiction__code", "owner__username"
        )
    )
    return [
        (pk, owner or f"{templates.JURISDICTIONS[code][0]}_{templates.STAGE_ACCOUNT[stage]}")
        for pk, stage, code, owner in rows
    ]


def _approve(tasks: list[tuple[int, str]], seconds: float, pipe) -> None:
    users = {u.username: u for u in get_user_model().objects.all()}
    done, start = 0, time.perf_counter()
    for task_id, username in tasks:
        if time.perf_counter() - start >= seconds:
            break
        services.task_approve(actor=users[username], task_id=task_id)
        done += 1
    pipe.send((done, time.perf_counter() - start))
    connections.close_all()
    pipe.close()


def approvals_per_second(tasks: list[tuple[int, str]], workers: int, seconds: float) -> dict:
    """Approve through the service layer in `workers` processes at once, each its own tasks."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for number in range(workers):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_approve, args=(tasks[number::workers], seconds, send))
        pipes.append(receive)
        processes.append(process)
    for process in processes:
        process.start()
    results = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    approvals = sum(done for done, _elapsed in results)
    elapsed = max(elapsed for _done, elapsed in results)
    return {
        "approvals": approvals,
        "seconds": round(elapsed, 2),
        "per_second": round(approvals / elapsed, 1) if elapsed else 0.0,
    }


def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def _pg_env() -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pgbench_database() -> str:
    """pgbench's own scratch database beside the benchmark's, initialised once (scale 10)."""
    name = f"{settings.DATABASES['default']['NAME']}_pgbench"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    if not exists:
        subprocess.run(
            [pgbench_binary() or "pgbench", "-i", "-q", "-s", "10", name],
            env=_pg_env(),
            check=True,
            capture_output=True,
        )
    return name


def pgbench_tps(database: str, clients: int, seconds: float) -> float | None:
    """pgbench's built-in tpcb-like script with `clients` clients on the same server."""
    binary = pgbench_binary()
    if binary is None:
        return None
    run = subprocess.run(
        [
            binary,
            "-n",
            "-b",
            "tpcb-like",
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-T",
            str(max(1, round(seconds))),
            database,
        ],
        env=_pg_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"tps = ([\d.]+)", run.stdout)
    return float(found.group(1)) if found else None


def measure_approvals(seconds: float) -> dict:
    tasks = approvable_tasks()
    if tasks:  # warm up: the first approval in a process imports and compiles what it needs
        task_id, username = tasks.pop(0)
        services.task_approve(
            actor=get_user_model().objects.get(username=username), task_id=task_id
        )
    database = pgbench_database() if pgbench_binary() else ""
    third = len(tasks) // 3
    figures = {}
    for workers, share in ((1, tasks[:third]), (2, tasks[third:])):
        figure = approvals_per_second(share, workers, seconds)
        tps = pgbench_tps(database, workers, seconds) if database else None
        figure["pgbench_tps"] = tps
        figure["ratio"] = round(figure["per_second"] / tps, 4) if tps else None
        figures[str(workers)] = figure
    return figures


# --- Pages -------------------------------------------------------------------------------------


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def time_get(client: Client, url: str, runs: int) -> dict:
    """Median and p95 over `runs` GETs (after one warm-up), the SQL queries and the status of
    one."""
    statuses = []
    figure = _time_query(lambda: statuses.append(client.get(url).status_code), runs)
    return {**figure, "status": statuses[-1]}


def _time_query(evaluate: Callable[[], object], runs: int) -> dict:
    """Median and p95 over `runs` calls (after one warm-up), and the SQL queries of one."""
    evaluate()
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            evaluate()
            timings.append(time.perf_counter() - start)
    return {**_summary(timings), "queries": len(queries)}


def viewflow_inbox(user):
    """viewflow's own inbox-style query: the user's assigned tasks and the queue they may take."""
    return (
        Task.objects.user_queue(user, flow_class=ReviewFlow)
        .filter(Q(status=STATUS.NEW, owner__isnull=True) | Q(status=STATUS.ASSIGNED, owner=user))
        .order_by("-created")
    )


def our_inbox_query(user, view: str, sort_value: str) -> Callable[[], object]:
    """What the inbox page asks the database for, without the request around it: a keyset page
    of the view's rows in the given order and the count capped as the page caps it (the
    like-for-like figure beside viewflow's query)."""
    tasks = selectors.tasks_for(user, view=view)
    field, descending = task_sort(sort_value)

    def evaluate():
        page = selectors.keyset_page(
            selectors.inbox_rows(tasks),
            sort=field,
            descending=descending,
            cursor="",
            size=PAGE_SIZE,
        )
        along = task_count_order(field)
        return page.rows, selectors.capped_count(tasks, INBOX_COUNT_CAP, along=along)

    return evaluate


def _last_page(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


# Each view's query and the reverse of its default order. The page's last page is asked for
# both ways: by number (offset pages) and as the first page of the reversed order (keyset pages
# have no numbers); each version of the page reads the parameter it knows. The API's pages are
# keyset pages too (`?page=N` still answers, by offset): its last page is the first page of its
# own default order (by due time, on 已办 as well) reversed.
INBOX_VIEWS = {
    "open": ("", "", "-due", "-due"),
    "done": ("view=done&", "status=done&", "finished", "-due"),
}


def measure_inbox(runs: int) -> dict:
    user = get_user_model().objects.get(username=BUSY_REVIEWER)
    client = _client(BUSY_REVIEWER)
    figures = {}
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for view, (page_query, api_query, reverse, api_reverse) in INBOX_VIEWS.items():
            last = _last_page(selectors.tasks_for(user, view=view).count())
            for where, page, keyset, api_keyset in (
                ("first", 1, "", ""),
                ("last", last, f"&sort={reverse}", f"sort={api_reverse}"),
            ):
                figures[f"page_{view}_{where}"] = time_get(
                    client, f"/tasks/?{page_query}page={page}{keyset}", runs
                )
                figures[f"api_{view}_{where}"] = time_get(
                    client, f"/api/tasks/?{api_query}{api_keyset}", runs
                )
        for view, first, last in (("open", "due", "-due"), ("done", "-finished", "finished")):
            for where, sort_value in (("first", first), ("last", last)):
                figures[f"ours_{view}_{where}"] = _time_query(
                    our_inbox_query(user, view, sort_value), runs
                )
    tasks = viewflow_inbox(user)
    last_offset = (_last_page(tasks.count()) - 1) * PAGE_SIZE
    figures["viewflow_first"] = _time_query(lambda: (list(tasks[:PAGE_SIZE]), tasks.count()), runs)
    figures["viewflow_last"] = _time_query(
        lambda: (list(tasks[last_offset : last_offset + PAGE_SIZE]), tasks.count()), runs
    )
    return figures


def measure_declaration_page(declaration_id: int, runs: int) -> dict:
    client = _client("ny_preparer")
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        figure = time_get(client, f"/declarations/{declaration_id}/", runs)
    figure["rounds"] = Declaration.objects.get(pk=declaration_id).review_round
    return figure


# --- Sweep and verification --------------------------------------------------------------------


def _sweep_twice() -> dict:
    overdue = ReviewTask.objects.reviews().open().overdue().count()
    # Both runs at the same moment: a task falling due while the first runs is news for the
    # second, not a level sent twice.
    now = timezone.now()
    start = time.perf_counter()
    first = sweep_deadlines(now).as_dict()
    first_seconds = time.perf_counter() - start
    second = sweep_deadlines(now).as_dict()
    return {
        "overdue_tasks": overdue,
        "first_run": first,
        "first_run_seconds": round(first_seconds, 2),
        "second_run": second,
        "second_run_sent": sum(second.values()),
    }


def measure_sweep() -> dict:
    return in_child(_sweep_twice)


def _verify() -> dict:
    problems = verify_audit()
    return {
        "events": AuditEvent.objects.count(),
        "chains": ChainHead.objects.count(),
        "problems": len(problems),
        "first_problem": str(problems[0]) if problems else "",
    }


def measure_verify_audit() -> dict:
    return in_child(_verify)
