"""The audit log's Merkle tree against RFC 6962 / RFC 9162 and the Certificate Transparency vectors.

The vectors are the reference tree of 8 leaves used by transparency-dev/merkle
(proof/verify_test.go, rfc6962/rfc6962_test.go) and Google's certificate-transparency suites.
The property tests compare the store-backed proofs with a transcription of the RFC's recursive
definitions, and check that a proof stops verifying when anything in it changes.
"""

import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryStore,
    Subtree,
    canonical_leaf_data,
    completed_subtrees,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
LEAF_HASHES = [leaf_hash(data) for data in LEAVES]

ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (leaf index counting from 0, tree size, published inclusion path)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (old size, new size, published consistency proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- RFC 9162 §2.1 transcribed literally: the oracle for the property tests -----------------


def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(hashes):
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _k(len(hashes))
    return node_hash(rfc_mth(hashes[:k]), rfc_mth(hashes[k:]))


def rfc_path(m, hashes):
    if len(hashes) == 1:
        return []
    k = _k(len(hashes))
    if m < k:
        return [*rfc_path(m, hashes[:k]), rfc_mth(hashes[k:])]
    return [*rfc_path(m - k, hashes[k:]), rfc_mth(hashes[:k])]


def rfc_subproof(m, hashes, whole):
    if m == len(hashes):
        return [] if whole else [rfc_mth(hashes)]
    k = _k(len(hashes))
    if m <= k:
        return [*rfc_subproof(m, hashes[:k], whole), rfc_mth(hashes[k:])]
    return [*rfc_subproof(m - k, hashes[k:], False), rfc_mth(hashes[:k])]


def inclusion_shape(index, size):
    """What RFC 9162 verification computes for (index, size): inner and border lengths
    (transparency-dev/merkle's decompInclProof). Sizes with the same shape are told apart
    only by the root, which the signed checkpoint binds to its size."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def flip(value, byte=0, bit=3):
    changed = bytearray(value)
    changed[byte] ^= 1 << bit
    return bytes(changed)


distinct_leaves = st.lists(st.binary(max_size=12), min_size=1, max_size=150, unique=True)


# --- hashing ----------------------------------------------------------------------------------


def test_hashes_match_rfc6962_vectors():
    """Empty tree, empty leaf, a leaf and a node hash as the CT suites publish them."""
    assert h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert root([]) == EMPTY_ROOT
    assert leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == h(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456") == h(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_leaf_and_node_hashes_are_domain_separated():
    """A node cannot pass for a leaf whose data is its two children (second preimage)."""
    left, right = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(left, right) != leaf_hash(left + right)
    assert node_hash(left, right) != node_hash(right, left)


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_reference_tree(size):
    """root(), a store and a streamed CompactRange give the published root at every size."""
    assert root(LEAF_HASHES[:size]) == ROOTS[size - 1]
    assert MemoryStore(LEAF_HASHES).root(size) == ROOTS[size - 1]
    streamed = CompactRange()
    for value in LEAF_HASHES[:size]:
        streamed.append(value)
    assert streamed.root() == ROOTS[size - 1]


# --- published proofs ------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_published_vectors(index, size, proof):
    """The store-backed proof is the published one, and it verifies."""
    store = MemoryStore(LEAF_HASHES)
    assert inclusion_proof(store, index, size) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_published_vectors(old, new, proof):
    """The store-backed proof is the published one, and it verifies."""
    store = MemoryStore(LEAF_HASHES)
    assert consistency_proof(store, old, new) == proof
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def corrupted_inclusion_probes(index, size, proof, root_hash, leaf):
    """transparency-dev/merkle's corruptInclusionProof: every one must fail."""
    probes = {
        "index - 1": (leaf, index - 1, size, proof, root_hash),
        "index + 1": (leaf, index + 1, size, proof, root_hash),
        "index ^ 2": (leaf, index ^ 2, size, proof, root_hash),
        "size * 2": (leaf, index, size * 2, proof, root_hash),
        "size // 2": (leaf, index, size // 2, proof, root_hash),
        "wrong leaf": (b"WrongLeaf", index, size, proof, root_hash),
        "wrong leaf of the right length": (SOME_HASH, index, size, proof, root_hash),
        "empty root": (leaf, index, size, proof, EMPTY_ROOT),
        "random root": (leaf, index, size, proof, SOME_HASH),
        "trailing garbage": (leaf, index, size, [*proof, b""], root_hash),
        "trailing root": (leaf, index, size, [*proof, root_hash], root_hash),
        "preceding garbage": (leaf, index, size, [b"", *proof], root_hash),
        "preceding root": (leaf, index, size, [root_hash, *proof], root_hash),
    }
    for position in range(len(proof)):
        altered = list(proof)
        altered[position] = flip(altered[position])
        probes[f"proof[{position}] bit flipped"] = (leaf, index, size, altered, root_hash)
    if proof:
        probes["removed component"] = (leaf, index, size, proof[:-1], root_hash)
    if len(proof) > 1:
        probes["inserted component"] = (
            leaf,
            index,
            size,
            [proof[0], SOME_HASH, *proof[1:]],
            root_hash,
        )
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[1:])
def test_corrupted_inclusion_proofs_fail(index, size, proof):
    """Wrong index, size, leaf or root, garbage around the path, a flipped bit: all refused."""
    probes = corrupted_inclusion_probes(index, size, proof, ROOTS[size - 1], LEAF_HASHES[index])
    accepted = [name for name, args in probes.items() if verify_inclusion(*args)]
    assert accepted == []


def corrupted_consistency_probes(old, new, old_root, new_root, proof):
    """transparency-dev/merkle's corruptConsistencyProof: every one must fail."""
    probes = {
        "old - 1": (old - 1, new, old_root, new_root, proof),
        "old + 1": (old + 1, new, old_root, new_root, proof),
        "old ^ 2": (old ^ 2, new, old_root, new_root, proof),
        "new * 2": (old, new * 2, old_root, new_root, proof),
        "new // 2": (old, new // 2, old_root, new_root, proof),
        "wrong old root": (old, new, b"WrongRoot", new_root, proof),
        "wrong new root": (old, new, old_root, b"WrongRoot", proof),
        "old root of the right length": (old, new, SOME_HASH, new_root, proof),
        "swapped roots": (old, new, new_root, old_root, proof),
        "empty proof": (old, new, old_root, new_root, []),
        "trailing garbage": (old, new, old_root, new_root, [*proof, b""]),
        "trailing old root": (old, new, old_root, new_root, [*proof, old_root]),
        "trailing new root": (old, new, old_root, new_root, [*proof, new_root]),
        "preceding garbage": (old, new, old_root, new_root, [b"", *proof]),
        "preceding old root": (old, new, old_root, new_root, [old_root, *proof]),
        "preceding new root": (old, new, old_root, new_root, [new_root, *proof]),
        "preceding proof[0]": (old, new, old_root, new_root, [proof[0], *proof]),
        "truncated proof": (old, new, old_root, new_root, proof[:-1]),
    }
    for position in range(len(proof)):
        altered = list(proof)
        altered[position] = flip(altered[position], bit=4)
        probes[f"proof[{position}] bit flipped"] = (old, new, old_root, new_root, altered)
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_proofs_fail(old, new, proof):
    """Wrong sizes or roots, an empty, truncated or padded proof, a flipped bit: all refused."""
    probes = corrupted_consistency_probes(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)
    accepted = [name for name, args in probes.items() if verify_consistency(*args)]
    assert accepted == []


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "expected"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 3, EMPTY_ROOT, ROOTS[2], [], True),
        (3, 3, ROOTS[2], ROOTS[2], [], True),
        (0, 3, SOME_HASH, ROOTS[2], [], False),
        (3, 3, ROOTS[2], ROOTS[3], [], False),
        (3, 3, ROOTS[2], ROOTS[2], [EMPTY_ROOT], False),
        (0, 3, EMPTY_ROOT, ROOTS[2], [EMPTY_ROOT], False),
        (1, 0, ROOTS[0], EMPTY_ROOT, [], False),
        (2, 1, ROOTS[1], ROOTS[0], [], False),
        (1, 2, ROOTS[0], ROOTS[1], [], False),
        (-1, 2, ROOTS[0], ROOTS[1], [LEAF_HASHES[1]], False),
        (True, 2, ROOTS[0], ROOTS[1], [LEAF_HASHES[1]], False),
    ],
)
def test_consistency_edge_cases(old, new, old_root, new_root, proof, expected):
    """Equal sizes, the empty tree, time travel to the past, and sizes that are not sizes."""
    assert verify_consistency(old, new, old_root, new_root, proof) is expected


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 1), (0, True), (0.0, 1)]
)
def test_inclusion_refuses_impossible_positions(index, size):
    """An index outside the tree, an empty tree, a non-integer or a hash of the wrong size
    never verifies (transparency-dev/merkle's TestVerifyInclusion probes, and more)."""
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_single_leaf_tree_needs_the_exact_hash():
    """In a tree of one leaf the root is the leaf hash and the path is empty."""
    value = leaf_hash(b"data")
    assert verify_inclusion(value, 0, 1, [], value)
    assert not verify_inclusion(value, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], value)
    assert not verify_inclusion(b"", 0, 1, [], b"")


