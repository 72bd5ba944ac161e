"""Time limits and the calendar moved to the review app (label approval_workflow); tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_beat_schedule"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="CalendarDay",
                ),
                migrations.DeleteModel(
                    name="StageTimeLimit",
                ),
            ],
        ),
    ]
