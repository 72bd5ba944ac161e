"""The checkpointer: gives new events their places in the Merkle tree and signs its root.

`record_event` writes events without any global lock. Once a minute (beat, or
`python manage.py audit_checkpoint`) `seal_checkpoint` takes, under one lock, every event that
has no leaf yet in id order, appends them as leaves (with the perfect subtrees they complete),
signs the new size and root as a C2SP checkpoint and appends that note to the anchor store
outside the database, all before the transaction commits: the database never holds a
checkpoint that was not anchored. A witness, if configured, gets a copy after the commit.

Events of one chain are appended under their chain head's lock, so their ids, and with them
their leaf positions, follow the chain's order: a declaration's history reads in order.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from audit import anchors
from audit.keys import anchor_dir, current_log, origin, signing_key, verifier_key_of
from audit.leaves import LEAF_FIELDS, DatabaseStore, event_leaf_hash
from audit.merkle import CompactRange, Subtree
from audit.models import AuditEvent, AuditLeaf, AuditLog, AuditNode, SignedCheckpoint
from audit.signing import sign_checkpoint

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the checkpointer ("audi"): one sealer at a time.
ADVISORY_LOCK = 0x61756469
# Events read and leaves written per round trip; memory stays flat however many are new.
CHUNK = 5000
# How long before a run an event that run could not see yet may have been written.
# Requests time out after 60 s and tasks after 300 s (CELERY_TASK_TIME_LIMIT): an hour is ample.
LATE_COMMIT_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class Sealed:
    """What a run of the checkpointer did: the newest checkpoint and how many leaves it added."""

    checkpoint: SignedCheckpoint | None
    added: int


def seal_checkpoint(*, full: bool = False) -> Sealed:
    """Fold every event without a leaf into the Merkle tree, then sign, store and anchor the new
    checkpoint. Writes nothing when nothing is new. `full` looks through every event, not only
    those that can be new (see `_append_new_events`)."""
    log = current_log()
    key = signing_key()  # before any write: a missing key fails the run, not half of it
    with transaction.atomic():
        _lock()
        store = DatabaseStore()
        tree = CompactRange.from_store(store, store.size())
        newest = SignedCheckpoint.objects.order_by("-size").first()
        added = _append_new_events(tree, newest, full)
        if newest is not None and newest.size == tree.size:
            return Sealed(newest, 0)
        if tree.size == 0:
            return Sealed(None, 0)
        checkpoint = sign_and_anchor(log, key, tree)
        witness = settings.AUDIT_WITNESS_URL
        if witness:
            transaction.on_commit(lambda: anchors.send_to_witness(witness, checkpoint.note))
    logger.info("audit checkpoint %s signed (%s new leaves)", checkpoint.size, added)
    return Sealed(checkpoint, added)


def _lock() -> None:
    """One checkpointer at a time. SQLite's IMMEDIATE transactions already hold the database's
    write lock; PostgreSQL takes an advisory lock until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])


def _append_new_events(tree: CompactRange, newest: SignedCheckpoint | None, full: bool) -> int:
    """Append every event without a leaf, in id order, to `tree` and to the database.

    Events with ids after the last sealed one have no leaf, by construction: no need to look.
    Before it, an event can lack one only if its transaction committed after a later event was
    sealed: it was written (its time taken) while that run's predecessor was still open, so
    within LATE_COMMIT_SLACK of the newest checkpoint, since no request or task keeps a
    transaction open that long. `full` looks at every event instead."""
    last_sealed = (
        AuditLeaf.objects.order_by("-event_id").values_list("event_id", flat=True).first() or 0
    )
    late = AuditEvent.objects.filter(pk__lte=last_sealed).filter(
        ~Exists(AuditLeaf.objects.filter(event=OuterRef("pk")))
    )
    if newest is not None and not full:
        late = late.filter(at__gte=newest.at - LATE_COMMIT_SLACK)
    return _fold(tree, late) + _fold(tree, AuditEvent.objects.filter(pk__gt=last_sealed))


def _fold(tree: CompactRange, events: QuerySet[AuditEvent]) -> int:
    """Append `events`, in id order and a chunk at a time, as leaves."""
    added, after = 0, 0
    while True:
        rows = list(events.filter(pk__gt=after).order_by("pk").values(*LEAF_FIELDS)[:CHUNK])
        if not rows:
            return added
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[Subtree] = []
        for row in rows:
            value = event_leaf_hash(row)
            leaves.append((tree.size, row["id"], value))
            nodes.extend(tree.append(value))
        _insert(AuditLeaf, ("position", "event_id", "hash"), ("bigint", "bigint", "bytea"), leaves)
        _insert(AuditNode, ("level", "index", "hash"), ("smallint", "bigint", "bytea"), nodes)
        added += len(rows)
        after = rows[-1]["id"]


def _insert(model, columns: tuple[str, ...], types: tuple[str, ...], rows: Sequence) -> None:
    """Insert many rows at once. On PostgreSQL one INSERT of unnested arrays per chunk: the
    ORM's bulk_create spends most of a checkpoint building SQL for thousands of rows."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    # Table, columns and types are the models' own, never input.
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def sign_and_anchor(
    log: AuditLog, key: Ed25519PrivateKey, tree: CompactRange, at: datetime | None = None
) -> SignedCheckpoint:
    """Sign the tree's size and root (at `at`, by default now), store the checkpoint and append
    it to the anchor store."""
    root, at = tree.root(), at or timezone.now()
    note = sign_checkpoint(origin=origin(log), size=tree.size, root=root, at=at, private_key=key)
    checkpoint = SignedCheckpoint.objects.create(
        size=tree.size,
        root=root.hex(),
        at=at,
        note=note,
        log_id=log.log_id,
        verifier_key=verifier_key_of(log, key),
    )
    anchors.append(anchor_dir(), log.log_id, note)
    return checkpoint
