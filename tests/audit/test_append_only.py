"""The audit log is append-only: the ORM refuses to change or delete its rows, and on
PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of the audit tables, raw SQL
included."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.log import write_checkpoint
from audit.models import AuditCheckpoint, AuditEvent
from audit.verification import verify_audit
from tests.audit.helpers import CHECKPOINTS, EVENTS, chain_events


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
def test_postgres_trigger_refuses_truncate_whatever_the_session_sets(history, table):
    """TRUNCATE of an audit table is refused to every role, the tables' owner included; the
    audit.allow_truncate setting that once let it through no longer does."""
    write_checkpoint()
    counts = (AuditEvent.objects.count(), AuditCheckpoint.objects.count())
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(f"SET LOCAL audit.allow_truncate = on; TRUNCATE {table}")
    assert "append-only" in str(error.value)
    assert (AuditEvent.objects.count(), AuditCheckpoint.objects.count()) == counts
