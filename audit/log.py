"""The audit log: written by `record_event` alone, verified by `verify_audit`.

Events are chained per declaration (or per shard for events without one), so writes to
different declarations never wait for each other. Each event carries an HMAC over its content
and its predecessor's HMAC; periodic checkpoints seal every chain head at once, so a deleted
tail or a rebuilt chain shows up too.
"""

import contextvars
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditCheckpoint, AuditEvent, AuditResult, ChainHead, writing

GENESIS = "0" * 64
SHARDS = 16

current_ip: contextvars.ContextVar = contextvars.ContextVar("audit_current_ip", default=None)

HASHED_FIELDS = [
    "chain",
    "seq",
    "prev_hash",
    "actor_id",
    "actor_name",
    "role",
    "organisation_id",
    "organisation_name",
    "action",
    "result",
    "declaration_id",
    "stage",
    "opinion",
    "digest",
    "ip",
    "details",
]


def _key() -> bytes:
    return (getattr(settings, "AUDIT_HMAC_KEY", "") or settings.SECRET_KEY).encode("utf-8")


def _sign(payload: dict) -> str:
    message = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


def event_hash(event: AuditEvent) -> str:
    payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["at"] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    return _sign(payload)


def chain_for(declaration_id: int | None, actor_id: int | None) -> str:
    if declaration_id:
        return f"declaration:{declaration_id}"
    return f"shard:{(actor_id or 0) % SHARDS}"


def _locked_head(chain: str) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # a new chain: create its head (or find a concurrent one's), then lock it
        ChainHead.objects.get_or_create(chain=chain)
        head = ChainHead.objects.select_for_update().get(chain=chain)
    return head


def _display_name(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def _jurisdiction_of(declaration, jurisdiction_id, organisation) -> int | None:
    """Whose auditors read the event: the declaration's jurisdiction, else the one given (a
    refusal: the actor's), else the organisation's."""
    if declaration is not None:
        return declaration.reporting_unit.jurisdiction_id
    if jurisdiction_id is not None:
        return jurisdiction_id
    return organisation.jurisdiction_id if organisation is not None else None


def record_event(
    *,
    action: str,
    actor=None,
    result: str = AuditResult.OK,
    declaration=None,
    declaration_id: int | None = None,
    jurisdiction_id: int | None = None,
    stage: str = "",
    opinion: str = "",
    digest: str = "",
    grant=None,
    role: str = "",
    organisation=None,
    details: dict | None = None,
    chain: str = "",
) -> AuditEvent:
    """Append one event to its chain. The only function that writes audit rows.

    `grant` is the membership the actor acted under (it gives the role and organisation
    recorded). The event is stamped with the jurisdiction whose auditors read it."""
    if grant is not None:
        role, organisation = grant.role, grant.organisation
    declaration_id = declaration.pk if declaration is not None else declaration_id
    jurisdiction_id = _jurisdiction_of(declaration, jurisdiction_id, organisation)
    actor_id = actor.pk if actor is not None else None
    # Inside a caller's transaction (a service's) no savepoint: a failure here fails it anyway.
    with transaction.atomic(savepoint=False):
        chain = chain or chain_for(declaration_id, actor_id)
        head = _locked_head(chain)
        event = AuditEvent(
            chain=chain,
            seq=head.seq + 1,
            prev_hash=head.hash or GENESIS,
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=_display_name(actor),
            role=role,
            organisation_id=organisation.pk if organisation is not None else None,
            organisation_name=str(organisation) if organisation is not None else "",
            action=action,
            result=result,
            declaration_id=declaration_id,
            jurisdiction_id=jurisdiction_id,
            stage=stage,
            opinion=opinion,
            digest=digest,
            ip=current_ip.get(),
            details=details or {},
        )
        event.hash = event_hash(event)
        with writing(event):
            event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash", "updated_at"])
    return event


def record_events(entries: list[dict]) -> list[AuditEvent]:
    """Append many system events at once (a sweep's batch): the heads of their chains locked
    in one statement, the events inserted in one, the heads moved on in one. Each entry holds
    record_event's arguments `action`, `declaration`, `stage` and `details`; the actor is the
    system."""
    if not entries:
        return []
    at = timezone.now()
    events = [
        AuditEvent(
            chain=chain_for(entry["declaration"].pk, None),
            at=at,
            actor_id=None,
            actor_name=_display_name(None),
            role="",
            organisation_id=None,
            organisation_name="",
            action=entry["action"],
            result=AuditResult.OK,
            declaration_id=entry["declaration"].pk,
            jurisdiction_id=_jurisdiction_of(entry["declaration"], None, None),
            stage=entry.get("stage", ""),
            opinion="",
            digest="",
            ip=current_ip.get(),
            details=entry.get("details") or {},
        )
        for entry in entries
    ]
    with transaction.atomic(savepoint=False):
        heads = _locked_heads(sorted({event.chain for event in events}))
        for event in events:  # in order: within a chain, ids then grow with seq
            head = heads[event.chain]
            event.seq, event.prev_hash = head.seq + 1, head.hash or GENESIS
            event.hash = event_hash(event)
            head.seq, head.hash, head.updated_at = event.seq, event.hash, at
        with writing(events):
            AuditEvent.objects.bulk_create(events)
        # Moved on in one statement (an upsert of rows this transaction holds locked; Django's
        # bulk_update would build a CASE per row and field).
        ChainHead.objects.bulk_create(
            heads.values(),
            update_conflicts=True,
            unique_fields=["chain"],
            update_fields=["seq", "hash", "updated_at"],
        )
    return events


def _locked_heads(chains: list[str]) -> dict[str, ChainHead]:
    """The heads of these chains (created where missing), locked in chain order."""
    ChainHead.objects.bulk_create([ChainHead(chain=c) for c in chains], ignore_conflicts=True)
    locked = ChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")
    return {head.chain: head for head in locked}


# --- Refusals ------------------------------------------------------------------------------------

_deferred: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "audit_deferred_refusals", default=None
)


