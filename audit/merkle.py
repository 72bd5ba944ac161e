"""The audit log's Merkle tree: RFC 6962 / RFC 9162 hashing, a streaming root, proofs.

Plain Python (no Django), so the offline verifier, the database layer and the tests share it.

- Hashing (RFC 9162 §2.1.1): a leaf is SHA-256(0x00 || data), an interior node is
  SHA-256(0x01 || left || right), the empty tree is SHA-256 of nothing, and a tree of n > 1
  leaves splits at k, the largest power of two smaller than n.
- `CompactRange` keeps only the hashes of the perfect subtrees that cover the leaves seen so
  far (O(log n) memory), so a verifier can stream a million leaves and ask for the root at
  any size on the way.
- Proofs are read from a `SubtreeStore`: anything that knows the leaf hashes and the hash of
  every perfect subtree that is complete. `completed_subtrees` lists the subtrees a new leaf
  completes, so a table of them can be filled as leaves are appended; every proof then needs
  O(log n) reads, and a subtree never changes once complete, so proofs against older sizes
  come from the same rows. To place many leaves at once (at checkpoint time, say), start
  `CompactRange.from_store(store, first_position)` and `append` each leaf: every call returns
  the subtrees to store, without reading the store again.
- Proof verification follows RFC 9162 to the letter. The tree size is bound by the signed
  checkpoint, not by a proof: some sizes give paths of the same shape, and only the signed
  root tells them apart, so always take size and root from the same verified checkpoint.

Levels count from the leaves: a perfect subtree at (level, index) covers the leaves
[index * 2**level, (index + 1) * 2**level); level 0 is a single leaf.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Subtree(NamedTuple):
    """A perfect subtree: its level (0 = leaf), its index within the level, its hash."""

    level: int
    # A field may be named index (Python allows it); mypy takes it for an override of
    # tuple.index. Nothing calls tuple.index on a Subtree, and the name is RFC 9162's.
    index: int  # type: ignore[assignment]
    hash: bytes


class SubtreeStore(Protocol):
    """Where proofs read hashes from (a database table, or `MemoryStore` in tests)."""

    def subtree_hashes(self, nodes: Sequence[tuple[int, int]]) -> Sequence[bytes]:
        """Hashes of the complete perfect subtrees at these (level >= 1, index), in order.

        Raise LookupError for a subtree the store does not hold.
        """
        ...

    def leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        """Leaf hashes at positions [start, stop), in order."""
        ...


def canonical_leaf_data(fields: Mapping[str, object]) -> bytes:
    """The bytes an event's leaf hashes: its fields as canonical JSON in UTF-8."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of these leaf hashes."""
    accumulator = CompactRange()
    accumulator.extend(leaf_hashes)
    return accumulator.root()


