"""The audit log: written by `record_event` alone, verified by audit.verification.

Events are chained per declaration (or per shard for events without one), so writes to
different declarations never wait for each other. Each event carries an HMAC over its content
and its predecessor's HMAC; periodic checkpoints seal every chain head at once, so a deleted
tail or a rebuilt chain shows up too.
"""

import contextvars
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditCheckpoint, AuditEvent, AuditResult, ChainHead, writing
from audit.sql import binary_cursor

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
    return _fields_hash({name: getattr(event, name) for name in HASHED_FIELDS}, event.at)


def _fields_hash(fields: dict, at) -> str:
    """The HMAC of an event given as its hashed fields (a dict holding at least HASHED_FIELDS)
    and its time: what event_hash gives for the AuditEvent with these values."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
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


# --- Bulk loading of generated chains ------------------------------------------------------------

# The columns a loaded event fills; id comes from the table's sequence, in the order written.
_LOADED_COLUMNS = [*HASHED_FIELDS, "hash", "at", "jurisdiction_id"]


def _loaded_row(fields: Mapping) -> tuple:
    """An event as COPY writes it: its _LOADED_COLUMNS in order, the details as JSON text."""
    return tuple(
        json.dumps(fields[c], ensure_ascii=False) if c == "details" else fields[c]
        for c in _LOADED_COLUMNS
    )


def _chain_rows(chain: str, events: Iterable[dict]) -> tuple[list[tuple], ChainHead]:
    rows, seq, prev_hash = [], 0, GENESIS
    for fields in events:
        seq += 1
        event = AuditEvent(chain=chain, seq=seq, prev_hash=prev_hash, **fields)
        event.hash = event_hash(event)
        rows.append(_loaded_row(vars(event)))
        prev_hash = event.hash
    return rows, ChainHead(chain=chain, seq=seq, hash=prev_hash)


def load_chains(chains: Iterable[tuple[str, Iterable[dict]]]) -> int:
    """Write whole new chains at once, each event hashed and linked exactly as record_event
    does it: for generated data sets (the benchmark) only, on PostgreSQL (COPY).

    Each event is a dict of AuditEvent fields without chain, seq, prev_hash and hash (`at`
    included); the chains must not exist yet, and producing them must not query the database
    (the connection is busy copying). Returns the number of events written."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("load_chains needs PostgreSQL (COPY).")
    now, written = timezone.now(), 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        events_sql = f"COPY {AuditEvent._meta.db_table} ({', '.join(_LOADED_COLUMNS)}) FROM STDIN"
        heads_sql = f"COPY {ChainHead._meta.db_table} (chain, seq, hash, updated_at) FROM STDIN"
        heads: list[ChainHead] = []
        with raw.copy(events_sql) as copy:
            for chain, events in chains:
                rows, head = _chain_rows(chain, events)
                for row in rows:
                    copy.write_row(row)
                written += len(rows)
                heads.append(head)
        with raw.copy(heads_sql) as copy:
            for head in heads:
                copy.write_row((head.chain, head.seq, head.hash, now))
    return written


def record_events(entries: list[dict]) -> int:
    """Append many system events at once (a sweep's batch): the heads of their chains locked
    in one statement, the events inserted in one (COPY on PostgreSQL), the heads moved on in
    one. Each entry holds record_event's arguments `action`, `stage` and `details`, and either
    `declaration` or `declaration_id` with `jurisdiction_id` (what the event is stamped with);
    the actor is the system. Returns the number of events written."""
    if not entries:
        return 0
    at = timezone.now()
    ip = current_ip.get()
    system = _display_name(None)
    rows = []
    for entry in entries:
        declaration = entry.get("declaration")
        if declaration is not None:
            declaration_id = declaration.pk
            jurisdiction_id = _jurisdiction_of(declaration, None, None)
        else:
            declaration_id, jurisdiction_id = entry["declaration_id"], entry["jurisdiction_id"]
        rows.append(
            {
                "chain": chain_for(declaration_id, None),
                "actor_id": None,
                "actor_name": system,
                "role": "",
                "organisation_id": None,
                "organisation_name": "",
                "action": entry["action"],
                "result": AuditResult.OK,
                "declaration_id": declaration_id,
                "jurisdiction_id": jurisdiction_id,
                "stage": entry.get("stage", ""),
                "opinion": "",
                "digest": "",
                "ip": ip,
                "details": entry.get("details") or {},
                "at": at,
            }
        )
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(savepoint=False):
        chains = sorted({row["chain"] for row in rows})
        heads = _locked_heads_sql(chains, at) if postgres else _locked_heads_orm(chains)
        for row in rows:  # in order: within a chain, ids then grow with seq
            seq, prev_hash = heads[row["chain"]]
            row["seq"], row["prev_hash"] = seq + 1, prev_hash or GENESIS
            row["hash"] = _fields_hash(row, at)
            heads[row["chain"]] = (row["seq"], row["hash"])
        if postgres:
            _copy_events(rows)
            _move_heads_sql(heads, at)
        else:
            _insert_events_orm(rows, heads, at)
    return len(rows)


