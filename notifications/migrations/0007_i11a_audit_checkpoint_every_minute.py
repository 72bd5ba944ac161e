"""The audit checkpointer runs every minute: whoever controls the database can cut only the
events newer than the newest anchored checkpoint, so the interval is the window."""

from django.db import migrations

NAME = "预算绩效：审计日志检查点"
TASK = "workflow.audit_checkpoint"


def _crontab(apps, minute: str):
    crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
        minute=minute,
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    return crontab


def every_minute(apps, schema_editor):
    tasks = apps.get_model("django_celery_beat", "PeriodicTask").objects
    task, _ = tasks.get_or_create(name=NAME, defaults={"task": TASK, "crontab": _crontab(apps, "*")})
    task.crontab = _crontab(apps, "*")
    task.save(update_fields=["crontab"])


def hourly(apps, schema_editor):
    tasks = apps.get_model("django_celery_beat", "PeriodicTask").objects
    tasks.filter(name=NAME).update(crontab=_crontab(apps, "7"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_delete_calendarday_delete_stagetimelimit"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_minute, hourly)]
