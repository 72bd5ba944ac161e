"""Benchmark: the Merkle core that verification of a large audit log streams through.

Prints figures instead of asserting them, so it never flakes:

    .venv/bin/python -m tests.benchmarks.merkle [N]        # default N=1,000,000

- hashing N events' canonical JSON into leaf hashes (what verification does per row);
- streaming those leaves through a CompactRange, with and without recording the completed
  subtrees (what a writer stores as it assigns positions);
- the memory the streaming holds (leaves are generated on the fly, never kept);
- inclusion proofs from a store of min(N, 200,000) leaves: proofs/s and reads per proof.
"""

import hashlib
import resource
import sys
import time
import tracemalloc

from audit.merkle import (
    CompactRange,
    MemoryStore,
    canonical_leaf_data,
    inclusion_proof,
    leaf_hash,
    verify_inclusion,
)


def sample_event(number: int) -> dict:
    """An event of the size the log holds: a finance reviewer's approval with an opinion."""
    return {
        "id": number,
        "chain": f"declaration:{number % 5000}",
        "seq": number // 5000,
        "actor_id": 1234,
        "actor_name": "市财政局业务股室 王芳",
        "role": "finance_reviewer",
        "organisation_id": 17,
        "organisation_name": "鄂州市财政局",
        "action": "approve",
        "result": "ok",
        "declaration_id": number % 5000,
        "stage": "finance",
        "opinion": "同意。项目绩效目标明确，指标设置合理。",
        "digest": hashlib.sha256(number.to_bytes(8, "big")).hexdigest(),
        "ip": "10.0.0.8",
        "details": {},
        "at": "2026-05-01T08:00:00.123456+00:00",
    }


def timed(label: str, count: int, work) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    print(f"{label:<52} {elapsed:7.2f} s  {count / elapsed:>12,.0f} /s")
    return elapsed


def synthetic_leaves(count: int):
    for number in range(count):
        yield hashlib.sha256(number.to_bytes(8, "big")).digest()


def main(count: int) -> None:
    print(f"Merkle core, {count:,} leaves, Python {sys.version.split()[0]}")
    events = [sample_event(number) for number in range(min(count, 50_000))]
    timed(
        f"canonical JSON + leaf hash ({len(events):,} events)",
        len(events),
        lambda: [leaf_hash(canonical_leaf_data(event)) for event in events],
    )
    streamed, recorded = bench_streaming(count)
    assert streamed.root() == recorded.root()

    tracemalloc.start()
    streaming = CompactRange()
    streaming.extend(synthetic_leaves(count))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'peak memory of streaming N leaves (tracemalloc)':<52} {peak / 1024:7.1f} KiB")
    print(f"{'process max RSS so far':<52} {_max_rss_mib():7.1f} MiB")

    size = min(count, 200_000)
    store = CountingStore(synthetic_leaves(size))
    root = store.root()
    indices = [(number * 7919) % size for number in range(2_000)]
    proofs = []
    store.reads = 0
    timed(
        f"inclusion_proof from a store of {size:,}",
        len(indices),
        lambda: proofs.extend(inclusion_proof(store, index, size) for index in indices),
    )
    print(f"{'store reads per proof (hashes asked for)':<52} {store.reads / len(indices):7.1f}")
    leaf_hashes = store.leaf_hashes(0, size)
    timed(
        "verify_inclusion",
        len(indices),
        lambda: [
            verify_inclusion(leaf_hashes[i], i, size, p, root)
            for i, p in zip(indices, proofs, strict=True)
        ],
    )


def bench_streaming(count: int) -> tuple[CompactRange, CompactRange]:
    """Stream precomputed leaf hashes, as verification does after hashing each row."""
    leaves = list(synthetic_leaves(count))
    streamed, recorded = CompactRange(), CompactRange()
    timed("CompactRange.extend (verification)", count, lambda: streamed.extend(leaves))
    timed(
        "CompactRange.append (records completed subtrees)",
        count,
        lambda: append_each(recorded, leaves),
    )
    return streamed, recorded


def append_each(accumulator: CompactRange, leaves: list[bytes]) -> None:
    for value in leaves:
        accumulator.append(value)


class CountingStore(MemoryStore):
    """A memory store that counts the hashes a proof asks for."""

    reads = 0

    def subtree_hashes(self, nodes):
        self.reads += len(nodes)
        return super().subtree_hashes(nodes)

    def leaf_hashes(self, start, stop):
        self.reads += stop - start
        return super().leaf_hashes(start, stop)


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
