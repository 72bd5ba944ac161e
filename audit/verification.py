"""Verification of the audit log, in one streaming pass, against its signed checkpoints and the
anchors kept outside the database.

- Leaves are read in position order with their events (a server-side cursor, tuples, a few
  thousand rows at a time): each event's leaf hash and HMAC are recomputed from its content,
  each chain's sequence and links are followed (a dict of chain heads, not a query per chain),
  and the Merkle root (a `CompactRange`, O(log n) memory) is compared with every signed
  checkpoint as the tree reaches its size.
- Every checkpoint's signature is checked with the log's public key, in the database and in
  the anchor store; an anchored checkpoint the database does not hold with the same root (a cut
  tail, emptied tables, an older copy restored) is a failure naming that checkpoint.
- Events newer than the last checkpoint (no leaf yet) are checked by their HMAC chain alone:
  whoever controls the database can still cut those, which is the window the README states.
- `since=SIZE` starts from a verified checkpoint's compact range (O(log n) stored subtrees),
  and checks only the leaves after it.

Canonical JSON comes from orjson for speed; whenever its bytes give another hash, the standard
library's `json` (what the writers use) decides, so orjson can never make a good event fail or
a bad one pass.
"""

import hashlib
import hmac
import json
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from audit import anchors
from audit.checkpoints import LATE_COMMIT_SLACK
from audit.keys import signing_key
from audit.leaves import LEAF_FIELDS, DatabaseStore, format_at
from audit.log import GENESIS, HASHED_FIELDS, _checkpoint_hash, _key
from audit.merkle import LEAF_PREFIX, CompactRange
from audit.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditLeaf,
    AuditLog,
    ChainHead,
    SignedCheckpoint,
    VerificationRun,
)
from audit.signing import NoteError, parse_and_verify

CHUNK = 5000
# Chunks the reader thread may hold ready: bounds memory at a few times CHUNK rows.
READ_AHEAD = 2
EVENT_FIELDS = LEAF_FIELDS
_SORTED = orjson.OPT_SORT_KEYS
# The HMAC covers the leaf's fields but these (and "at", which both cover).
_NOT_IN_HMAC = [name for name in LEAF_FIELDS if name not in HASHED_FIELDS and name != "at"]


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong; `event_id` names the bad event, if there is one."""

    where: str
    message: str
    event_id: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        if self.event_id:
            return f"事件 #{self.event_id}（{self.where} 第 {self.seq} 条）：{self.message}"
        return f"{self.where}：{self.message}"


@dataclass
class Outcome:
    """What a verification run checked and found."""

    problems: list[Problem] = field(default_factory=list)
    events: int = 0
    checkpoints: int = 0
    anchors: int = 0
    tree_size: int = 0
    since: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


class VerificationError(ValueError):
    """Verification cannot start (a bad --since, no public key); message in Chinese."""


def verify_audit(
    *,
    since: int | None = None,
    public_key: Ed25519PublicKey | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Problem]:
    """Every problem in the log, the first bad event first."""
    return verify_log(since=since, public_key=public_key, progress=progress).problems


def verify_log(
    *,
    since: int | None = None,
    public_key: Ed25519PublicKey | None = None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Verify the log (everything, or what is new after checkpoint `since`)."""
    started = time.perf_counter()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One consistent snapshot: writers and the checkpointer go on meanwhile.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                # Every row of each cursor is read: plan for all of them, not the first tenth
                # (a fast-start plan walks an index and looks each event up, many times slower).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        outcome = _Run(public_key or _public_key(), since, progress).run()
    outcome.seconds = time.perf_counter() - started
    outcome.problems.sort(key=lambda p: (p.event_id is None, p.event_id or 0, p.where))
    return outcome


def latest_verification() -> VerificationRun | None:
    """The newest recorded run of `verify_audit`, for the auditor's page."""
    return VerificationRun.objects.order_by("-at", "-pk").first()


def _public_key() -> Ed25519PublicKey:
    """The log's public key, from its signing key (a verifier without it gives the public key)."""
    return signing_key().public_key()


