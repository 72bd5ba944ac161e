"""The beat schedule: the data migration schedules the sweeps, the digest and the audit
checkpoint in django-celery-beat, as registered Celery tasks."""

import pytest
from celery.schedules import crontab
from django_celery_beat.models import PeriodicTask

from config.celery import app
from tests.notifications.helpers import FRIDAY

pytestmark = pytest.mark.django_db


def _entry(task_name: str) -> PeriodicTask:
    app.loader.import_default_modules()  # autodiscovery, as a worker or beat does at start
    (entry,) = PeriodicTask.objects.filter(task=task_name)
    assert entry.enabled
    assert entry.crontab is not None
    assert entry.task in app.tasks, f"{entry.task} is not a registered Celery task"
    return entry


def test_beat_schedule_rows_exist():
    """The data migration schedules the sweeps in django-celery-beat: the deadline sweep every
    few minutes, the delivery sweep every minute, the digest Fridays 17:00 Beijing time, and the
    audit checkpoint every minute."""
    sweep = _entry("notifications.sweep_deadlines")
    assert sweep.crontab.minute == "*/5"
    deliver = _entry("notifications.deliver_due")
    assert deliver.crontab.minute == "*"
    checkpoint = _entry("workflow.audit_checkpoint").crontab
    assert (checkpoint.minute, checkpoint.hour) == ("*", "*")

    digest = _entry("notifications.send_weekly_digest").crontab
    assert (digest.minute, digest.hour, digest.day_of_month, digest.month_of_year) == (
        "0",
        "17",
        "*",
        "*",
    )
    assert str(digest.timezone) == "Asia/Shanghai"
    # Celery counts days of the week from Sunday = 0: 5 is Friday.
    schedule = crontab(
        minute=digest.minute,
        hour=digest.hour,
        day_of_week=digest.day_of_week,
        day_of_month=digest.day_of_month,
        month_of_year=digest.month_of_year,
    )
    assert schedule.day_of_week == {5}
    assert schedule.hour == {17}
    assert schedule.minute == {0}
    assert FRIDAY.isoweekday() == 5