def _locked_heads_orm(chains: list[str]) -> dict[str, tuple[int, str]]:
    """The (seq, hash) of these chains' heads (created where missing), locked in chain order."""
    ChainHead.objects.bulk_create([ChainHead(chain=c) for c in chains], ignore_conflicts=True)
    locked = ChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")
    return {head.chain: (head.seq, head.hash) for head in locked}


def _insert_events_orm(rows: list[dict], heads: dict[str, tuple[int, str]], at) -> None:
    events = [AuditEvent(**row) for row in rows]
    with writing(events):
        AuditEvent.objects.bulk_create(events)
    # Moved on in one statement (an upsert of rows this transaction holds locked; Django's
    # bulk_update would build a CASE per row and field).
    ChainHead.objects.bulk_create(
        [ChainHead(chain=c, seq=seq, hash=h, updated_at=at) for c, (seq, h) in heads.items()],
        update_conflicts=True,
        unique_fields=["chain"],
        update_fields=["seq", "hash", "updated_at"],
    )


_HEADS = ChainHead._meta.db_table


def _locked_heads_sql(chains: list[str], at) -> dict[str, tuple[int, str]]:
    """_locked_heads_orm in plain statements (PostgreSQL), without model instances: the heads
    locked, and only those missing created (another transaction may create one meanwhile,
    hence ON CONFLICT) and then locked. Every chain of a sweep's batch has a head already (its
    declaration's creation began it): creating them first cost a statement over all of them."""
    with binary_cursor() as cursor:
        heads = _lock_heads(cursor, chains)
        missing = [chain for chain in chains if chain not in heads]
        if missing:
            cursor.execute(
                f"INSERT INTO {_HEADS} (chain, seq, hash, updated_at) "  # noqa: S608
                "SELECT c, 0, '', %s FROM unnest(%b::varchar[]) AS c "
                "ON CONFLICT (chain) DO NOTHING",
                [at, missing],
                binary=True,
            )
            heads.update(_lock_heads(cursor, missing))
        return heads


def _lock_heads(cursor, chains: list[str]) -> dict[str, tuple[int, str]]:
    cursor.execute(
        f"SELECT chain, seq, hash FROM {_HEADS} WHERE chain = ANY(%b::varchar[]) "  # noqa: S608
        "ORDER BY chain FOR UPDATE",
        [chains],
        binary=True,
    )
    return {chain: (seq, hash_) for chain, seq, hash_ in cursor.fetchall()}


def _move_heads_sql(heads: dict[str, tuple[int, str]], at) -> None:
    chains = list(heads)
    with binary_cursor() as cursor:
        cursor.execute(
            f"UPDATE {_HEADS} AS h SET seq = v.seq, hash = v.hash, updated_at = %s "  # noqa: S608
            "FROM unnest(%b::varchar[], %b::bigint[], %b::varchar[]) AS v(chain, seq, hash) "
            # The ANY lets it find the heads by index: joined alone, it scans them all.
            "WHERE h.chain = v.chain AND h.chain = ANY(%b::varchar[])",
            [at, chains, [heads[c][0] for c in chains], [heads[c][1] for c in chains], chains],
            binary=True,
        )


def _copy_events(rows: list[dict]) -> None:
    """Insert the events with COPY, in order (ids from the table's sequence grow with it)."""
    sql = f"COPY {AuditEvent._meta.db_table} ({', '.join(_LOADED_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(_loaded_row(row))


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
