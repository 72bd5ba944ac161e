"""Tampering as the database's administrator would (a superuser, triggers off): each case makes
verify_audit exit 1 naming what is wrong, although the intruder controls every table.

What the intruder lacks is the anchor store outside the database and the signing key."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection

from audit.checkpoints import seal_checkpoint
from audit.keys import current_log, origin
from audit.leaves import event_leaf_hash
from audit.log import event_hash
from audit.merkle import CompactRange
from audit.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditLeaf,
    AuditLog,
    AuditNode,
    ChainHead,
    SignedCheckpoint,
)
from audit.signing import sign_checkpoint
from audit.verification import verify_audit
from review import services as review
from tests.audit.helpers import EVENTS, chain_events, insert_event_row, row_values, tamper
from tests.audit.helpers import verify_fails as _verify_fails
from tests.review.helpers import EZ, user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LEAVES = AuditLeaf._meta.db_table
NODES = AuditNode._meta.db_table
SIGNED = SignedCheckpoint._meta.db_table
TABLES = [
    model._meta.db_table
    for model in (AuditEvent, AuditLeaf, AuditNode, SignedCheckpoint, AuditLog, AuditCheckpoint)
] + [ChainHead._meta.db_table]


@pytest.fixture
def sealed(history):
    """The realistic log, sealed in a signed checkpoint that is anchored outside the database."""
    checkpoint = seal_checkpoint().checkpoint
    assert checkpoint is not None
    assert verify_audit() == []
    return checkpoint


def verify_fails(capsys) -> str:
    """verify_audit exits 1; what it printed."""
    _error, output = _verify_fails(capsys)
    return output


def _more_events() -> None:
    review.declaration_comment(
        actor=user(EZ.preparer), declaration_id=_declaration_id(), text="补充说明"
    )
    review.declaration_comment(
        actor=user(EZ.preparer), declaration_id=_declaration_id(), text="再补充"
    )


def _declaration_id() -> int:
    return AuditEvent.objects.filter(chain__startswith="declaration:").first().declaration_id


def _tamper_all(statements: list[str]) -> None:
    for statement in statements:
        tamper(statement)


def test_an_altered_row_is_named(sealed, history, capsys):
    """UPDATE of a sealed event's opinion: the event is named (its leaf and HMAC no longer
    match) and the signed checkpoint's root no longer matches the events."""
    target = next(e for e in chain_events(history) if e.action == "return")
    tamper(f"UPDATE {EVENTS} SET opinion = %s WHERE id = %s", ["同意", target.pk])  # noqa: S608
    output = verify_fails(capsys)
    assert f"第一个问题：事件 #{target.pk}（" in output
    assert "叶哈希不符" in output
    assert f"树大小 {sealed.size}" in output


def test_a_deleted_middle_row_is_named(sealed, history, capsys):
    """DELETE of a sealed event from the middle of its chain, and of its leaf: the gap in the
    leaves, the event after it in the chain and the checkpoint are named."""
    events = chain_events(history)
    victim, follower = events[3], events[4]
    tamper(f"DELETE FROM {LEAVES} WHERE event_id = %s", [victim.pk])  # noqa: S608
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [victim.pk])  # noqa: S608
    output = verify_fails(capsys)
    assert f"事件 #{follower.pk}（" in output
    assert f"跳到 {follower.seq}" in output
    assert "叶或其事件被删除" in output


def test_a_tail_cut_after_a_checkpoint_with_the_head_rolled_back_is_named(sealed, history, capsys):
    """The newest events are deleted with their leaves, subtrees and the checkpoint that sealed
    them, and the chain head is rolled back to match: every table agrees, but the anchored
    checkpoint names what the database no longer holds."""
    events = chain_events(history)
    keep = events[-4]
    cut = [e.pk for e in events if e.seq > keep.seq]
    first_cut = AuditLeaf.objects.filter(event_id__in=cut).order_by("position").first().position
    tamper(f"DELETE FROM {LEAVES} WHERE position >= %s", [first_cut])  # noqa: S608
    tamper(f"DELETE FROM {EVENTS} WHERE id IN (SELECT unnest(%s::bigint[]))", [cut])  # noqa: S608
    tamper(f"DELETE FROM {NODES}")  # noqa: S608
    tamper(f"DELETE FROM {SIGNED}")  # noqa: S608
    ChainHead.objects.filter(chain=keep.chain).update(seq=keep.seq, hash=keep.hash)
    # What is left is rebuilt and sealed again by the checkpointer, which holds the key.
    _rebuild_tree()
    assert seal_checkpoint().checkpoint.size < sealed.size
    output = verify_fails(capsys)
    assert f"锚定的检查点（树大小 {sealed.size}" in output
    assert "数据库中没有这个检查点" in output