class _Run:
    def __init__(self, public_key: Ed25519PublicKey, since: int | None, progress) -> None:
        self.key = public_key
        self.since = since
        self.progress = progress or (lambda n: None)
        self.outcome = Outcome(since=since)
        self.problems = self.outcome.problems
        self.hmac_key = _key()
        self.chains: dict[str, tuple[int, str]] = {}
        self.unlinked: list[tuple[str, int, str, int]] = []
        self.legacy: dict[tuple[str, int], tuple[str, int]] = {}
        self.roots: dict[int, list[tuple[bytes, str]]] = {}
        self.log = AuditLog.objects.filter(pk=1).first()

    # --- the run -------------------------------------------------------------------------

    def run(self) -> Outcome:
        db_roots = self._database_checkpoints()
        self._anchored_checkpoints(db_roots)
        if self.since is None:
            self._legacy_checkpoints()
        tree = self._start_tree(db_roots)
        self._stream_leaves(tree)
        self._stream_pending()
        self._check_unlinked()
        if self.since is None:
            self._check_heads()
            for (chain, seq), (_digest, checkpoint) in self.legacy.items():
                self._problem(
                    f"旧检查点 {checkpoint}", f"封存了 {chain} 第 {seq} 条，该事件已不存在"
                )
        self.outcome.tree_size = tree.size
        return self.outcome

    def _problem(self, where: str, message: str, event_id=None, seq=None) -> None:
        self.problems.append(Problem(where, message, event_id, seq))

    # --- checkpoints and anchors ---------------------------------------------------------

    def _database_checkpoints(self) -> dict[int, bytes]:
        """Signed roots of the database's checkpoints, by size (each signature checked)."""
        roots: dict[int, bytes] = {}
        rows = SignedCheckpoint.objects.order_by("size").values_list(
            "size", "root", "at", "note", "log_id"
        )
        for size, root, at, note, log_id in rows.iterator(chunk_size=CHUNK):
            where = _checkpoint_name(size, at)
            self.outcome.checkpoints += 1
            try:
                signed = parse_and_verify(note, self.key)
            except NoteError as error:
                self._problem(where, f"签名无效：{error}")
                continue
            if (signed.size, signed.root.hex()) != (size, root):
                self._problem(where, "数据库中的树大小或根哈希与签名内容不符：检查点行被改动")
                continue
            if self.log is None or signed.log_id != self.log.log_id or log_id != signed.log_id:
                self._problem(where, "检查点属于另一个日志：它不是本数据库的检查点")
                continue
            roots[size] = signed.root
            self._expect(size, signed.root, where)
        return roots

    def _anchored_checkpoints(self, db_roots: dict[int, bytes]) -> None:
        """Every anchored checkpoint of this log verifies and is held by the database."""
        directory = settings.AUDIT_ANCHOR_DIR
        if self.log is None:
            for path in sorted(_anchor_files(directory)):
                log_id = path.name.removesuffix(anchors.SUFFIX)
                notes = anchors.read(directory, log_id)
                if notes:
                    self._problem(
                        f"锚点文件 {path.name}",
                        f"数据库中没有审计日志标识，锚点目录却保存着日志 {log_id} 的 "
                        f"{len(notes)} 个检查点：审计表被清空，或这个数据库不是这些锚点所属的那个",
                    )
            return
        for note in anchors.iter_notes(directory, self.log.log_id):
            self.outcome.anchors += 1
            try:
                signed = parse_and_verify(note, self.key)
            except NoteError as error:
                self._problem("锚点中的检查点", f"签名无效：{error}")
                continue
            where = f"锚定的{_checkpoint_name(signed.size, signed.at)}"
            held = db_roots.get(signed.size)
            if held is None:
                self._problem(
                    where,
                    "数据库中没有这个检查点：数据库少于锚点封存的内容"
                    "（尾部被截断、审计表被清空或恢复了旧副本）",
                )
            elif held != signed.root:
                self._problem(where, "数据库中同一树大小的检查点根哈希不同：日志被改写")
            self._expect(signed.size, signed.root, where)

    def _expect(self, size: int, root: bytes, where: str) -> None:
        if self.since is not None and size < self.since:
            return
        self.roots.setdefault(size, []).append((root, where))

    def _legacy_checkpoints(self) -> None:
        """The HMAC checkpoints of the first version: their chain, and the heads they sealed."""
        prev_hash = GENESIS
        for checkpoint in AuditCheckpoint.objects.order_by("pk").iterator(chunk_size=CHUNK):
            name = f"旧检查点 #{checkpoint.pk}"
            if checkpoint.prev_hash != prev_hash:
                self._problem(name, "检查点链断开：有检查点被删除或改动")
            expected = _checkpoint_hash(checkpoint.at, checkpoint.heads, checkpoint.prev_hash)
            if not hmac.compare_digest(expected, checkpoint.hash):
                self._problem(name, "检查点内容与其哈希不符：检查点被改动")
            for chain, (seq, digest) in checkpoint.heads.items():
                self.legacy[(chain, seq)] = (digest, checkpoint.pk)
            prev_hash = checkpoint.hash

    # --- the tree ------------------------------------------------------------------------

    def _start_tree(self, db_roots: dict[int, bytes]) -> CompactRange:
        if self.since is None:
            return CompactRange()
        if self.since not in db_roots:
            raise VerificationError(
                f"没有树大小为 {self.since} 且签名有效的检查点：--since 须是已签发的检查点的树大小"
            )
        try:
            tree = CompactRange.from_store(DatabaseStore(), self.since)
        except LookupError:
            tree = None
        if tree is None or tree.root() != db_roots[self.since]:
            raise VerificationError(
                f"检查点 {self.since} 处保存的子树哈希与其签名的根哈希不符："
                "请完整核验（不带 --since）"
            )
        return tree

    def _stream_leaves(self, tree: CompactRange) -> None:
        start = self.since or 0
        sizes = sorted(size for size in self.roots if size > start)
        with closing(_leaf_chunks(start)) as chunks:
            self._fold_leaves(tree, chunks, start, sizes)

    def _fold_leaves(self, tree: CompactRange, chunks: Iterator[list], start: int, sizes) -> None:
        expected_position, next_size = start, 0
        for chunk in chunks:
            for position, stored, *event in chunk:
                if position != expected_position:
                    self._problem(
                        f"叶 {expected_position}",
                        f"叶序号从 {expected_position - 1} 跳到 {position}：叶或其事件被删除",
                    )
                    expected_position = position
                    # The tree can no longer match any checkpoint: say so once, at each size.
                leaf = self._check_event(event, bytes(stored))
                tree.extend((leaf,))
                expected_position += 1
                while next_size < len(sizes) and sizes[next_size] == tree.size:
                    self._compare_root(tree)
                    next_size += 1
            self.progress(len(chunk))
        for size in sizes[next_size:]:
            for _root, where in self.roots[size]:
                self._problem(
                    where,
                    f"数据库中只有 {tree.size} 个叶，少于检查点封存的 {size} 个："
                    "尾部被截断或数据被清空",
                )

    def _compare_root(self, tree: CompactRange) -> None:
        root = tree.root()
        for signed, where in self.roots[tree.size]:
            if not hmac.compare_digest(root, signed):
                self._problem(
                    where,
                    "由事件重新计算的默克尔树根与签名的根哈希不符："
                    "此前的事件被改动、删除、插入或调换了顺序",
                )

    def _check_event(self, event: list, stored_leaf: bytes | None) -> bytes:
        """Check one event's HMAC and chain link; return its recomputed leaf hash."""
        fields = dict(zip(EVENT_FIELDS, event, strict=True))
        self.outcome.events += 1
        if not isinstance(fields["at"], str):
            fields["at"] = format_at(fields["at"])
        if isinstance(fields["details"], str):
            fields["details"] = orjson.loads(fields["details"])
        chain, seq, event_id = fields["chain"], fields["seq"], fields["id"]
        leaf = _leaf_hash(fields, stored_leaf)
        if stored_leaf is not None and leaf != stored_leaf:
            self._problem(chain, "内容与其叶哈希不符：事件被改动", event_id, seq)
        payload = fields.copy()
        for name in _NOT_IN_HMAC:
            del payload[name]
        if not _hmac_matches(self.hmac_key, payload, fields["hash"]):
            self._problem(chain, "内容与其 HMAC 不符：事件被改动或伪造", event_id, seq)
        self._follow_chain(chain, seq, fields["prev_hash"], fields["hash"], event_id)
        sealed = self.legacy.pop((chain, seq), None)
        if sealed is not None and sealed[0] != fields["hash"]:
            self._problem(chain, f"旧检查点 #{sealed[1]} 封存的哈希不同：链被改写", event_id, seq)
        return leaf

    def _follow_chain(self, chain: str, seq: int, prev_hash: str, digest: str, event_id) -> None:
        last = self.chains.get(chain)
        if last is None:
            if seq == 1:
                if prev_hash != GENESIS:
                    self._problem(chain, "链的第一条事件不指向创世哈希", event_id, seq)
            elif self.since is not None:
                self.unlinked.append((chain, seq, prev_hash, event_id))
            else:
                self._problem(chain, f"链从第 {seq} 条开始：之前的事件被删除", event_id, seq)
        elif seq != last[0] + 1:
            self._problem(
                chain, f"链序号从 {last[0]} 跳到 {seq}：有事件被删除或调换了顺序", event_id, seq
            )
        elif prev_hash != last[1]:
            self._problem(chain, "与前一事件的哈希链接断开：之前的事件被改动或删除", event_id, seq)
        self.chains[chain] = (seq, digest)

    def _stream_pending(self) -> None:
        """Events the checkpointer has not folded in yet: their HMAC chains alone, chain by
        chain in sequence order. Within a chain ids grow with the sequence (it is appended
        under its head's lock), so an id larger than a later event's was written afterwards."""
        sealed_up_to = AuditLeaf.objects.aggregate(last=Max("event_id"))["last"] or 0
        # A transaction that commits late leaves an older id without a leaf for a while; the
        # checkpointer looks back an hour for those, so only older ones are suspect.
        newest = SignedCheckpoint.objects.aggregate(at=Max("at"))["at"]
        late_until = newest - LATE_COMMIT_SLACK if newest is not None else None
        rows = (
            AuditEvent.objects.filter(leaf__isnull=True)
            .order_by("chain", "seq")
            .values_list(*EVENT_FIELDS)
            .iterator(chunk_size=CHUNK)
        )
        last: tuple[str, int, int] | None = None  # chain, largest id so far, its seq
        flagged: set[int] = set()
        for chunk in _chunks(rows, CHUNK):
            for event in chunk:
                event_id, chain, seq = event[0], event[1], event[2]
                self._check_event(list(event), None)
                if event_id < sealed_up_to and late_until is not None and event[5] < late_until:
                    self._inserted(chain, event_id, seq, "没有叶，编号却早于已封存的事件")
                if last is None or last[0] != chain or event_id > last[1]:
                    last = (chain, event_id, seq)
                elif last[1] not in flagged:
                    flagged.add(last[1])
                    self._inserted(chain, last[1], last[2], "编号大于链上其后的事件")
            self.progress(len(chunk))

    def _inserted(self, chain: str, event_id: int, seq: int, why: str) -> None:
        self._problem(chain, f"写入顺序不对（{why}）：行是事后插入的", event_id, seq)

    def _check_unlinked(self) -> None:
        """With --since: the first new event of each chain links to the chain's older event."""
        for batch in _chunks(iter(self.unlinked), 500):
            wanted = {
                (chain, seq - 1): (prev, event_id, seq) for chain, seq, prev, event_id in batch
            }
            found = dict.fromkeys(wanted, None)
            for chain in {chain for chain, _ in wanted}:
                seqs = [seq for c, seq in wanted if c == chain]
                for seq, digest in AuditEvent.objects.filter(chain=chain, seq__in=seqs).values_list(
                    "seq", "hash"
                ):
                    found[(chain, seq)] = digest
            for (chain, _seq), (prev, event_id, seq) in wanted.items():
                if found[(chain, seq - 1)] != prev:
                    self._problem(
                        chain, "与前一事件的哈希链接断开：之前的事件被改动或删除", event_id, seq
                    )

    def _check_heads(self) -> None:
        seen = set()
        for chain, seq, digest in ChainHead.objects.values_list("chain", "seq", "hash").iterator(
            chunk_size=CHUNK
        ):
            seen.add(chain)
            last = self.chains.get(chain, (0, GENESIS))
            if (seq, digest or GENESIS) != last:
                self._problem(
                    chain, f"链头记录到第 {seq} 条，链上的事件却止于第 {last[0]} 条：事件被删除"
                )
        for chain in self.chains.keys() - seen:
            self._problem(chain, "链上有事件却没有链头：链头被删除")


