"""The audit log's trigger refuses UPDATE, DELETE and TRUNCATE for everyone, on every audit
table: no escape.

The trigger used to let TRUNCATE through in a session that set audit.allow_truncate=on, and
any role could set that. The real protection is now the database roles (the application's role
may only INSERT and SELECT the audit tables; see audit/roles.py); the trigger stays as a second
wall for a deployment that serves as the tables' owner by mistake. Test flushes switch
triggers off with session_replication_role, which only a superuser may set (see
config/test_postgresql/base.py). The Merkle log's tables get the same triggers.
"""

from django.db import migrations

STRICT = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

WITH_ESCAPE = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('audit.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

MERKLE_TABLES = ["audit_auditlog", "audit_auditleaf", "audit_auditnode", "audit_signedcheckpoint"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(STRICT, params=None)
    for table in MERKLE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in MERKLE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute(WITH_ESCAPE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_i11a_merkle_log"),
        ("approval_workflow", "0002_audit_append_only"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
