"""Database roles (PostgreSQL): the application's role may only INSERT and SELECT the audit
tables, while `migrate` and `grant_app_role` connect as the tables' owner."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.checkpoints import seal_checkpoint
from audit.log import record_event
from audit.models import AuditAction, AuditEvent
from audit.roles import APPEND_ONLY_MODELS
from audit.verification import verify_audit
from tests.review.helpers import user


def _app_role() -> str:
    """A role name of this test database's own (roles are shared by the whole cluster)."""
    return f"{connection.settings_dict['NAME']}_app"[:63].lower()


@pytest.fixture
def app_role(db):
    """A login role granted by `grant_app_role`; created inside the test's transaction, so
    it is gone again when the test ends."""
    role = _app_role()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    call_command("grant_app_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return role


def _as(role: str, sql: str) -> None:
    """Run one statement as `role` in a savepoint that is rolled back either way."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        cursor.execute(sql)


def _statements(model) -> dict[str, str]:
    table, key = model._meta.db_table, model._meta.pk.column
    trigger = f"{table}_no_change"
    return {
        "UPDATE": f"UPDATE {table} SET {key} = {key}",  # noqa: S608
        "DELETE": f"DELETE FROM {table}",  # noqa: S608
        "TRUNCATE": f"TRUNCATE {table}",
        "DISABLE TRIGGER": f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        "DISABLE ONE TRIGGER": f"ALTER TABLE {table} DISABLE TRIGGER {trigger}",
        "DROP TRIGGER": f"DROP TRIGGER {trigger} ON {table}",
        "ALTER": f"ALTER TABLE {table} ADD COLUMN note text",
        "OWNER": f"ALTER TABLE {table} OWNER TO CURRENT_USER",
    }


@pytest.mark.postgres
@pytest.mark.parametrize("model", APPEND_ONLY_MODELS, ids=lambda model: model.__name__)
def test_the_application_role_cannot_change_an_audit_table(demo, app_role, model):
    """As the application's role, UPDATE, DELETE, TRUNCATE, ALTER TABLE (DISABLE TRIGGER,
    a new column, a new owner) and DROP TRIGGER on each audit table fail for want of the
    privilege, not because of the trigger; the log stays as it was."""
    record_event(action=AuditAction.VIEW, actor=user("auditor"))
    seal_checkpoint()
    before = _counts()
    for statement, sql in _statements(model).items():
        with pytest.raises(DatabaseError) as error:
            _as(app_role, sql)
        assert error.value.__cause__.sqlstate == "42501", statement  # insufficient_privilege
        message = str(error.value)
        assert "permission denied" in message or "must be owner" in message, (statement, message)
    assert _counts() == before
    assert verify_audit() == []


def _counts() -> list[int]:
    return [model.objects.count() for model in APPEND_ONLY_MODELS]


@pytest.mark.postgres
def test_the_application_role_appends_and_reads_the_log(demo, app_role):
    """As the application's role, record_event writes (a new chain and an existing one), the
    checkpointer folds the events into the Merkle tree and signs it, and the log reads back
    and verifies."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        first = record_event(action=AuditAction.VIEW, actor=user("auditor"))
        second = record_event(action=AuditAction.EXPORT, actor=user("auditor"))
        assert list(AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")) == [
            first,
            second,
        ]
        assert second.seq == first.seq + 1
        sealed = seal_checkpoint()
        assert sealed.checkpoint is not None
        assert sealed.checkpoint.size == AuditEvent.objects.count()
        assert verify_audit() == []
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role


@pytest.mark.postgres
def test_grant_app_role_refuses_a_superuser_and_a_missing_role(db):
    """grant_app_role explains, in Chinese, why a superuser or an unknown role cannot be the
    application's role."""
    with pytest.raises(CommandError, match="超级用户"):
        call_command("grant_app_role", "postgres")
    with pytest.raises(CommandError, match="不存在"):
        call_command("grant_app_role", "no_such_role_i11b")
    with pytest.raises(CommandError, match="无效"):
        call_command("grant_app_role", 'x"; DROP TABLE y; --')


@pytest.mark.postgres
def test_grant_app_role_refuses_a_role_that_inherits_ownership(db):
    """A role that is a member of the tables' owner could ALTER them: refused."""
    role = _app_role()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
        cursor.execute(f'GRANT "{owner}" TO "{role}"')
    with pytest.raises(CommandError, match="所有者"):
        call_command("grant_app_role", role)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migrate_connects_as_the_owner_of_migration_database_url(settings):
    """With MIGRATION_DATABASE_URL set, `migrate` connects as that role (here one that does not
    exist, so the connection names it), and the connection is back as before afterwards."""
    settings.MIGRATION_DATABASE = {**connection.settings_dict, "USER": "owner_missing_i11b"}
    with pytest.raises(DatabaseError, match="owner_missing_i11b"):
        call_command("migrate", verbosity=0)
    settings.MIGRATION_DATABASE = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] != "owner_missing_i11b"
