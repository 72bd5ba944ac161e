"""The audit log is append-only and tamper-evident.

`manage.py verify_audit` passes on a clean log and exits 1 naming the first bad event when a
row was changed, deleted or inserted out of order; checkpoints catch a rewritten chain end; on
PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of the audit tables.
"""

import hashlib
import itertools
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.log import GENESIS, verify_audit, write_checkpoint
from audit.models import AuditCheckpoint, AuditEvent, AuditResult, ChainHead
from declarations.models import Stage
from review import permissions
from review import services as review
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    advance_to,
    approve_to_end,
    seed,
    submit,
    user,
)

EVENTS = AuditEvent._meta.db_table
CHECKPOINTS = AuditCheckpoint._meta.db_table
HEADS = ChainHead._meta.db_table


@pytest.fixture
def history(demo, second_dept):
    """A realistic log: a return, a resubmission, a claim, refused attempts, a comment and a
    complete approval, over two declarations."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    with pytest.raises(permissions.NotAllowed):
        review.task_approve(actor=user("auditor"), task_id=task.pk)
    review.task_return(actor=user("ez_dept"), task_id=task.pk, opinion="请补充依据")
    review.declaration_comment(
        actor=user(EZ.preparer), declaration_id=declaration.pk, text="已补充"
    )
    approve_to_end(submit(declaration))
    advance_to(seed(NY_GRID), Stage.FINANCE)
    return declaration


def chain_events(declaration) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=f"declaration:{declaration.pk}").order_by("seq"))


def tamper(sql: str, params=()) -> None:
    """Run SQL against the audit tables as an intruder with database access would (on
    PostgreSQL, with the append-only triggers switched off for this transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def insert_event_row(values: dict) -> int:
    """INSERT an audit row directly, bypassing record_event; returns its id."""
    values = dict(values)
    values.pop("id", None)
    values["at"] = connection.ops.adapt_datetimefield_value(values["at"])
    values["details"] = json.dumps(values["details"], ensure_ascii=False)
    columns = ", ".join(connection.ops.quote_name(c) for c in values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EVENTS} ({columns}) VALUES ({placeholders})",  # noqa: S608
            list(values.values()),
        )
    return AuditEvent.objects.get(hash=values["hash"]).pk


def row_values(event: AuditEvent) -> dict:
    return AuditEvent.objects.filter(pk=event.pk).values().get()


def verify_fails(capsys) -> tuple[CommandError, str]:
    """Run verify_audit both ways: call_command raises CommandError(returncode=1), and the
    command line exits with status 1. Returns the error and what the command line printed."""
    with pytest.raises(CommandError) as error:
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 1
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["manage.py", "verify_audit"])
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    return error.value, captured.out + captured.err


# --- A clean log verifies --------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_audit_passes_on_a_clean_log(history, capsys):
    """On an untouched log the command succeeds (exit 0) and reports the events it checked,
    with and without checkpoints."""
    assert verify_audit() == []
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit log OK" in out.getvalue()
    assert f"{AuditEvent.objects.count()} events" in out.getvalue()

    call_command("audit_checkpoint", stdout=StringIO())
    write_checkpoint()
    assert AuditCheckpoint.objects.count() == 2
    execute_from_command_line(["manage.py", "verify_audit"])  # no SystemExit: exit status 0
    assert "audit log OK" in capsys.readouterr().out


@pytest.mark.django_db
def test_each_declaration_has_its_own_gapless_chain(history):
    """Events of a declaration form one chain: seq 1..n, each linked to its predecessor's
    hash, the chain head pointing at the last one."""
    events = chain_events(history)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    head = ChainHead.objects.get(chain=f"declaration:{history.pk}")
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    # A refused attempt is on its actor's chain, so nobody can grow a declaration's chain by
    # being refused on it.
    assert not [e for e in events if e.result == AuditResult.REFUSED]
    (refused,) = AuditEvent.objects.filter(result=AuditResult.REFUSED)
    assert (refused.chain, refused.declaration_id) == (f"actor:{refused.actor_id}", history.pk)


# --- Tampering is detected ---------------------------------------------------------------------

ALTERATIONS = {
    "opinion": lambda e: ("opinion", "同意（事后修改）"),
    "result": lambda e: ("result", "ok" if e.result == "refused" else "refused"),
    "actor": lambda e: ("actor_id", user("ez_finance").pk),
    "stage": lambda e: ("stage", "performance"),
    "digest": lambda e: ("digest", "0" * 64),
    "time": lambda e: ("at", connection.ops.adapt_datetimefield_value(e.at - timedelta(days=1))),
    "details": lambda e: ("details", json.dumps({"decision": "approve"})),
}


@pytest.mark.django_db
@pytest.mark.parametrize("field", sorted(ALTERATIONS))
def test_verify_audit_names_an_altered_row(history, capsys, field):
    """Changing any recorded fact of an event (here: a refused approval, or the department's
    return) makes verify_audit exit 1 naming that event."""
    events = chain_events(history) + list(AuditEvent.objects.filter(result="refused"))
    target = next(
        e for e in events if (e.result == "refused" if field == "result" else e.action == "return")
    )
    column, value = ALTERATIONS[field](target)
    tamper(f"UPDATE {EVENTS} SET {column} = %s WHERE id = %s", [value, target.pk])  # noqa: S608

    error, output = verify_fails(capsys)
    assert f"event #{target.pk} " in str(error)
    assert f"first bad: event #{target.pk} " in output