# --- reading ------------------------------------------------------------------------------


def _leaf_chunks(start: int) -> Generator[list, None, None]:
    """Rows of (position, leaf hash, *EVENT_FIELDS) from `start` on, in position order, in
    chunks of at most CHUNK; close it to stop the PostgreSQL reader thread early."""
    if connection.vendor == "postgresql":
        yield from _postgresql_leaf_chunks(start)
        return
    columns = ["position", "hash", *(f"event__{name}" for name in EVENT_FIELDS)]
    rows = (
        AuditLeaf.objects.filter(position__gte=start)
        .order_by("position")
        .values_list(*columns)
        .iterator(chunk_size=CHUNK)
    )
    yield from _chunks(rows, CHUNK)


# On PostgreSQL the rows come straight from a server-side cursor, with the time already in
# the leaf's text form and the details as JSON text: Django's per-value converters cost more
# than the hashing. The expressions give exactly what the ORM path (and format_at) gives.
_SQL_EXPRESSIONS = {
    "at": """to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""",
    "ip": "host(e.ip)",
    "details": "e.details::text",
}


def _postgresql_leaf_chunks(start: int) -> Iterator[list]:
    columns = ", ".join(
        _SQL_EXPRESSIONS.get(name, f"e.{connection.ops.quote_name(name)}") for name in EVENT_FIELDS
    )
    sql = (
        f"SELECT l.position, l.hash, {columns} "  # noqa: S608 (names from the models)
        f"FROM {AuditLeaf._meta.db_table} l "
        f"JOIN {AuditEvent._meta.db_table} e ON e.id = l.event_id "
        "WHERE l.position >= %s ORDER BY l.position"
    )
    raw = connection.connection

    def fetch(put: Callable[[list], bool]) -> None:
        with raw.cursor(name="audit_verify_leaves") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(sql, [start])
            while (rows := cursor.fetchmany(CHUNK)) and put(rows):
                pass

    # The fetched chunks as they come: splitting them into rows to gather them again would
    # cost a generator step per event.
    yield from _read_ahead(fetch)


