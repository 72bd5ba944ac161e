"""Reading and tampering with the audit log in tests: the events a step wrote, what a recorded
event must hold, and SQL run as an intruder with database access would run it."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audit.models import AuditCheckpoint, AuditEvent, AuditResult, ChainHead
from audit.verification import verify_audit

EVENTS = AuditEvent._meta.db_table
CHECKPOINTS = AuditCheckpoint._meta.db_table
HEADS = ChainHead._meta.db_table


def chain_events(declaration) -> list[AuditEvent]:
    """The events on a declaration's chain, in sequence order."""
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
    """The event's row as the database holds it, column by column."""
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


def only_new_event(before: int) -> AuditEvent:
    """The one event written since `before`; fails if there are none or several."""
    events = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk"))
    assert len(events) == 1, [(e.action, e.result, e.stage) for e in events]
    return events[0]


def only_new_event_any(before: int) -> AuditEvent:
    """The one event written since `before`, whatever its result; fails if there are several."""
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert len(events) == 1, [(e.action, e.result) for e in events]
    return events[0]


def assert_event(
    event: AuditEvent,
    *,
    action: str,
    actor: str,
    role: str,
    organisation: str | None,
    declaration,
    stage: str = "",
    opinion: str = "",
    digest: str | None = None,
):
    """The event records these facts with result ok, at about now, and the log still verifies."""
    assert event.action == action
    assert event.result == AuditResult.OK
    assert event.actor.username == actor
    assert event.actor_name == (event.actor.get_full_name() or actor)
    assert event.role == role
    if organisation is None:
        assert event.organisation_id is None
    else:
        assert event.organisation.name == organisation
        assert event.organisation_name == organisation
    assert event.declaration_id == declaration.pk
    assert event.chain == f"declaration:{declaration.pk}"
    assert event.stage == stage
    assert event.opinion == opinion
    if digest is not None:
        assert event.digest == digest
    assert timezone.now() - timedelta(minutes=1) < event.at <= timezone.now()
    assert verify_audit() == []
