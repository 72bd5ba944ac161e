"""The benchmark's data set: template declarations made by the services, cloned in bulk.

Each template (one per state of the mix in bench.templates) is cloned set-based inside
PostgreSQL: every row of its declaration, content, stamps, viewflow processes and tasks (and
the review rows on them) is copied with new ids, its foreign keys to other copied rows
remapped, and its times moved back by the clone's own shift (seeded). The template's audit
chain is rebuilt for each clone in Python and written by audit.log.load_chains, hashed exactly
as record_event hashes. Columns are read from the models, so columns added later are copied
too.
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, models, transaction
from viewflow.workflow.models import Process, Task

from audit.checkpoints import seal_checkpoint
from audit.log import load_chains
from audit.models import AuditEvent
from bench import templates
from declarations.models import Declaration, FundingLine, Goal, Indicator, Stamp
from review.models import ReviewProcess, ReviewTask

TaskPrevious = Task.previous.through

# Parents before children; each with how its template rows are found.
CLONED: list[type[models.Model]] = [
    Declaration,
    FundingLine,
    Goal,
    Indicator,
    Stamp,
    Process,
    ReviewProcess,
    Task,
    ReviewTask,
    TaskPrevious,
]
# Ids held in audit details, by key: the model they name.
DETAIL_IDS = {"task": Task, "stamp": Stamp}
# Clones' times are spread over this many days before the templates' (which are now).
SPREAD_DAYS = 120
LONG_HISTORY = "long_history"


@dataclass(frozen=True)
class Size:
    declarations: int
    history_rounds: int
    pages: int  # inbox and page timings: runs per figure
    seconds: float  # approvals: each run lasts at most this long


SIZES = {
    "small": Size(declarations=300, history_rounds=10, pages=5, seconds=3.0),
    "medium": Size(declarations=10_000, history_rounds=50, pages=20, seconds=10.0),
    "full": Size(declarations=100_000, history_rounds=50, pages=20, seconds=10.0),
}


@dataclass
class Generated:
    size: str
    declarations: int
    long_history_id: int
    seconds: dict[str, float] = field(default_factory=dict)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(name: str) -> str:
    return connection.ops.quote_name(name)


def _template_ids(declaration_id: int) -> dict[type[models.Model], list[int]]:
    processes = list(
        ReviewProcess.objects.filter(declaration_id=declaration_id).values_list("pk", flat=True)
    )
    tasks = list(Task.objects.filter(process_id__in=processes).values_list("pk", flat=True))
    by_declaration = {"declaration_id": declaration_id}
    ids = {
        Declaration: [declaration_id],
        FundingLine: list(
            FundingLine.objects.filter(**by_declaration).values_list("pk", flat=True)
        ),
        Goal: list(Goal.objects.filter(**by_declaration).values_list("pk", flat=True)),
        Indicator: list(Indicator.objects.filter(**by_declaration).values_list("pk", flat=True)),
        Stamp: list(Stamp.objects.filter(**by_declaration).values_list("pk", flat=True)),
        Process: processes,
        ReviewProcess: processes,
        Task: tasks,
        ReviewTask: list(ReviewTask.objects.filter(pk__in=tasks).values_list("pk", flat=True)),
        TaskPrevious: list(
            TaskPrevious.objects.filter(to_task_id__in=tasks).values_list("pk", flat=True)
        ),
    }
    return {model: sorted(pks) for model, pks in ids.items()}


def _owner(model) -> type[models.Model]:
    """The model whose id a table's primary key is (itself, or its parent's for a child)."""
    pk = model._meta.pk
    return pk.related_model if pk.is_relation else model


class Cloner:
    """Copies one template declaration `count` times, set-based."""

    def __init__(self, declaration_id: int, shifts: list[timedelta]):
        self.ids = _template_ids(declaration_id)
        self.count = len(shifts)
        self.shifts = shifts
        self.base: dict[type[models.Model], int] = {}

    def new_id(self, model, old: int, clone: int) -> int:
        """The id of template row `old` of `model` in clone number `clone` (0-based)."""
        rank = self.ids[model].index(old)
        return self.base[model] + clone * len(self.ids[model]) + rank

    def run(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS bench_map "
                "(tbl text, old bigint, rank int, PRIMARY KEY (tbl, old))"
            )
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_clone (c int, shift interval)")
            cursor.execute("TRUNCATE bench_map, bench_clone")
            with cursor.cursor.copy("COPY bench_clone (c, shift) FROM STDIN") as copy:
                for number, shift in enumerate(self.shifts):
                    copy.write_row((number, shift))
            with cursor.cursor.copy("COPY bench_map (tbl, old, rank) FROM STDIN") as copy:
                for model, pks in self.ids.items():
                    for rank, pk in enumerate(pks):
                        copy.write_row((model._meta.db_table, pk, rank))
            for model in CLONED:
                if self.ids[model] and _owner(model) is model:
                    self.base[model] = self._next_id(cursor, model)
            for model in CLONED:
                if self.ids[model]:
                    cursor.execute(self._insert_sql(model))

    def _next_id(self, cursor, model) -> int:
        pk = _column(model._meta.pk.column)
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) + 1 FROM {_table(model)}")
        return cursor.fetchone()[0]

    def _remapped(self, model, alias: str) -> str:
        """SQL for the new id of the row of `model` (cloned) that `alias`.old names."""
        width = len(self.ids[model])
        return f"({self.base[model]} + cl.c * {width} + {alias}.rank)"

    def _insert_sql(self, model) -> str:
        table = model._meta.db_table
        columns, values, joins = [], [], []
        for number, field_ in enumerate(model._meta.local_concrete_fields):
            column = field_.column
            source = f"t.{_column(column)}"
            target = field_.related_model if field_.is_relation else None
            if field_ is model._meta.pk and not field_.is_relation:
                value = self._remapped(model, "m")
            elif target is not None and target in self.base:
                alias = f"j{number}"
                joins.append(
                    f"LEFT JOIN bench_map {alias} ON {alias}.tbl = '{target._meta.db_table}' "
                    f"AND {alias}.old = {source}"
                )
                value = f"COALESCE({self._remapped(target, alias)}, {source})"
            elif isinstance(field_, models.DateTimeField):
                value = f"{source} - cl.shift"
            else:
                value = source
            columns.append(_column(column))
            values.append(value)
        # Table and column names come from the models, never from input.
        return (
            f"INSERT INTO {_table(model)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {_table(model)} t "
            f"JOIN bench_map m ON m.tbl = '{table}' AND m.old = t.{_column(model._meta.pk.column)} "
            f"CROSS JOIN bench_clone cl {' '.join(joins)} ORDER BY cl.c, m.rank"
        )

    def template_events(self) -> list[dict]:
        """The template's audit chain, read before the chains are written (one connection)."""
        fields = [
            f.attname
            for f in AuditEvent._meta.concrete_fields
            if f.attname not in ("id", "chain", "seq", "prev_hash", "hash")
        ]
        declaration_id = self.ids[Declaration][0]
        return list(
            AuditEvent.objects.filter(chain=f"declaration:{declaration_id}")
            .order_by("seq")
            .values(*fields)
        )

    def audit_chains(self, events: list[dict]) -> Iterator[tuple[str, Iterator[dict]]]:
        """Each clone's audit chain: the template's events, moved to the clone's rows and time."""
        declaration_id = self.ids[Declaration][0]
        for clone, shift in enumerate(self.shifts):
            new_declaration = self.new_id(Declaration, declaration_id, clone)
            yield (
                f"declaration:{new_declaration}",
                (self._moved(event, clone, shift, new_declaration) for event in events),
            )

    def _moved(self, event: dict, clone: int, shift: timedelta, declaration_id: int) -> dict:
        details = dict(event["details"])
        for key, model in DETAIL_IDS.items():
            if isinstance(details.get(key), int) and details[key] in self.ids[model]:
                details[key] = self.new_id(model, details[key], clone)
        return {
            **event,
            "at": event["at"] - shift,
            "declaration_id": declaration_id,
            "details": details,
        }