@pytest.mark.django_db
def test_verify_audit_names_the_event_after_a_deleted_row(history, capsys):
    """Deleting an event from the middle of a chain makes verify_audit exit 1 naming the
    event that now follows the gap."""
    events = chain_events(history)
    victim, follower = events[3], events[4]
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [victim.pk])  # noqa: S608
    error, _output = verify_fails(capsys)
    assert f"event #{follower.pk} " in str(error)
    assert "deleted" in str(error)


@pytest.mark.django_db
def test_verify_audit_detects_a_deleted_last_event(history, capsys):
    """Deleting the newest event of a chain is caught by the chain head."""
    last = chain_events(history)[-1]
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk])  # noqa: S608
    error, _ = verify_fails(capsys)
    assert f"declaration:{history.pk}" in str(error)


@pytest.mark.django_db
def test_checkpoint_detects_a_cut_chain_with_a_rewound_head(history, capsys):
    """Deleting the newest events and rewinding the chain head to match is caught by the last
    checkpoint, which sealed the old head."""
    write_checkpoint()
    events = chain_events(history)
    keep = events[-3]
    tamper(
        f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s",  # noqa: S608
        [keep.chain, keep.seq],
    )
    ChainHead.objects.filter(chain=keep.chain).update(seq=keep.seq, hash=keep.hash)
    _error, output = verify_fails(capsys)
    assert keep.chain in output
    assert "checkpoint" in output


@pytest.mark.django_db
def test_verify_audit_detects_a_removed_chain_head(history, capsys):
    """A chain whose head row was removed is reported."""
    ChainHead.objects.filter(chain=f"declaration:{history.pk}").delete()
    error, _ = verify_fails(capsys)
    assert f"declaration:{history.pk}" in str(error)


@pytest.mark.django_db
def test_verify_audit_detects_an_altered_checkpoint(history, capsys):
    """A checkpoint whose sealed heads were changed no longer matches its hash."""
    checkpoint = write_checkpoint()
    heads = dict(checkpoint.heads)
    heads.pop(f"declaration:{history.pk}")
    tamper(
        f"UPDATE {CHECKPOINTS} SET heads = %s WHERE id = %s",  # noqa: S608
        [json.dumps(heads), checkpoint.pk],
    )
    error, _ = verify_fails(capsys)
    assert f"checkpoint:{checkpoint.pk}" in str(error)


@pytest.mark.django_db
def test_verify_audit_names_a_forged_event_appended_behind_the_log(history, capsys):
    """A row INSERTed directly at the end of a chain (not by record_event, so without the
    HMAC key) makes verify_audit exit 1 naming the inserted event."""
    last = chain_events(history)[-1]
    forged = row_values(last)
    forged.update(
        seq=last.seq + 1,
        prev_hash=last.hash,
        action="approve",
        opinion="同意",
        stage="performance",
        hash=hashlib.sha256(b"forged approval").hexdigest(),
    )
    forged_id = insert_event_row(forged)
    error, output = verify_fails(capsys)
    assert f"event #{forged_id} " in str(error)
    assert f"first bad: event #{forged_id} " in output


@pytest.mark.django_db
def test_verify_audit_names_an_event_inserted_out_of_order(history, capsys):
    """An event removed and inserted again later (same content, so its own hash and links still
    check out) sits in the chain out of insertion order: verify_audit exits 1 naming that
    re-inserted event as the first bad one."""
    events = chain_events(history)
    moved = events[2]
    values = row_values(moved)
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [moved.pk])  # noqa: S608
    reinserted = insert_event_row(values)
    assert reinserted > events[-1].pk

    _error, output = verify_fails(capsys)
    assert f"event #{reinserted} " in output
    assert f"first bad: event #{reinserted} " in output, output


# --- The ORM refuses changes; PostgreSQL refuses them too ---------------------------------------


@pytest.mark.django_db
def test_orm_refuses_to_change_or_delete_audit_events(history):
    """Queryset update/delete and instance delete/re-save of audit events raise; the log is
    unchanged and still verifies."""
    event = chain_events(history)[0]
    count = AuditEvent.objects.count()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(opinion="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        event.delete()
    event.opinion = "事后修改"
    with pytest.raises(TypeError):
        event.save()
    assert AuditEvent.objects.count() == count
    assert verify_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", [EVENTS, CHECKPOINTS])
@pytest.mark.parametrize("statement", ["UPDATE", "DELETE"])
def test_postgres_trigger_refuses_update_and_delete(history, table, statement):
    """On PostgreSQL, UPDATE and DELETE on the audit tables fail with a database error, even
    with raw SQL; the rows stay as they were."""
    write_checkpoint()
    before = verify_audit()
    counts = (AuditEvent.objects.count(), AuditCheckpoint.objects.count())
    column = "opinion" if table == EVENTS else "prev_hash"
    sql = (
        f"UPDATE {table} SET {column} = 'x'"  # noqa: S608
        if statement == "UPDATE"
        else f"DELETE FROM {table}"  # noqa: S608
    )
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    assert "append-only" in str(error.value)
    assert (AuditEvent.objects.count(), AuditCheckpoint.objects.count()) == counts
    assert verify_audit() == before == []


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", [EVENTS, CHECKPOINTS])
def test_postgres_trigger_refuses_truncate_unless_the_session_allows_it(history, table):
    """TRUNCATE of an audit table is refused in a session with audit.allow_truncate=off."""
    write_checkpoint()
    counts = (AuditEvent.objects.count(), AuditCheckpoint.objects.count())
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(f"SET LOCAL audit.allow_truncate = off; TRUNCATE {table}")
    assert "append-only" in str(error.value)
    assert (AuditEvent.objects.count(), AuditCheckpoint.objects.count()) == counts
