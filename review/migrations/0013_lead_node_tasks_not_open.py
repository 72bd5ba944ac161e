from django.db import migrations

OPEN_STATUSES = ("NEW", "ASSIGNED", "STARTED")


def close_finished_rows(apps, schema_editor):
    """The flow's own node tasks (start, switches, ends) finish as soon as they are made, but
    their rows kept open=true: viewflow saved them whole and nothing copied the status (now
    ReviewTask.save does). Two thirds of the table claimed to be open, which swelled the
    partial indexes on open tasks and misled the planner's estimates. The next migration
    rebuilds those indexes, once this one has committed."""
    ReviewTask = apps.get_model("approval_workflow", "ReviewTask")
    finished = ReviewTask.objects.filter(open=True).exclude(status__in=OPEN_STATUSES)
    finished.filter(status="DONE").update(open=False, state="done")
    finished.update(open=False, state="withdrawn")


class Migration(migrations.Migration):
    dependencies = [
        ("approval_workflow", "0012_lead_done_index_both_ways"),
    ]

    operations = [
        migrations.RunPython(close_finished_rows, migrations.RunPython.noop, elidable=True),
    ]
