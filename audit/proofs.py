"""A proof bundle for a set of events: their leaves, inclusion proofs and the newest signed
checkpoint, in the format tools/verify_audit_bundle.py checks offline (audit/bundle.py)."""

from django.db.models import QuerySet

from audit.bundle import FORMAT, build_bundle
from audit.leaves import LEAF_FIELDS, DatabaseStore, event_leaf_fields
from audit.models import AuditEvent, SignedCheckpoint


def newest_checkpoint() -> SignedCheckpoint | None:
    """The newest signed checkpoint, if the log has one."""
    return SignedCheckpoint.objects.order_by("-size").first()


def proof_bundle(events: QuerySet[AuditEvent]) -> dict:
    """The bundle proving `events` against the newest checkpoint. Events the checkpoint does
    not cover yet are counted in "pending", never silently left out."""
    checkpoint = newest_checkpoint()
    size = checkpoint.size if checkpoint is not None else 0
    rows = list(
        events.filter(leaf__position__lt=size)
        .order_by("leaf__position")
        .values(*LEAF_FIELDS, "leaf__position")
    )
    pending = events.count() - len(rows)
    if checkpoint is None:
        return {
            "format": FORMAT,
            "log_id": None,
            "checkpoint": None,
            "events": [],
            "pending": pending,
        }
    bundle = build_bundle(
        log_id=checkpoint.log_id,
        checkpoint_note=checkpoint.note,
        size=size,
        events=[(row["leaf__position"], event_leaf_fields(row)) for row in rows],
        store=DatabaseStore(),
        public_key_hint=checkpoint.verifier_key or None,
    )
    bundle["pending"] = pending
    return bundle
