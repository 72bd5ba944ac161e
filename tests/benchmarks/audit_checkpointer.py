"""Benchmark: the checkpointer on a large log (PostgreSQL).

    DATABASE_URL=postgres://.../scratch .venv/bin/python -m tests.benchmarks.audit_checkpointer [N]

Inserts N synthetic events (default 100,000, one a second up to now) straight into the audit
table with one SQL statement (the checkpointer hashes what rows hold; their HMAC chain is not
its business), then
times seal_checkpoint three ways: folding the N new events (leaves, subtrees, signature,
anchor), a run with nothing new, and a run with 100 new events on top of the large tree: the
steady state once a minute. Prints events per second and seconds. Writes into the configured
database and AUDIT_ANCHOR_DIR: run it against a scratch database.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

INSERT = """
INSERT INTO approval_workflow_auditevent
    (chain, seq, prev_hash, hash, at, actor_name, role, organisation_name, action, result,
     stage, opinion, digest, details)
SELECT 'bench:' || %(stamp)s || ':' || (n %% 1000), n, md5('p' || n || %(stamp)s) || md5(n::text),
       md5('h' || n || %(stamp)s) || md5(n::text || %(stamp)s),
       now() - (%(count)s - n) * interval '1 second', '基准测试', 'auditor', '',
       'view', 'ok', '', '同意', '', jsonb_build_object('n', n)
FROM generate_series(1, %(count)s) AS n
"""


def main(count: int) -> None:
    django.setup()
    from django.db import connection

    from audit.checkpoints import seal_checkpoint

    def insert(number: int) -> None:
        stamp = str(time.time_ns())
        with connection.cursor() as cursor:
            cursor.execute(INSERT, {"stamp": stamp, "count": number})

    def fold(label: str) -> None:
        started = time.perf_counter()
        sealed = seal_checkpoint()
        elapsed = time.perf_counter() - started
        size = sealed.checkpoint.size if sealed.checkpoint else 0
        rate = f"{sealed.added / elapsed:8.0f} events/s" if sealed.added else " " * 17
        print(f"{label:<44} {rate}  ({sealed.added} new leaves, tree {size}, {elapsed:.2f} s)")

    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL: set DATABASE_URL to a scratch database")
    fold("what was there before")
    started = time.perf_counter()
    insert(count)
    print(f"inserted {count} synthetic events in {time.perf_counter() - started:.1f} s")
    fold(f"fold {count} new events, sign, anchor")
    fold("nothing new")
    insert(100)
    fold("100 new events on top")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
