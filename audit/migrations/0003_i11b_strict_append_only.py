"""The audit log's trigger refuses UPDATE, DELETE and TRUNCATE for everyone: no escape.

The trigger used to let TRUNCATE through in a session that set audit.allow_truncate=on, and
any role could set that. The real protection is now the database roles (the application's role
may only INSERT and SELECT the audit tables; see audit/roles.py); the trigger stays as a second
wall for a misconfigured deployment that serves as the tables' owner. Test flushes switch
triggers off with session_replication_role, which only a superuser may set (see
config/test_postgresql/base.py).
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


def _replace_function(body: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(body, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_auditevent_jurisdiction"),
        ("approval_workflow", "0002_audit_append_only"),
    ]

    operations = [migrations.RunPython(_replace_function(STRICT), _replace_function(WITH_ESCAPE))]
