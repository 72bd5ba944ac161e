"""Proof bundles: a declaration's events with their inclusion proofs and a signed checkpoint.

The format is documented in tools/verify_audit_bundle.py, the standalone script that checks
a bundle offline; this module builds one from any `SubtreeStore`, so the API endpoint and the
tests produce exactly what that script reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from audit.merkle import SubtreeStore, canonical_leaf_data, inclusion_proof, leaf_hash

FORMAT = "perf-approvals-audit-proof/1"


def build_bundle(
    *,
    log_id: str,
    checkpoint_note: str,
    size: int,
    events: Sequence[tuple[int, Mapping[str, object]]],
    store: SubtreeStore,
    public_key_hint: str | None = None,
) -> dict:
    """The bundle proving `events` ((leaf index, canonical fields) pairs) against the
    checkpoint of `size` leaves whose signed note is `checkpoint_note`."""
    bundle: dict = {"format": FORMAT, "log_id": log_id, "checkpoint": checkpoint_note}
    if public_key_hint:
        bundle["public_key_hint"] = public_key_hint
    bundle["events"] = [
        {
            "event": dict(fields),
            "leaf_index": index,
            "leaf_hash": leaf_hash(canonical_leaf_data(fields)).hex(),
            "inclusion_proof": [node.hex() for node in inclusion_proof(store, index, size)],
        }
        for index, fields in events
    ]
    return bundle