def _reset_sequences(cursor) -> None:
    for model in CLONED:
        if _owner(model) is not model:
            continue
        table, pk = model._meta.db_table, model._meta.pk.column
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"(SELECT COALESCE(MAX({_column(pk)}), 1) FROM {_table(model)}))",
            [table, pk],
        )


def clone(declaration_id: int, shifts: list[timedelta]) -> int:
    """Copy one declaration with all it holds, once per shift; returns the audit events made."""
    if not shifts:
        return 0
    with transaction.atomic():
        cloner = Cloner(declaration_id, shifts)
        cloner.run()
        return load_chains(cloner.audit_chains(cloner.template_events()))


def clone_counts(total: int, made: int) -> list[int]:
    """How many clones of each template of the mix bring the data set to `total`."""
    wanted = [round(share * total) for _j, _s, share in templates.MIX]
    return [max(0, n - 1) for n in wanted] if total > made else [0] * len(wanted)


def generate(size: str, *, seed: int = 2026, log=print) -> Generated:
    """Build the data set of `size` on the demo data (already loaded), reproducibly."""
    spec = SIZES[size]
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    result = Generated(size=size, declarations=0, long_history_id=0)
    with _timed(result, "templates", log):
        made = templates.build_templates()
    with _timed(result, "long_history", log):
        result.long_history_id = templates.build_long_history(spec.history_rounds).pk
    with _timed(result, "clones", log):
        counts = clone_counts(spec.declarations, len(made))
        for template, count in zip(made, counts, strict=True):
            shifts = [timedelta(seconds=rng.uniform(0, SPREAD_DAYS * 86400)) for _ in range(count)]
            clone(template.declaration_id, shifts)
        with connection.cursor() as cursor:
            _reset_sequences(cursor)
    with _timed(result, "checkpoint_analyze", log):
        seal_checkpoint()  # every event gets its leaf in the Merkle tree, as beat would do
        with connection.cursor() as cursor:
            # Vacuumed, as autovacuum would have left a database that has lived: a copy measured
            # straight after generation was otherwise vacuumed while it was being measured.
            # (VACUUM cannot run inside a transaction, as the benchmark's own test runs it.)
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    result.declarations = Declaration.objects.count()
    return result


@contextmanager
def _timed(result: Generated, name: str, log) -> Iterator[None]:
    start = time.perf_counter()
    yield
    result.seconds[name] = round(time.perf_counter() - start, 2)
    log(f"  {name}: {result.seconds[name]:.1f} s")
