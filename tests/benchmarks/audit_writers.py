"""Benchmark: concurrent writers of the audit log, and the checkpointer that folds their events
into the Merkle tree.

    DATABASE_URL=postgres://... .venv/bin/python -m tests.benchmarks.audit_writers [THREADS] [N]

THREADS threads (default 8), each with its own database connection, write N events each
(default 300) through record_event, each in its own transaction, to (a) a chain of its own and
(b) one chain shared by all. record_event takes no global lock: events get their leaf positions
later, when (c) seal_checkpoint folds everything new into the tree in one run, timed here, and
(d) a run with nothing new is timed too. Prints events per second. Writes into the configured
database's audit log and anchor directory (AUDIT_ANCHOR_DIR, var/audit/ by default): run it
against a scratch database.
"""

import os
import sys
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main(threads: int, events: int) -> None:
    django.setup()
    from django.db import connection, connections, transaction

    from audit import log
    from audit.checkpoints import seal_checkpoint

    def writer(chain_of, barrier):
        barrier.wait()
        for number in range(events):
            with transaction.atomic():
                log.record_event(action="view", chain=chain_of(number), details={"n": number})
        connections.close_all()

    def run(label, chain_of):
        barrier = threading.Barrier(threads + 1)
        workers = [
            threading.Thread(target=writer, args=(lambda n, i=i: chain_of(i, n), barrier))
            for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        started = time.perf_counter()
        barrier.wait()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        total = threads * events
        print(f"{label:<58} {total / elapsed:8.0f} events/s  ({total} in {elapsed:.2f} s)")

    def fold(label):
        started = time.perf_counter()
        sealed = seal_checkpoint()
        elapsed = time.perf_counter() - started
        size = sealed.checkpoint.size if sealed.checkpoint else 0
        rate = f"{sealed.added / elapsed:8.0f} events/s" if sealed.added else " " * 17
        print(f"{label:<58} {rate}  ({sealed.added} new leaves, tree {size}, {elapsed:.2f} s)")

    stamp = int(time.time())
    print(f"{threads} writers x {events} events, {connection.vendor}")
    fold("checkpointer: what was there before")
    run("record_event, own chain each", lambda i, n: f"bench:{stamp}:own:{i}")
    run("record_event, one chain shared by all", lambda i, n: f"bench:{stamp}:shared")
    fold("checkpointer: fold the new events, sign, anchor")
    fold("checkpointer: nothing new")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 8,
        int(sys.argv[2]) if len(sys.argv) > 2 else 300,
    )
