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
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import anchors
from audit.keys import anchor_dir, current_log, origin, signing_key, verifier_key_of
from audit.leaves import LEAF_FIELDS, DatabaseStore, event_leaf_hash
from audit.merkle import CompactRange
from audit.models import AuditEvent, AuditLeaf, AuditLog, AuditNode, SignedCheckpoint
from audit.signing import sign_checkpoint

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the checkpointer ("audi"): one sealer at a time.
ADVISORY_LOCK = 0x61756469
# Events read and leaves written per round trip; memory stays flat however many are new.
CHUNK = 5000


@dataclass(frozen=True)
class Sealed:
    """What a run of the checkpointer did: the newest checkpoint and how many leaves it added."""

    checkpoint: SignedCheckpoint | None
    added: int


def seal_checkpoint() -> Sealed:
    """Fold every event without a leaf into the Merkle tree, then sign, store and anchor the new
    checkpoint. Writes nothing when nothing is new."""
    log = current_log()
    key = signing_key()  # before any write: a missing key fails the run, not half of it
    with transaction.atomic():
        _lock()
        store = DatabaseStore()
        tree = CompactRange.from_store(store, store.size())
        added = _append_new_events(tree)
        newest = SignedCheckpoint.objects.order_by("-size").first()
        if newest is not None and newest.size == tree.size:
            return Sealed(newest, 0)
        if tree.size == 0:
            return Sealed(None, 0)
        checkpoint = _sign(log, key, tree)
        anchors.append(anchor_dir(), log.log_id, checkpoint.note)
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


def _append_new_events(tree: CompactRange) -> int:
    """Append the events without a leaf, in id order, to `tree` and to the database."""
    added, after = 0, 0
    while True:
        rows = list(
            AuditEvent.objects.filter(pk__gt=after, leaf__isnull=True)
            .order_by("pk")
            .values(*LEAF_FIELDS)[:CHUNK]
        )
        if not rows:
            return added
        leaves: list[AuditLeaf] = []
        nodes: list[AuditNode] = []
        for row in rows:
            value = event_leaf_hash(row)
            leaves.append(AuditLeaf(position=tree.size, event_id=row["id"], hash=value))
            nodes.extend(
                AuditNode(level=node.level, index=node.index, hash=node.hash)
                for node in tree.append(value)
            )
        AuditLeaf.objects.bulk_create(leaves)
        AuditNode.objects.bulk_create(nodes)
        added += len(rows)
        after = rows[-1]["id"]


def _sign(log: AuditLog, key: Ed25519PrivateKey, tree: CompactRange) -> SignedCheckpoint:
    root, at = tree.root(), timezone.now()
    note = sign_checkpoint(origin=origin(log), size=tree.size, root=root, at=at, private_key=key)
    return SignedCheckpoint.objects.create(
        size=tree.size,
        root=root.hex(),
        at=at,
        note=note,
        log_id=log.log_id,
        verifier_key=verifier_key_of(log, key),
    )