def test_the_signed_size_not_the_proof_binds_the_size():
    """RFC 9162 verification alone cannot tell sizes of the same shape apart (leaf 0 of 3 or
    of 4 leaves): that is why a checkpoint signs size and root together, and why the offline
    verifier takes the size from the signed note only."""
    store = MemoryStore(LEAF_HASHES)
    proof = inclusion_proof(store, 0, 4)
    assert verify_inclusion(LEAF_HASHES[0], 0, 3, proof, ROOTS[3])
    assert not verify_inclusion(LEAF_HASHES[0], 0, 3, proof, ROOTS[2])


# --- properties over random trees ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.data(), leaves=distinct_leaves)
def test_every_inclusion_proof_is_the_rfc_path_and_verifies(data, leaves):
    """For random trees, sizes and leaves: the proof is RFC 9162's PATH and it verifies."""
    hashes = [leaf_hash(value) for value in leaves]
    store = MemoryStore(hashes)
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(store, index, size)
    assert proof == rfc_path(index, hashes[:size])
    assert verify_inclusion(hashes[index], index, size, proof, rfc_mth(hashes[:size]))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), leaves=distinct_leaves)
def test_any_altered_inclusion_proof_fails(data, leaves):
    """Change one bit of one element, the leaf, the index or the root: refused. A changed
    size is refused whenever RFC 9162 can see it (a different shape of path)."""
    hashes = [leaf_hash(value) for value in leaves]
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(MemoryStore(hashes), index, size)
    tree_root = rfc_mth(hashes[:size])
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        altered = list(proof)
        altered[position] = flip(proof[position], byte=bit // 8, bit=bit % 8)
        assert not verify_inclusion(hashes[index], index, size, altered, tree_root)
    other_index = data.draw(st.integers(0, size + 3).filter(lambda i: i != index), label="i")
    assert not verify_inclusion(hashes[index], other_index, size, proof, tree_root)
    other_leaf = data.draw(st.sampled_from([*hashes, SOME_HASH]), label="leaf")
    assume(other_leaf != hashes[index])
    assert not verify_inclusion(other_leaf, index, size, proof, tree_root)
    assert not verify_inclusion(hashes[index], index, size, proof, flip(tree_root))
    other_size = data.draw(st.integers(0, 2 * size + 2).filter(lambda n: n != size), label="n")
    if other_size <= index or inclusion_shape(index, other_size) != inclusion_shape(index, size):
        assert not verify_inclusion(hashes[index], index, other_size, proof, tree_root)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), leaves=distinct_leaves)
