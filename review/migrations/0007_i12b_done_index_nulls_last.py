from django.db import migrations

INDEX = "review_task_done_holder_latest"


def create_index(apps, schema_editor):
    """已办's index in the order the page reads it; PostgreSQL only (SQLite has no NULLS LAST
    in an index, and its small databases do without)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "approval_workflow_reviewtask" '
        '("holder_id", "finished_at" DESC NULLS LAST, "task_ptr_id" DESC) WHERE NOT "open"'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("approval_workflow", "0006_i12b_task_inbox_row"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="reviewtask",
            name="review_task_done_holder",
        ),
        migrations.RunPython(create_index, drop_index),
    ]