def _read_ahead(fetch: Callable[[Callable[[list], bool]], None]) -> Iterator[list]:
    """The chunks `fetch` produces, read by a thread of their own a few chunks ahead.

    The server runs the query and the driver parses rows while this thread hashes: on a
    machine whose other core runs PostgreSQL that halves the wall time. psycopg releases the
    GIL while it waits, and the caller must not use the connection until the iteration ends.
    """
    chunks: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            fetch(put)
            put(done)
        except BaseException as error:  # handed to the reading thread, which raises it
            put(error)

    reader = threading.Thread(target=run, name="audit-verify-reader", daemon=True)
    reader.start()
    try:
        while (item := chunks.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


# --- hashing -------------------------------------------------------------------------------


def _leaf_hash(fields: dict, stored: bytes | None) -> bytes:
    fast = hashlib.sha256(LEAF_PREFIX + orjson.dumps(fields, option=_SORTED)).digest()
    if fast == stored:
        return fast
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    return hashlib.sha256(LEAF_PREFIX + canonical).digest()


def _hmac_matches(key: bytes, payload: dict, digest: str) -> bool:
    fast = hmac.digest(key, orjson.dumps(payload, option=_SORTED), "sha256").hex()
    if hmac.compare_digest(fast, digest):
        return True
    message = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    slow = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(slow, digest)


def _checkpoint_name(size: int, at: datetime) -> str:
    return f"检查点（树大小 {size}，签发于 {at:%Y-%m-%d %H:%M:%S}）"


def _anchor_files(directory) -> Iterable[Path]:
    path = Path(directory)
    return path.glob(f"*{anchors.SUFFIX}") if path.is_dir() else []


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
