"""seal_checkpoint folds the events without a leaf into the Merkle tree, signs the new root
with the log's own key and anchors the note outside the database; with nothing new it writes
nothing."""

import threading
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction

from audit import anchors
from audit.checkpoints import seal_checkpoint
from audit.keys import current_log, signing_key
from audit.leaves import DatabaseStore, event_leaf_hash
from audit.log import record_event
from audit.merkle import inclusion_proof, root, verify_inclusion
from audit.models import AuditAction, AuditEvent, AuditLeaf, AuditNode, SignedCheckpoint
from audit.signing import parse_and_verify
from review import services as review
from tests.review.helpers import EZ, user

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return (
        AuditLeaf.objects.count(),
        AuditNode.objects.count(),
        SignedCheckpoint.objects.count(),
    )


def _anchored(log_id: str) -> list[str]:
    return anchors.read(settings.AUDIT_ANCHOR_DIR, log_id)


def test_seal_checkpoint_folds_events_signs_and_anchors(history):
    """Every event gets a leaf in id order; the signed root is the Merkle root of those leaves,
    verifies with the log's public key, and the same note is in the anchor store."""
    events = list(AuditEvent.objects.order_by("pk"))
    sealed = seal_checkpoint()

    checkpoint = sealed.checkpoint
    assert sealed.added == len(events) == checkpoint.size
    leaves = list(AuditLeaf.objects.order_by("position"))
    assert [leaf.event_id for leaf in leaves] == [event.pk for event in events]
    assert [bytes(leaf.hash) for leaf in leaves] == [event_leaf_hash(e) for e in events]
    expected_root = root([event_leaf_hash(e) for e in events])
    assert checkpoint.root == expected_root.hex()

    log = current_log()
    verified = parse_and_verify(checkpoint.note, signing_key().public_key())
    assert (verified.size, verified.root, verified.log_id) == (
        len(events),
        expected_root,
        log.log_id,
    )
    assert _anchored(log.log_id) == [checkpoint.note]


def test_a_second_run_with_nothing_new_writes_nothing(history):
    """Run again with no new event: no leaf, node, checkpoint or anchor is added."""
    first = seal_checkpoint().checkpoint
    counts = _counts()

    again = seal_checkpoint()

    assert (again.added, again.checkpoint) == (0, first)
    assert _counts() == counts
    assert _anchored(current_log().log_id) == [first.note]


def test_new_events_extend_the_tree_and_old_proofs_still_hold(history):
    """Events written after a checkpoint join the tree at the next run; an event sealed in the
    first checkpoint is proven against the second from the stored subtrees."""
    first = seal_checkpoint().checkpoint
    review.declaration_comment(actor=user(EZ.preparer), declaration_id=history.pk, text="补充说明")
    second = seal_checkpoint()

    assert second.added == 1
    assert second.checkpoint.size == first.size + 1
    assert _anchored(current_log().log_id) == [first.note, second.checkpoint.note]
    store = DatabaseStore()
    leaf = AuditLeaf.objects.get(position=0)
    proof = inclusion_proof(store, 0, second.checkpoint.size)
    assert verify_inclusion(
        bytes(leaf.hash), 0, second.checkpoint.size, proof, bytes.fromhex(second.checkpoint.root)
    )


def test_audit_checkpoint_command_prints_size_and_root(history):
    """`python manage.py audit_checkpoint` seals and prints the tree's size and root."""
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    checkpoint = SignedCheckpoint.objects.get()
    assert f"树大小 {checkpoint.size}" in out.getvalue()
    assert checkpoint.root in out.getvalue()


def test_a_failing_anchor_store_leaves_no_checkpoint(history, settings, tmp_path):
    """If the note cannot be anchored, the run fails and the database keeps no checkpoint that
    the anchor store does not hold."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the anchor directory should be")
    settings.AUDIT_ANCHOR_DIR = str(blocked)
    with pytest.raises(FileExistsError):
        seal_checkpoint()
    assert _counts() == (0, 0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkpointers_at_once_give_each_event_one_position():
    """Two checkpointers started together (two threads, two connections): the second waits for
    the first, finds nothing new and writes nothing; positions stay dense, each event has one."""
    for number in range(40):
        record_event(action=AuditAction.VIEW, chain=f"bench:{number % 4}", details={"n": number})
    barrier = threading.Barrier(2)
    results: list = []

    def checkpointer():
        try:
            barrier.wait()
            results.append(seal_checkpoint())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=checkpointer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = AuditEvent.objects.count()  # the 40 and whatever the database held before
    assert sorted(sealed.added for sealed in results) == [0, total]
    positions = list(AuditLeaf.objects.order_by("position").values_list("position", "event_id"))
    assert [position for position, _ in positions] == list(range(total))
    assert sorted(event for _, event in positions) == sorted(
        AuditEvent.objects.values_list("pk", flat=True)
    )
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [total]
    assert len(_anchored(current_log().log_id)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_after_a_later_one_was_sealed_gets_its_leaf_next_time():
    """A slow transaction takes an event id, a faster one commits a later id and is sealed; when
    the slow one commits, the next run still gives its event a leaf (after the later one)."""
    taken, release = threading.Event(), threading.Event()
    slow_event: list[int] = []

    def slow_writer():
        try:
            with transaction.atomic():
                slow_event.append(record_event(action=AuditAction.VIEW, chain="slow").pk)
                taken.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert taken.wait(timeout=30)
    fast = record_event(action=AuditAction.VIEW, chain="fast")
    assert fast.pk > slow_event[0]
    first = seal_checkpoint()
    assert not AuditLeaf.objects.filter(event_id=slow_event[0]).exists()
    release.set()
    thread.join()

    second = seal_checkpoint()

    assert second.added == 1
    leaf = AuditLeaf.objects.get(event_id=slow_event[0])
    assert leaf.position == first.checkpoint.size
    assert AuditLeaf.objects.get(event_id=fast.pk).position < leaf.position