def test_an_earlier_copy_of_the_database_restored_is_named(sealed, history, capsys):
    """The audit tables are put back to a copy taken at the first checkpoint, after a second
    checkpoint was anchored: a clean, consistent rollback, named by the second anchor."""
    snapshot = {table: f"snapshot_{table}" for table in TABLES}
    with connection.cursor() as cursor:
        for table, copy in snapshot.items():
            cursor.execute(f"CREATE TEMP TABLE {copy} AS SELECT * FROM {table}")  # noqa: S608
    _more_events()
    newer = seal_checkpoint().checkpoint
    assert newer.size > sealed.size
    assert verify_audit() == []
    for table, copy in snapshot.items():
        tamper(f"DELETE FROM {table}")  # noqa: S608
        tamper(f"INSERT INTO {table} SELECT * FROM {copy}")  # noqa: S608
    output = verify_fails(capsys)
    assert f"锚定的检查点（树大小 {newer.size}" in output
    assert "数据库少于锚点封存的内容" in output


def test_every_audit_table_emptied_is_named(sealed, capsys):
    """TRUNCATE of every audit table, the log's identity and chain heads included: "0 events"
    no longer passes; the anchors outside the database name the log and its checkpoints."""
    log_id = current_log().log_id
    tamper(f"TRUNCATE {', '.join(TABLES)}")
    assert AuditEvent.objects.count() == 0
    output = verify_fails(capsys)
    assert log_id in output
    assert "审计表被清空" in output


def test_every_audit_table_but_the_log_id_emptied_is_named(sealed, capsys):
    """Emptied tables, the log's identity kept: the anchored checkpoint is named."""
    tamper(f"TRUNCATE {', '.join(t for t in TABLES if t != AuditLog._meta.db_table)}")
    output = verify_fails(capsys)
    assert f"锚定的检查点（树大小 {sealed.size}" in output


def test_an_inserted_row_is_named(sealed, history, capsys):
    """A row INSERTed by hand among the sealed events (without the HMAC key): named."""
    last = chain_events(history)[-1]
    forged = row_values(last)
    forged.update(seq=last.seq + 1, prev_hash=last.hash, opinion="同意", hash="f" * 64)
    forged_id = insert_event_row(forged)
    output = verify_fails(capsys)
    assert f"第一个问题：事件 #{forged_id}（" in output
    assert "HMAC" in output


def test_reordered_rows_are_named(sealed, history, capsys):
    """Two sealed events swap their places in the tree: the chain order and the signed root
    both break."""
    events = chain_events(history)
    first, second = events[2], events[3]
    swap = f"UPDATE {LEAVES} SET event_id = %s WHERE event_id = %s"  # noqa: S608
    tamper(swap, [-1, first.pk])
    tamper(swap, [first.pk, second.pk])
    tamper(swap, [second.pk, -1])
    output = verify_fails(capsys)
    assert f"事件 #{second.pk}（" in output
    assert "调换了顺序" in output
    assert f"树大小 {sealed.size}" in output


def test_a_chain_rebuilt_with_the_hmac_key_but_not_the_signing_key_is_named(
    sealed, history, capsys
):
    """An opinion rewritten and the whole chain after it re-hashed with the HMAC key, the leaves
    and subtrees rebuilt and the checkpoint re-signed with another key: every HMAC checks out,
    but the checkpoint's signature does not, and the anchor still holds the true root."""
    events = chain_events(history)
    target = next(e for e in events if e.action == "return")
    prev_hash = None
    for event in events[events.index(target) :]:
        if event == target:
            event.opinion = "同意"
        if prev_hash is not None:
            event.prev_hash = prev_hash
        event.hash = event_hash(event)
        prev_hash = event.hash
        tamper(
            f"UPDATE {EVENTS} SET opinion = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
            [event.opinion, event.prev_hash, event.hash, event.pk],
        )
    ChainHead.objects.filter(chain=target.chain).update(seq=events[-1].seq, hash=prev_hash)
    tree = _rebuild_tree()
    forger = Ed25519PrivateKey.generate()
    note = sign_checkpoint(
        origin=origin(current_log()),
        size=tree.size,
        root=tree.root(),
        at=sealed.at,
        private_key=forger,
    )
    tamper(
        f"UPDATE {SIGNED} SET note = %s, root = %s WHERE size = %s",  # noqa: S608
        [note, tree.root().hex(), sealed.size],
    )
    output = verify_fails(capsys)
    assert "HMAC" not in output
    assert f"检查点（树大小 {sealed.size}" in output
    assert "签名" in output
    assert "根哈希不同" in output or "数据库中没有这个检查点" in output


def _rebuild_tree() -> CompactRange:
    """Leaves and subtrees recomputed from the events as they now are (a forger's rebuild)."""
    tamper(f"DELETE FROM {LEAVES}")  # noqa: S608
    tamper(f"DELETE FROM {NODES}")  # noqa: S608
    tree = CompactRange()
    with connection.cursor() as cursor:
        for event in AuditEvent.objects.order_by("pk"):
            value = event_leaf_hash(event)
            cursor.execute(
                f"INSERT INTO {LEAVES} (position, event_id, hash) VALUES (%s, %s, %s)",  # noqa: S608
                [tree.size, event.pk, value],
            )
            for level, index, digest in tree.append(value):
                cursor.execute(
                    f"INSERT INTO {NODES} (level, index, hash) VALUES (%s, %s, %s)",  # noqa: S608
                    [level, index, digest],
                )
    return tree