def test_every_consistency_proof_is_the_rfc_proof_and_verifies(data, leaves):
    """For random trees and two sizes: the proof is RFC 9162's PROOF and it verifies."""
    hashes = [leaf_hash(value) for value in leaves]
    new = data.draw(st.integers(1, len(hashes)), label="new")
    old = data.draw(st.integers(1, new), label="old")
    proof = consistency_proof(MemoryStore(hashes), old, new)
    assert proof == rfc_subproof(old, hashes[:new], True)
    assert verify_consistency(old, new, rfc_mth(hashes[:old]), rfc_mth(hashes[:new]), proof)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), leaves=distinct_leaves.filter(lambda leaves: len(leaves) > 1))
def test_any_altered_consistency_proof_fails(data, leaves):
    """One flipped bit, a dropped or an added element, swapped or altered roots: refused."""
    hashes = [leaf_hash(value) for value in leaves]
    new = data.draw(st.integers(2, len(hashes)), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = consistency_proof(MemoryStore(hashes), old, new)
    old_root, new_root = rfc_mth(hashes[:old]), rfc_mth(hashes[:new])
    position = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    altered = list(proof)
    altered[position] = flip(proof[position], byte=bit // 8, bit=bit % 8)
    assert not verify_consistency(old, new, old_root, new_root, altered)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*proof, SOME_HASH])
    assert not verify_consistency(old, new, new_root, old_root, proof)
    assert not verify_consistency(old, new, flip(old_root), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root), proof)