def record_refusal(
    *,
    actor,
    action: str,
    reason: str,
    jurisdiction_id: int | None,
    declaration_id: int | None = None,
    stage: str = "",
    grant=None,
    details: dict | None = None,
) -> None:
    """Record a refused attempt on the actor's own chain (with the membership in which they
    acted, when there is one). Inside `refusals_survive_rollback` it is written when that block
    ends, after the refused change has rolled back."""
    refusal = {
        "action": action,
        "actor": actor,
        "grant": grant,
        "result": AuditResult.REFUSED,
        "declaration_id": declaration_id,
        "jurisdiction_id": jurisdiction_id,
        "stage": stage,
        "details": {"reason": reason, **(details or {})},
        "chain": f"actor:{actor.pk if actor is not None else 0}",
    }
    pending = _deferred.get()
    if pending is None:
        record_event(**refusal)
    else:
        pending.append(refusal)


@contextmanager
def refusals_survive_rollback() -> Iterator[None]:
    """Around a service's transaction: refusals recorded inside it are written once it has
    ended (committed or rolled back), so a refusal is never rolled back with what it refused."""
    outer = _deferred.get()
    pending: list[dict] = []
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        if outer is not None:
            outer.extend(pending)
        else:
            for refusal in pending:
                record_event(**refusal)


# --- Checkpoints ------------------------------------------------------------------------------


def _checkpoint_hash(at, heads: dict, prev_hash: str) -> str:
    return _sign(
        {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "heads": heads,
            "prev_hash": prev_hash,
        }
    )


@transaction.atomic
def write_checkpoint() -> AuditCheckpoint:
    """Seal every chain head as it stands now, chained to the previous checkpoint."""
    heads = {h.chain: [h.seq, h.hash] for h in ChainHead.objects.order_by("chain") if h.seq}
    previous = AuditCheckpoint.objects.select_for_update().order_by("-pk").first()
    prev_hash = previous.hash if previous else GENESIS
    at = timezone.now()
    return AuditCheckpoint.objects.create(
        at=at, heads=heads, prev_hash=prev_hash, hash=_checkpoint_hash(at, heads, prev_hash)
    )


# --- Verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong; `event_id` names the first bad event, if any."""

    chain: str
    message: str
    event_id: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = (
            f"event #{self.event_id} ({self.chain} seq {self.seq})" if self.event_id else self.chain
        )
        return f"{where}: {self.message}"


def _inserted_later(chain: str) -> set[int]:
    """Ids of events written after an event that comes later in the chain.

    A chain is appended under its head's lock, so its ids grow with its sequence; an event whose
    id is larger than that of any later event was put in afterwards.
    """
    ids = list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("pk", flat=True))
    suspects, smallest_later = set(), None
    for pk in reversed(ids):
        if smallest_later is not None and pk > smallest_later:
            suspects.add(pk)
        smallest_later = pk if smallest_later is None else min(smallest_later, pk)
    return suspects


def _verify_chain(chain: str, head: ChainHead | None) -> Iterator[Problem]:
    expected_seq, prev_hash, last_hash = 1, GENESIS, GENESIS
    inserted = _inserted_later(chain)
    events = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000)
    for event in events:

        def problem(message: str, event=event) -> Problem:
            return Problem(chain, message, event.pk, event.seq)

        if event.seq != expected_seq:
            yield problem(f"sequence jumps from {expected_seq - 1} to {event.seq}: events deleted")
        elif event.prev_hash != prev_hash:
            yield problem("previous-hash link broken: an event before it was changed or removed")
        if event_hash(event) != event.hash:
            yield problem("content does not match its hash: the row was changed or forged")
        if event.pk in inserted:
            yield problem("written out of order: the row was inserted after later events")
        expected_seq, prev_hash, last_hash = event.seq + 1, event.hash, event.hash
    last_seq = expected_seq - 1
    if head is None and last_seq:
        yield Problem(chain, "chain has events but no head: the head was removed")
    elif head is not None and (head.seq, head.hash or GENESIS) != (last_seq, last_hash):
        yield Problem(
            chain, f"head says seq {head.seq} but the chain ends at seq {last_seq}: events deleted"
        )


def _verify_checkpoints() -> Iterator[Problem]:
    prev_hash = GENESIS
    for checkpoint in AuditCheckpoint.objects.order_by("pk").iterator():
        name = f"checkpoint:{checkpoint.pk}"
        if checkpoint.prev_hash != prev_hash:
            yield Problem(name, "checkpoint chain broken: a checkpoint was removed or changed")
        if (
            _checkpoint_hash(checkpoint.at, checkpoint.heads, checkpoint.prev_hash)
            != checkpoint.hash
        ):
            yield Problem(name, "checkpoint content does not match its hash")
        for chain, (seq, digest) in checkpoint.heads.items():
            sealed = AuditEvent.objects.filter(chain=chain, seq=seq).values_list("hash", flat=True)
            if list(sealed) != [digest]:
                yield Problem(
                    chain, f"{name} sealed seq {seq} with another hash: the chain was rewritten"
                )
        prev_hash = checkpoint.hash


def verify_audit() -> list[Problem]:
    """Every problem in the log, the first bad event first."""
    heads = {head.chain: head for head in ChainHead.objects.all()}
    chains = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    problems: list[Problem] = []
    for chain in sorted(chains):
        problems.extend(_verify_chain(chain, heads.get(chain)))
    problems.extend(_verify_checkpoints())
    return sorted(problems, key=lambda p: (p.event_id is None, p.event_id or 0, p.chain))
