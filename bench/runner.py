"""One benchmark run: a scratch database prepared, the data set generated, every figure measured,
and the figures printed as one table (several sizes side by side, with their growth)."""

import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from psycopg import sql

from bench import measure
from bench.generate import SIZES, Generated, generate
from demo.data import load_demo
from notifications.delivery import BrokerPause

MARK = "perf-approvals benchmark data"


class NotABenchDatabase(Exception):
    """The database holds data the benchmark did not make."""


# --- The scratch database ----------------------------------------------------------------------


def ensure_database() -> None:
    """Create the scratch database if it does not exist yet (connecting to `postgres`)."""
    try:
        connection.ensure_connection()
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
        params = connection.get_connection_params()
        admin = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))


def _database_comment() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return (row[0] if row else "") or ""


def _holds_data() -> bool:
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in ("approvals_declaration", "auth_user"):
            if table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    return True
    return False


def check_database(*, force: bool) -> None:
    """Refuse a database holding data the benchmark did not generate, unless forced."""
    if force or _database_comment() == MARK or not _holds_data():
        return
    raise NotABenchDatabase(settings.DATABASES["default"]["NAME"])


def reset_database(log: Callable[[str], None]) -> None:
    """Empty the scratch database, migrate it, load the demo data and mark it as the bench's."""
    name = connection.ops.quote_name(settings.DATABASES["default"]["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [MARK])
    log("  migrate …")
    call_command("migrate", verbosity=0, interactive=False)
    load_demo()


def hand_over_to_broker() -> None:
    """Without a broker (CELERY_BROKER_URL unset) Celery tasks run inside the request, so every
    approval would also send its e-mails: the benchmark then leaves them pending for the delivery
    sweep, as while a broker is down. With a broker, e-mails are handed over as in production."""
    if not settings.CELERY_BROKER_CONFIGURED:
        BrokerPause.until = math.inf


# The generated data set's description, kept in the database itself so that a copy of it
# (`createdb -T`) can be measured again without generating it again.
DATA_SET_TABLE = "bench_data_set"


def save_data_set(generated: Generated) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DATA_SET_TABLE} (size text, info jsonb)")
        cursor.execute(f"DELETE FROM {DATA_SET_TABLE}")
        cursor.execute(
            f"INSERT INTO {DATA_SET_TABLE} VALUES (%s, %s)",
            [generated.size, json.dumps(asdict(generated))],
        )


def saved_data_set(size: str) -> Generated:
    """The data set generated earlier in this database, which must be of `size`."""
    found = None
    if DATA_SET_TABLE in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT size, info FROM {DATA_SET_TABLE}")
            found = cursor.fetchone()
    if found is None:
        raise NoDataSet("这个数据库中没有已生成的基准数据：请先不带 --measure-only 运行。")
    if found[0] != size:
        raise NoDataSet(f"这个数据库中的基准数据规模是 {found[0]}，不是 {size}。")
    info = found[1] if isinstance(found[1], dict) else json.loads(found[1])
    return Generated(**info)


class NoDataSet(Exception):
    """--measure-only on a database without a generated data set of that size."""


# What a finished run holds besides its data counts.
MEASURED = ("inbox", "declaration_page", "approvals", "verify_audit", "sweep")


# --- A run -------------------------------------------------------------------------------------


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run(
    size: str,
    *,
    seed: int,
    reset: bool,
    log: Callable[[str], None],
    save: Callable[[dict], object] = lambda result: None,
    generate_only: bool = False,
    measure_only: bool = False,
) -> dict:
    """Generate the data set of `size` and take every measurement on it; `save` gets the result
    so far after each step, so a long run that is stopped keeps what it measured."""
    spec = SIZES[size]
    hand_over_to_broker()
    if measure_only:
        generated = saved_data_set(size)
        log(f"measuring the {size} data set generated earlier in this database …")
        log("  migrate (the code measured may have new indexes) …")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        call_command("migrate", verbosity=0, interactive=False)
        if pending:
            # A migration that rewrites rows leaves them for autovacuum, which a database that
            # has lived would have long since met; measuring before it runs measures the lag.
            log(f"  {len(pending)} migration(s) applied: VACUUM (ANALYZE) …")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
    else:
        if reset:
            reset_database(log)
        else:
            load_demo()
        log(f"generating {size} …")
        generated = generate(size, seed=seed, log=log)
        save_data_set(generated)
    result: dict = {
        "size": size,
        "seed": seed,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "generation_seconds": generated.seconds,
        "data": measure.data_counts(),
    }
    steps: list[tuple[str, Callable[[], dict]]] = [
        ("inbox", lambda: measure.measure_inbox(spec.pages)),
        (
            "declaration_page",
            lambda: measure.measure_declaration_page(generated.long_history_id, spec.pages),
        ),
        ("approvals", lambda: measure.measure_approvals(spec.seconds)),
        ("verify_audit", measure.measure_verify_audit),
        ("sweep", measure.measure_sweep),
    ]
    if generate_only:
        save(result)
        return result
    for name, step in steps:
        log(f"measuring {name} …")
        result[name] = step()
        save(result)
    return result


# --- The table ---------------------------------------------------------------------------------

INBOX_ROWS = [
    ("page_open_first", "inbox page, open, first page"),
    ("page_open_last", "inbox page, open, last page"),
    ("api_open_first", "inbox API, open, first page"),
    ("api_open_last", "inbox API, open, last page"),
    ("page_done_first", "inbox page, done, first page"),
    ("page_done_last", "inbox page, done, last page"),
    ("api_done_first", "inbox API, done, first page"),
    ("api_done_last", "inbox API, done, last page"),
    ("ours_open_first", "our inbox query, open, first page"),
    ("ours_open_last", "our inbox query, open, last page"),
    ("ours_done_first", "our inbox query, done, first page"),
    ("ours_done_last", "our inbox query, done, last page"),
    ("viewflow_first", "viewflow inbox query, first page"),
    ("viewflow_last", "viewflow inbox query, last page"),
]


def _timing(figure: dict) -> str:
    if "error" in figure:
        return figure["error"]
    text = f"{figure['median_ms']:.1f} / {figure['p95_ms']:.1f} ms"
    return f"{text}, {figure['queries']} q" if "queries" in figure else text


def _approvals(figure: dict) -> str:
    tps = figure.get("pgbench_tps")
    ratio = figure.get("ratio")
    text = f"{figure['per_second']:.1f}/s ({figure['approvals']} in {figure['seconds']:.1f} s)"
    if tps:
        text += f"; pgbench {tps:.0f} tps; ratio {ratio:.4f}"
    return text


def _timed_memory(figure: dict) -> str:
    if "error" in figure:
        return figure["error"]
    return f"{figure['seconds']:.2f} s, peak +{figure['peak_memory_mb']:.0f} MB"


def rows(result: dict) -> list[tuple[str, str, float | None]]:
    """(figure, its text, the number that growth compares) for one run."""
    data = result["data"]
    out: list[tuple[str, str, float | None]] = [
        (f"data: {name}", f"{value:,}", float(value)) for name, value in data.items()
    ]
    for workers in ("1", "2"):
        figure = result["approvals"][workers]
        out.append((f"approvals/s, {workers} process(es)", _approvals(figure), figure.get("ratio")))
    for key, label in INBOX_ROWS:
        # Results written before a figure was added say so instead of failing a comparison.
        figure = result["inbox"].get(key, {"error": "not measured"})
        out.append((f"{label} (median / p95)", _timing(figure), figure.get("median_ms")))
    page = result["declaration_page"]
    out.append(
        (
            "declaration page, long history",
            f"{page['rounds']} rounds: {_timing(page)}",
            page.get("median_ms"),
        )
    )
    sweep = result["sweep"]
    out.append(
        (
            "sweep over every overdue task",
            f"{sweep.get('overdue_tasks', 0):,} tasks: {_timed_memory(sweep)}; "
            f"first run {sweep.get('first_run')}, "
            f"second run sent {sweep.get('second_run_sent')}",
            sweep.get("first_run_seconds"),
        )
    )
    verify = result["verify_audit"]
    out.append(
        (
            "verify_audit over the whole log",
            f"{verify.get('events', 0):,} events: {_timed_memory(verify)}; "
            f"{verify.get('problems')} problem(s)",
            verify.get("seconds"),
        )
    )
    return out


def growth(results: list[dict]) -> dict[str, float | None]:
    """For two runs: each figure of the larger over the smaller."""
    first, last = rows(results[0]), rows(results[-1])
    return {
        name: (round(b / a, 2) if a and b is not None else None)
        for (name, _t, a), (_n, _u, b) in zip(first, last, strict=True)
    }


def table(results: list[dict]) -> str:
    columns = [rows(result) for result in results]
    ratios = growth(results) if len(results) > 1 else {}
    header = ["figure", *[r["size"] for r in results], *(["growth"] if ratios else [])]
    lines = [header]
    for index, (name, _text, _value) in enumerate(columns[0]):
        line = [name, *[column[index][1] for column in columns]]
        if ratios:
            ratio = ratios[name]
            line.append("" if ratio is None else f"×{ratio}")
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = [
        " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in lines
    ]
    rendered.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(rendered)


def results_path() -> Path:
    return Path(settings.BASE_DIR) / "bench" / "results.json"


def _complete(result: dict) -> bool:
    return all(key in result for key in MEASURED)


def write_results(results: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    complete = [result for result in results if _complete(result)]
    document = {"runs": results, "growth": growth(complete) if len(complete) > 1 else {}}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
