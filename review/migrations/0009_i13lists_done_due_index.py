from django.db import migrations, models

STATISTICS = "review_task_holder_queue_stats"


def create_statistics(apps, schema_editor):
    """Tell PostgreSQL's planner that a task's holder, queue (organisation and role) and stage
    go together: a reviewer's tasks are all in their own queue. Without it the planner
    multiplies the selectivities, expects one row where a busy reviewer has thousands, and
    joins and sorts all of them instead of walking an index to the page. PostgreSQL only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE STATISTICS IF NOT EXISTS "{STATISTICS}" (dependencies, mcv) ON '
        '"holder_id", "candidate_organisation_id", "candidate_role", "stage" '
        'FROM "approval_workflow_reviewtask"'
    )
    schema_editor.execute('ANALYZE "approval_workflow_reviewtask"')


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP STATISTICS IF EXISTS "{STATISTICS}"')


class Migration(migrations.Migration):
    dependencies = [
        ("approval_workflow", "0008_merge_inbox_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="reviewtask",
            index=models.Index(
                condition=models.Q(("open", False)),
                fields=["holder", "due_at", "task_ptr"],
                name="review_task_done_holder_due",
            ),
        ),
        migrations.RunPython(create_statistics, drop_statistics),
    ]