def _require_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """The hash of adjacent perfect subtrees given left (largest) to right (smallest)."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


class CompactRange:
    """The perfect-subtree hashes covering leaves [0, size): a streaming Merkle root.

    Holds one hash per set bit of `size`, largest subtree first.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a range of {size} leaves needs {size.bit_count()} subtree hashes")
        for value in hashes:
            _require_hash(value, "a subtree hash")
        self._size = size
        self._hashes = list(hashes)

    @classmethod
    def from_store(cls, store: SubtreeStore, size: int) -> CompactRange:
        """The range of the first `size` leaves, read from a store (O(log n) reads)."""
        nodes = [(level, (size >> level) - 1) for level in _set_bits_descending(size)]
        return cls(size, _resolve(store, nodes))

    @property
    def size(self) -> int:
        """How many leaves the range covers."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect-subtree hashes, largest subtree (leftmost) first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[Subtree]:
        """Add the next leaf; return the perfect subtrees of level >= 1 it completes."""
        _require_hash(leaf_hash, "a leaf hash")
        index = self._size
        completed = []
        value, level, remaining = leaf_hash, 0, index
        while remaining & 1:
            value = node_hash(self._hashes.pop(), value)
            level += 1
            remaining >>= 1
            completed.append(Subtree(level, index >> level, value))
        self._hashes.append(value)
        self._size = index + 1
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add many leaves; the hot loop of verification, so it records nothing."""
        stack, size, sha256 = self._hashes, self._size, hashlib.sha256
        try:
            for value in leaf_hashes:
                if value.__class__ is not bytes or len(value) != HASH_SIZE:
                    raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
                remaining = size
                while remaining & 1:
                    value = sha256(NODE_PREFIX + stack.pop() + value).digest()
                    remaining >>= 1
                stack.append(value)
                size += 1
        finally:
            self._size = size

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves covered so far."""
        return _fold_right(self._hashes) if self._hashes else EMPTY_ROOT


def completed_subtrees(index: int, leaf_hash: bytes, store: SubtreeStore) -> list[Subtree]:
    """The perfect subtrees (level >= 1) that leaf `index` completes, to be stored with it.

    Reads the left siblings on the way up: the leaf before it and at most log2(n) subtrees
    that the store must already hold.
    """
    _require_hash(leaf_hash, "a leaf hash")
    levels = _trailing_ones(index)
    if not levels:
        return []
    lefts = _resolve(store, [(level, (index >> level) - 1) for level in range(levels)])
    completed, value = [], leaf_hash
    for level, left in enumerate(lefts, start=1):
        value = node_hash(left, value)
        completed.append(Subtree(level, index >> level, value))
    return completed


def store_root(store: SubtreeStore, size: int) -> bytes:
    """The Merkle tree hash of the first `size` leaves of a store."""
    return CompactRange.from_store(store, size).root()


def inclusion_proof(store: SubtreeStore, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of the first `size` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    siblings = []
    start, stop = 0, size
    while stop - start > 1:
        k = _split(stop - start)
        if index < start + k:
            siblings.append((start + k, stop))
            stop = start + k
        else:
            siblings.append((start, start + k))
            start += k
    return _range_hashes(store, siblings[::-1])


def consistency_proof(store: SubtreeStore, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 proof that the tree of `old_size` leaves is a prefix of `new_size`."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    if old_size in (0, new_size):
        return []
    siblings, base = [], []
    start, stop, remaining, whole = 0, new_size, old_size, True
    while remaining != stop - start:
        k = _split(stop - start)
        if remaining <= k:
            siblings.append((start + k, stop))
            stop = start + k
        else:
            siblings.append((start, start + k))
            start, remaining, whole = start + k, remaining - k, False
    if not whole:
        base = [(start, stop)]
    return _range_hashes(store, base + siblings[::-1])


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` place `leaf_hash` at `index` in the tree `root`?"""
    if not _is_size(index) or not _is_size(size) or index >= size:
        return False
    if not _all_hashes([leaf_hash, root, *proof]):
        return False
    fn, sn, result = index, size - 1, leaf_hash
    for element in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, element)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(result, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree `old_root` of `old_size` leaves a prefix of `new_root`?

    Equal sizes need an empty proof and equal roots; the empty tree (whose root is
    SHA-256 of nothing) is a prefix of every tree, with an empty proof.
    """
    if not _is_size(old_size) or not _is_size(new_size) or old_size > new_size:
        return False
    if not _all_hashes([old_root, new_root, *proof]):
        return False
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if old_size == 0:
        return not proof and hmac.compare_digest(old_root, EMPTY_ROOT)
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for element in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first = node_hash(element, first)
            second = node_hash(element, second)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, element)
        fn >>= 1
        sn >>= 1
    return (
        sn == 0 and hmac.compare_digest(first, old_root) and hmac.compare_digest(second, new_root)
    )


class MemoryStore:
    """An in-memory `SubtreeStore` that appends leaves as the database table would."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._leaves: list[bytes] = []
        self._nodes: dict[tuple[int, int], bytes] = {}
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """How many leaves the store holds."""
        return len(self._leaves)

    def append(self, leaf_hash: bytes) -> int:
        """Store the next leaf and the subtrees it completes; return its index."""
        index = len(self._leaves)
        for level, node_index, value in completed_subtrees(index, leaf_hash, self):
            self._nodes[(level, node_index)] = value
        self._leaves.append(leaf_hash)
        return index

    def subtree_hashes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hashes of the stored subtrees at these (level, index)."""
        try:
            return [self._nodes[node] for node in nodes]
        except KeyError as missing:
            raise LookupError(f"no complete subtree at {missing.args[0]}") from None

    def leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """Leaf hashes at positions [start, stop)."""
        return self._leaves[start:stop]

    def root(self, size: int | None = None) -> bytes:
        """The Merkle tree hash of the first `size` leaves (all of them by default)."""
        return store_root(self, self.size if size is None else size)


def _split(width: int) -> int:
    """k of RFC 9162: the largest power of two smaller than `width` (> 1)."""
    return 1 << ((width - 1).bit_length() - 1)


def _trailing_ones(value: int) -> int:
    return (~value & (value + 1)).bit_length() - 1


def _set_bits_descending(value: int) -> list[int]:
    return [bit for bit in range(value.bit_length() - 1, -1, -1) if value >> bit & 1]


def _perfect_cover(start: int, stop: int) -> list[tuple[int, int]]:
    """The perfect subtrees, largest first, whose fold is MTH of leaves [start, stop).

    Holds for the ranges that RFC 9162's split produces: `start` is a multiple of a power of
    two at least as large as the range.
    """
    nodes, position = [], start
    for level in _set_bits_descending(stop - start):
        nodes.append((level, position >> level))
        position += 1 << level
    return nodes


def _resolve(store: SubtreeStore, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
    """Hashes of these perfect subtrees: leaves one by one, the rest in one batch."""
    wanted = [node for node in nodes if node[0] > 0]
    stored = list(store.subtree_hashes(wanted)) if wanted else []
    if len(stored) != len(wanted):
        raise LookupError(f"asked the store for {len(wanted)} subtrees, got {len(stored)}")
    found = dict(zip(wanted, stored, strict=True))
    hashes = []
    for level, index in nodes:
        if level:
            hashes.append(found[(level, index)])
            continue
        leaves = store.leaf_hashes(index, index + 1)
        if len(leaves) != 1:
            raise LookupError(f"the store holds no leaf {index}")
        hashes.append(leaves[0])
    for value in hashes:
        _require_hash(value, "a stored hash")
    return hashes


def _range_hashes(store: SubtreeStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    covers = [_perfect_cover(start, stop) for start, stop in ranges]
    hashes = iter(_resolve(store, [node for cover in covers for node in cover]))
    return [_fold_right([next(hashes) for _ in cover]) for cover in covers]


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _all_hashes(values: Iterable[object]) -> bool:
    return all(isinstance(value, bytes) and len(value) == HASH_SIZE for value in values)
