"""verify_audit (and `manage.py verify_audit`): it passes on a clean log, and exits 1
naming the first bad event when a row was changed, deleted, forged or inserted out of
order, a chain head removed or a checkpoint altered."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import connection

from audit.log import write_checkpoint
from audit.models import AuditCheckpoint, AuditEvent, ChainHead
from audit.verification import verify_audit
from tests.audit.helpers import (
    CHECKPOINTS,
    EVENTS,
    chain_events,
    insert_event_row,
    row_values,
    tamper,
    verify_fails,
)
from tests.review.helpers import user


@pytest.mark.django_db
def test_verify_audit_passes_on_a_clean_log(history, capsys):
    """On an untouched log the command succeeds (exit 0) and reports the events it checked,
    with and without checkpoints."""
    assert verify_audit() == []
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "审计日志核验通过" in out.getvalue()
    assert f"{AuditEvent.objects.count()} 个事件" in out.getvalue()

    call_command("audit_checkpoint", stdout=StringIO())
    write_checkpoint()
    write_checkpoint()
    assert AuditCheckpoint.objects.count() == 2
    execute_from_command_line(["manage.py", "verify_audit"])  # no SystemExit: exit status 0
    assert "审计日志核验通过" in capsys.readouterr().out


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
    assert f"事件 #{target.pk}（" in str(error)
    assert f"第一个问题：事件 #{target.pk}（" in output


@pytest.mark.django_db
def test_verify_audit_names_the_event_after_a_deleted_row(history, capsys):
    """Deleting an event from the middle of a chain makes verify_audit exit 1 naming the
    event that now follows the gap."""
    events = chain_events(history)
    victim, follower = events[3], events[4]
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [victim.pk])  # noqa: S608
    error, _output = verify_fails(capsys)
    assert f"事件 #{follower.pk}（" in str(error)
    assert "删除" in str(error)


@pytest.mark.django_db
def test_verify_audit_detects_a_deleted_last_event(history, capsys):
    """Deleting the newest event of a chain is caught by the chain head."""
    last = chain_events(history)[-1]
    tamper(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk])  # noqa: S608
    error, _ = verify_fails(capsys)
    assert f"declaration:{history.pk}" in str(error)


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
    assert f"旧检查点 #{checkpoint.pk}" in str(error)


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
    assert f"事件 #{forged_id}（" in str(error)
    assert f"第一个问题：事件 #{forged_id}（" in output


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
    assert f"事件 #{reinserted}（" in output
    assert f"第一个问题：事件 #{reinserted}（" in output, output
