"""Generate a valid audit log of N events on a scratch PostgreSQL database, then time
`verify_audit` on it (wall time and peak memory of the verifying process)."""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.checkpoints import sign_and_anchor
from audit.keys import current_log, signing_key
from audit.leaves import LEAF_FIELDS, event_leaf_hash
from audit.log import GENESIS, event_hash
from audit.merkle import CompactRange
from audit.models import AuditEvent, AuditLeaf, AuditNode, ChainHead

EVENTS_PER_DECLARATION = 20
CHECKPOINTS = 10


class Command(BaseCommand):
    help = (
        "Benchmark verify_audit: write a valid log of --events N (events, leaves, subtrees, "
        "signed and anchored checkpoints) into an EMPTY audit log on PostgreSQL (a scratch "
        "database), then run verify_audit and print its time and peak memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, required=True, help="how many events")
        parser.add_argument(
            "--pending", type=int, default=None, help="events after the last checkpoint"
        )

    def handle(self, *args, events, pending, **options):
        if connection.vendor != "postgresql":
            raise CommandError("audit_bench 需要 PostgreSQL（在一个临时数据库上运行）")
        if events < 1:
            raise CommandError("--events 至少为 1")
        if AuditEvent.objects.exists():
            raise CommandError("审计日志不是空的：请在新建的临时数据库上运行 audit_bench")
        pending = min(1000, events // 100) if pending is None else min(pending, events)
        started = time.perf_counter()
        _generate(events, pending)
        self.stdout.write(f"已生成 {events} 个事件（其中 {pending} 个在最后的检查点之后），")
        self.stdout.write(f"用时 {time.perf_counter() - started:.1f} 秒；开始核验……")
        seconds, peak_mb, output = _time_verification()
        self.stdout.write(output.strip())
        self.stdout.write(
            self.style.SUCCESS(
                f"verify_audit：{events} 个事件，用时 {seconds:.1f} 秒，峰值内存 {peak_mb:.0f} MB"
            )
        )


def _time_verification() -> tuple[float, float, str]:
    """Run `manage.py verify_audit` in a process of its own: its wall time, peak RSS and CPU
    time (on a shared machine the CPU time says more than the wall time)."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "verify_audit",
            "--trigger",
            "基准测试",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise CommandError(f"verify_audit 失败：{result.stderr.strip()[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = f"（其中本进程 CPU 时间 {usage.ru_utime + usage.ru_stime:.1f} 秒）"
    return seconds, usage.ru_maxrss / 1024, result.stdout + result.stderr + cpu


def _generate(total: int, pending: int) -> None:
    sealed = total - pending
    log, key = current_log(), signing_key()
    declarations = max(1, total // EVENTS_PER_DECLARATION)
    heads: dict[str, tuple[int, str]] = {}
    tree = CompactRange()
    checkpoint_sizes = {sealed * k // CHECKPOINTS for k in range(1, CHECKPOINTS + 1)} - {0}
    base = timezone.now() - timedelta(days=30)
    with transaction.atomic(), connection.cursor() as cursor:
        start = _next_id(cursor)
        events, leaves, nodes = _Copy(), _Copy(), _Copy()
        for number in range(total):
            event = _event(start + number, number, declarations, heads, base)
            events.row(event)
            if number < sealed:
                value = event_leaf_hash(event)
                leaves.row((tree.size, event["id"], value))
                for level, index, digest in tree.append(value):
                    nodes.row((level, index, digest))
                if tree.size in checkpoint_sizes:
                    sign_and_anchor(log, key, tree, base + timedelta(milliseconds=number))
        _copy(cursor, AuditEvent, events, _EVENT_COLUMNS)
        _copy(cursor, AuditLeaf, leaves, ["position", "event_id", "hash"])
        _copy(cursor, AuditNode, nodes, ["level", "index", "hash"])
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{AuditEvent._meta.db_table}', 'id'), %s)",
            [start + total - 1],
        )
        ChainHead.objects.bulk_create(
            ChainHead(chain=chain, seq=seq, hash=digest) for chain, (seq, digest) in heads.items()
        )


# The columns a generated event fills: exactly what its leaf hashes.
_EVENT_COLUMNS = list(LEAF_FIELDS)


def _next_id(cursor) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {AuditEvent._meta.db_table}")  # noqa: S608
    return cursor.fetchone()[0]


def _event(pk: int, number: int, declarations: int, heads: dict, base: datetime) -> dict:
    """One event's row (the log's own hashing; rows go in by COPY, not through the model)."""
    declaration = number * 7919 % declarations + 1
    chain = f"declaration:{declaration}"
    seq, prev = heads.get(chain, (0, GENESIS))
    event = {
        "id": pk,
        "chain": chain,
        "seq": seq + 1,
        "prev_hash": prev,
        "at": (base + timedelta(milliseconds=number, microseconds=number % 997)).astimezone(UTC),
        "actor_id": number % 500 + 1,
        "actor_name": f"审核人{number % 500 + 1}",
        "role": "dept_reviewer",
        "organisation_id": number % 40 + 1,
        "organisation_name": f"第{number % 40 + 1}单位",
        "jurisdiction_id": declaration % 2 + 1,
        "action": "approve",
        "result": "ok",
        "declaration_id": declaration,
        "stage": "department",
        "opinion": "同意，请按绩效目标执行。",
        "digest": f"{number:064x}",
        "ip": "10.0.0.1",
        "details": {"n": number, "note": "基准"},
    }
    event["hash"] = event_hash(SimpleNamespace(**event))  # type: ignore[arg-type]  # reads fields
    heads[chain] = (event["seq"], event["hash"])
    return event


class _Copy:
    """Rows for one COPY as tab-separated text, spooled to a temporary file (a million events
    would not fit in memory)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def row(self, values) -> None:
        if isinstance(values, dict):
            values = [values[name] for name in _EVENT_COLUMNS]
        self.file.write("\t".join(_text(value) for value in values) + "\n")


def _text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy(cursor, model, rows: _Copy, columns: list[str]) -> None:
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    rows.file.seek(0)
    with rows.file, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        while block := rows.file.read(1 << 20):
            copy.write(block)