@settings(max_examples=100, deadline=None)
@given(
    leaves=st.lists(st.binary(min_size=32, max_size=32), max_size=300),
    size=st.integers(0, 300),
)
def test_compact_range_from_a_store_resumes_where_streaming_left_off(leaves, size):
    """A range read from the store at any size has the same subtrees and root as one that
    streamed the same leaves, and keeps agreeing as both go on."""
    size = min(size, len(leaves))
    store = MemoryStore(leaves)
    streamed = CompactRange()
    streamed.extend(leaves[:size])
    resumed = CompactRange.from_store(store, size)
    assert resumed.hashes == streamed.hashes
    assert len(resumed.hashes) == size.bit_count()
    assert resumed.root() == rfc_mth(leaves[:size])
    resumed.extend(leaves[size:])
    assert resumed.size == len(leaves)
    assert resumed.root() == rfc_mth(leaves)


@settings(max_examples=50, deadline=None)
@given(leaves=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=200))
def test_completed_subtrees_are_what_streaming_completes(leaves):
    """Leaf by leaf, `completed_subtrees` (reading the store) lists the subtrees the
    streaming range merges, with the hash RFC 9162 gives that subtree."""
    store, streamed = MemoryStore(), CompactRange()
    for index, value in enumerate(leaves):
        from_store = completed_subtrees(index, value, store)
        assert from_store == streamed.append(value)
        for level, node_index, node in from_store:
            first = node_index << level
            assert node == rfc_mth(leaves[first : first + (1 << level)])
        store.append(value)


class DictStore:
    """A bare store filled from outside, as a database table would be."""

    def __init__(self):
        self.leaves, self.nodes = [], {}

    def subtree_hashes(self, nodes):
        return [self.nodes[node] for node in nodes]

    def leaf_hashes(self, start, stop):
        return self.leaves[start:stop]


@settings(max_examples=50, deadline=None)
@given(
    leaves=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=120),
    data=st.data(),
)
def test_placing_leaves_in_batches_stores_the_subtrees_proofs_need(leaves, data):
    """Leaves placed in batches (a range resumed from the store, each append's subtrees
    stored) leave a store whose proofs are RFC 9162's, batch boundaries wherever they fall."""
    store = DictStore()
    while len(store.leaves) < len(leaves):
        start = len(store.leaves)
        stop = data.draw(st.integers(start + 1, len(leaves)), label="batch end")
        placing = CompactRange.from_store(store, start)
        for value in leaves[start:stop]:
            completed = placing.append(value)
            store.leaves.append(value)
            store.nodes.update({(level, index): node for level, index, node in completed})
    for index in range(len(leaves)):
        assert inclusion_proof(store, index, len(leaves)) == rfc_path(index, leaves)
    assert consistency_proof(store, 1, len(leaves)) == rfc_subproof(1, leaves, True)


def test_completed_subtrees_by_position():
    """Leaf 7 closes the subtrees of 2, 4 and 8 leaves; leaf 4 closes none; leaf 5 one."""
    store = MemoryStore(LEAF_HASHES[:7])
    closed = completed_subtrees(7, LEAF_HASHES[7], store)
    assert [(level, index) for level, index, _ in closed] == [(1, 3), (2, 1), (3, 0)]
    assert closed[-1] == Subtree(3, 0, ROOTS[7])
    assert completed_subtrees(4, LEAF_HASHES[4], MemoryStore(LEAF_HASHES[:4])) == []
    assert [node[:2] for node in completed_subtrees(5, LEAF_HASHES[5], store)] == [(1, 2)]


