"""What an audit event's Merkle leaf holds, and the database as the tree's `SubtreeStore`.

`event_leaf_fields` is the one definition of a leaf: the checkpointer hashes it, the proof
bundle ships it, and tools/verify_audit_bundle.py rehashes exactly what it is given, so the
three cannot drift apart.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from django.db.models import Q

from audit.merkle import canonical_leaf_data, leaf_hash
from audit.models import AuditEvent, AuditLeaf, AuditNode

# Everything an event records. The jurisdiction is included although it is derived (from the
# declaration, else the organisation): it decides which auditors read the event, so moving an
# event out of an auditor's sight must show, like any other change.
LEAF_FIELDS = (
    "id",
    "chain",
    "seq",
    "prev_hash",
    "hash",
    "at",
    "actor_id",
    "actor_name",
    "role",
    "organisation_id",
    "organisation_name",
    "jurisdiction_id",
    "action",
    "result",
    "declaration_id",
    "stage",
    "opinion",
    "digest",
    "ip",
    "details",
)


def format_at(at: datetime) -> str:
    """An event's time as its leaf records it: UTC, ISO 8601, microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_leaf_fields(event: AuditEvent | Mapping[str, object]) -> dict:
    """The fields an event's leaf hashes, from a model instance or a `.values()` row."""
    if isinstance(event, Mapping):
        fields = {name: event[name] for name in LEAF_FIELDS}
    else:
        fields = {name: getattr(event, name) for name in LEAF_FIELDS}
    at = fields["at"]
    if not isinstance(at, datetime):
        raise TypeError("an audit event's time must be a datetime")
    fields["at"] = format_at(at)
    return fields


def event_leaf_hash(event: AuditEvent | Mapping[str, object]) -> bytes:
    """The RFC 9162 leaf hash of an event."""
    return leaf_hash(canonical_leaf_data(event_leaf_fields(event)))


class DatabaseStore:
    """The Merkle tree as the database holds it: leaves in AuditLeaf, subtrees in AuditNode."""

    def subtree_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hashes of the stored perfect subtrees at these (level, index), in order."""
        if not nodes:
            return []
        wanted = Q()
        for level, index in nodes:
            wanted |= Q(level=level, index=index)
        found = {
            (level, index): bytes(value)
            for level, index, value in AuditNode.objects.filter(wanted).values_list(
                "level", "index", "hash"
            )
        }
        try:
            return [found[node] for node in nodes]
        except KeyError as missing:
            raise LookupError(f"the audit tree holds no subtree at {missing.args[0]}") from None

    def leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """Leaf hashes at positions [start, stop), in order."""
        rows = AuditLeaf.objects.filter(position__gte=start, position__lt=stop).order_by("position")
        return [bytes(value) for value in rows.values_list("hash", flat=True)]

    def size(self) -> int:
        """How many leaves the tree holds (positions are dense from 0)."""
        last = AuditLeaf.objects.order_by("-position").values_list("position", flat=True).first()
        return 0 if last is None else last + 1
