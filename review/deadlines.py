"""Working days and due times: weekends and Chinese public holidays off, 调休 Saturdays on.

The CalendarDay table, which administrators edit, decides first; the chinesecalendar package
covers the years it knows; beyond those, Monday to Friday are working days.
"""

from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone

from organisations.memo import remembered
from review.models import (
    DEFAULT_WORKING_DAYS,
    DEFAULT_WORKING_DAYS_OTHER,
    CalendarDay,
    StageTimeLimit,
)


def is_working_day(day: date, overrides: dict[date, str] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day] == CalendarDay.Kind.WORKDAY
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _overrides(start: date, end: date) -> dict[date, str]:
    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind")
    )


def add_working_days(
    start: datetime, days: int, overrides: dict[date, str] | None = None
) -> datetime:
    """The same local time of day, `days` working days after `start`."""
    local = timezone.localtime(start)
    if overrides is None:
        overrides = _overrides(local.date(), local.date() + timedelta(days=days * 3 + 30))
    current = local
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current.date(), overrides):
            remaining -= 1
    return current


def subtract_working_days(
    moment: datetime, days: int, overrides: dict[date, str] | None = None
) -> datetime:
    local = timezone.localtime(moment)
    if overrides is None:
        overrides = _overrides(local.date() - timedelta(days=days * 3 + 30), local.date())
    current = local
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current.date(), overrides):
            remaining -= 1
    return current


def time_limit(jurisdiction, stage: str) -> StageTimeLimit:
    limit = remembered(
        ("time_limit", jurisdiction.pk, stage),
        lambda: StageTimeLimit.objects.filter(jurisdiction=jurisdiction, stage=stage).first(),
    )
    if limit is None:
        limit = StageTimeLimit(
            jurisdiction=jurisdiction,
            stage=stage,
            working_days=DEFAULT_WORKING_DAYS.get(stage, DEFAULT_WORKING_DAYS_OTHER),
        )
    return limit


REMIND_WORKING_DAYS_BEFORE = 1


def _calendar_around(day: date, working_days: int) -> dict[date, str]:
    """The calendar's exceptions from a while before `day` to well past `working_days` working
    days after it: one read covers a task's due, reminder and escalation times."""
    start = day - timedelta(days=REMIND_WORKING_DAYS_BEFORE * 3 + 30)
    end = day + timedelta(days=working_days * 3 + 30)
    return remembered(("calendar", start, end), lambda: _overrides(start, end))


def task_deadlines(jurisdiction, stage: str, created: datetime):
    """(due, remind, escalate-to-administrators) for a task created now; fixed at creation."""
    limit = time_limit(jurisdiction, stage)
    overrides = _calendar_around(
        timezone.localdate(created), limit.working_days + limit.escalate_after_days
    )
    due = add_working_days(created, limit.working_days, overrides)
    remind = subtract_working_days(due, REMIND_WORKING_DAYS_BEFORE, overrides)
    escalate = add_working_days(due, limit.escalate_after_days, overrides)
    return due, max(remind, timezone.localtime(created)), escalate