def test_proofs_for_an_older_size_come_from_the_same_rows():
    """After more leaves are appended, proofs against an earlier checkpoint size still match
    that size's root (complete subtrees never change)."""
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(100)]
    store = MemoryStore(hashes)
    old_root = rfc_mth(hashes[:37])
    for index in (0, 20, 31, 32, 36):
        proof = inclusion_proof(store, index, 37)
        assert verify_inclusion(hashes[index], index, 37, proof, old_root)
    proof = consistency_proof(store, 37, 100)
    assert verify_consistency(37, 100, old_root, store.root(), proof)


class CountingStore(MemoryStore):
    """A store that counts what a proof reads from it, as a database would see queries."""

    def __init__(self, leaves):
        self.subtree_batches = self.subtrees_read = self.leaf_reads = 0
        super().__init__(leaves)

    def subtree_hashes(self, nodes):
        self.subtree_batches += 1
        self.subtrees_read += len(nodes)
        return super().subtree_hashes(nodes)

    def leaf_hashes(self, start, stop):
        self.leaf_reads += stop - start
        return super().leaf_hashes(start, stop)


def test_a_proof_reads_logarithmically_many_hashes_in_one_batch():
    """In a tree of 70,001 leaves a proof asks the store for one batch of at most
    2·log2(n) subtrees and at most two leaves, never for ranges of leaves."""
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(70_001)]
    store = CountingStore(hashes)
    for index in (0, 12_345, 65_535, 65_536, 70_000):
        store.subtree_batches = store.subtrees_read = store.leaf_reads = 0
        proof = inclusion_proof(store, index, 70_001)
        assert verify_inclusion(hashes[index], index, 70_001, proof, root(hashes))
        assert store.subtree_batches <= 1
        assert store.subtrees_read + store.leaf_reads <= 2 * 17
        assert store.leaf_reads <= 2
    store.subtree_batches = store.subtrees_read = store.leaf_reads = 0
    consistency_proof(store, 40_000, 70_001)
    assert store.subtree_batches == 1
    assert store.subtrees_read + store.leaf_reads <= 2 * 17


def test_proof_arguments_outside_the_tree_are_refused():
    """Asking for a leaf beyond the size, a shrinking tree or more leaves than the store
    holds raises a clear error instead of returning a wrong proof."""
    store = MemoryStore(LEAF_HASHES[:5])
    with pytest.raises(ValueError, match="leaf 5 is not in a tree of 5 leaves"):
        inclusion_proof(store, 5, 5)
    with pytest.raises(ValueError, match="from 4 to 3"):
        consistency_proof(store, 4, 3)
    with pytest.raises(LookupError):
        inclusion_proof(store, 0, 8)
    with pytest.raises(LookupError):
        CompactRange.from_store(store, 6)


def test_leaf_hashes_must_be_32_bytes():
    """A wrong-sized leaf hash is refused before it can corrupt the range."""
    streamed = CompactRange()
    streamed.append(LEAF_HASHES[0])
    with pytest.raises(ValueError, match="32 bytes"):
        streamed.append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        streamed.extend([LEAF_HASHES[1], "x" * 32])
    assert streamed.size == 2
    assert streamed.root() == ROOTS[1]
    with pytest.raises(ValueError, match="needs 2 subtree hashes"):
        CompactRange(3, [SOME_HASH])


# --- canonical leaf data ---------------------------------------------------------------------


def test_canonical_leaf_data_is_sorted_compact_utf8_json():
    """Keys sorted, no spaces, Chinese kept as UTF-8 rather than escaped."""
    fields = {"opinion": "同意", "action": "approve", "seq": 3, "details": {"b": 1, "a": None}}
    assert canonical_leaf_data(fields) == (
        '{"action":"approve","details":{"a":null,"b":1},"opinion":"同意","seq":3}'.encode()
    )


def test_canonical_leaf_data_refuses_values_json_cannot_carry_exactly():
    """NaN is not JSON and an object (a datetime, say) has no canonical text: both refused."""
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_leaf_data({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_leaf_data({"x": object()})
