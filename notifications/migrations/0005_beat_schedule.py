"""The sweeps' default schedule in django-celery-beat; administrators change it in the admin."""

from django.db import migrations

SCHEDULE = [
    # name, task, crontab (minute, hour, day_of_week)
    ("预算绩效：截止时间巡检（提醒与升级）", "notifications.sweep_deadlines", ("*/5", "*", "*")),
    ("预算绩效：发送到期的邮件通知", "notifications.deliver_due", ("*", "*", "*")),
    ("预算绩效：每周五 17:00 审核周报", "notifications.send_weekly_digest", ("0", "17", "5")),
    ("预算绩效：审计日志检查点", "workflow.audit_checkpoint", ("7", "*", "*")),
]


def forwards(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day_of_week) in SCHEDULE:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        task_model.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def backwards(apps, schema_editor):
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[name for name, _, _ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_notification_show_in_app"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
