"""The weekly digest (Friday 17:00): per organisation the waiting, overdue, approved and returned
counts and the average time per stage, sent once a week to reviewers and heads, and readable on
/digest/ by those entitled to it. Plus the beat schedule that sends it."""

import pytest
from celery.schedules import crontab
from django.core import mail
from django_celery_beat.models import PeriodicTask

from config.celery import app
from declarations.models import Stage
from notifications.digest import organisation_digest, send_weekly_digest
from review.drafts import declaration_copy
from tests.notifications.helpers import (
    EZ_DEPARTMENT,
    NY_DEPARTMENT,
    NY_GRID,
    NY_MOVE,
    NY_UNIT,
    at,
    notifications,
    recipients,
    seed,
    text_of,
    user,
)

pytestmark = pytest.mark.django_db
FRIDAY = at(2026, 3, 6, 17)
NEXT_FRIDAY = at(2026, 3, 13, 17)


@pytest.fixture
def week(flow, time_machine, ny_dept_head):
    """One week of history at 南岳区's unit (reviewed by ny_head at the unit-head stage):

    - Mon 03-02 09:00 three declarations submitted (due Thu 03-05 09:00);
    - Wed 03-04 09:00 NY_MOVE approved after 48 hours (it waits at the department now);
    - Thu 03-05 09:00 a 2021 copy of NY_MOVE returned after 72 hours;
    - NY_GRID left waiting: overdue by Friday.
    """
    move, grid = seed(NY_MOVE), seed(NY_GRID)
    time_machine.move_to(at(2026, 3, 2, 8), tick=False)
    copy = declaration_copy(actor=user("ny_preparer"), source_id=move.pk, fiscal_year=2021)
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    for declaration in (move, grid, copy):
        flow.submit(declaration)
    time_machine.move_to(at(2026, 3, 4, 9), tick=False)
    department_task = flow.approve(move)
    assert department_task.stage == Stage.DEPARTMENT
    time_machine.move_to(at(2026, 3, 5, 9), tick=False)
    flow.return_(copy, opinion="请补充年度目标")
    time_machine.move_to(FRIDAY, tick=False)
    mail.outbox = []
    return copy


def test_unit_digest_counts_and_average_time(week, demo):
    """At Friday 17:00 南岳区's unit has 1 waiting (overdue), 1 approved and 1 returned this week,
    and the unit-head stage took 60 hours on average over 2 decisions."""
    digest = organisation_digest(demo.org(NY_UNIT), end=FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 1, 1, 1)
    assert digest.rejected == 0
    assert [(s.stage, s.count, s.average_hours) for s in digest.stages] == [
        (Stage.UNIT_HEAD, 2, 60.0)
    ]


def test_department_digest_counts_what_waits_there(week, demo):
    """The department has NY_MOVE waiting (due Wed 03-11, not overdue) and decided nothing."""
    digest = organisation_digest(demo.org(NY_DEPARTMENT), end=FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 0, 0, 0)
    assert digest.stages == []


def test_next_weeks_digest_only_counts_that_week(week, demo):
    """A week later last week's decisions are out of the window; NY_GRID still waits, overdue."""
    digest = organisation_digest(demo.org(NY_UNIT), end=NEXT_FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 1, 0, 0)
    assert digest.stages == []


def test_digest_goes_to_reviewers_and_heads_once_a_week(week, flow, time_machine):
    """Friday's digest reaches every reviewing organisation's reviewers and heads (not the
    preparers, not the auditor); sending again in the same week adds nothing; the next week it
    is sent again."""
    created = flow.send_digest()
    expected = [
        "ez_dept",
        "ez_finance",
        "ez_perf",
        "ny_dept",
        "ny_dept_head",
        "ny_finance",
        "ny_head",
        "ny_perf",
    ]
    assert recipients("weekly_digest") == expected
    assert created == len(expected)
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == expected

    (unit_digest,) = notifications("ny_head", "weekly_digest")
    assert NY_UNIT in unit_digest.title
    assert "待审核 1 件，其中逾期 1 件；本周同意 1 件，退回 1 件" in unit_digest.body
    assert "单位负责人平均办理时间：60.0 小时（2 件）" in unit_digest.body
    assert unit_digest.url.startswith("/digest/?organisation=")

    time_machine.move_to(at(2026, 3, 6, 17, 5), tick=False)
    assert flow.send_digest() == 0
    time_machine.move_to(at(2026, 3, 8, 20), tick=False)  # Sunday: the same ISO week
    assert flow.send_digest() == 0
    assert recipients("weekly_digest") == expected

    time_machine.move_to(NEXT_FRIDAY, tick=False)
    assert flow.send_digest() == len(expected)
    assert recipients("weekly_digest") == sorted(expected * 2)


def test_digest_page_shows_own_organisation(week, web):
    """ny_head reads the unit's digest on /digest/ with this week's numbers and stage times."""
    page = web("ny_head").get("/digest/")
    assert page.status_code == 200
    text = text_of(page)
    assert NY_UNIT in text
    assert "待审核 1 逾期 1 本周同意 1 本周退回 1" in text
    assert "单位负责人 2 60.0" in text
    assert NY_DEPARTMENT not in text
    assert EZ_DEPARTMENT not in text


def test_digest_page_of_another_organisation_is_404(week, web, demo):
    """Asking for an organisation the user may not read (another jurisdiction's department, or
    another organisation of the same jurisdiction) is 404; their own one is 200."""
    client = web("ny_head")
    assert client.get("/digest/", {"organisation": demo.org(EZ_DEPARTMENT).pk}).status_code == 404
    assert client.get("/digest/", {"organisation": demo.org(NY_DEPARTMENT).pk}).status_code == 404
    own = client.get("/digest/", {"organisation": demo.org(NY_UNIT).pk})
    assert own.status_code == 200
    assert NY_UNIT in text_of(own)


def test_department_reviewer_and_head_read_the_department_digest(week, web, demo):
    for username in ("ny_dept", "ny_dept_head"):
        text = text_of(web(username).get("/digest/"))
        assert NY_DEPARTMENT in text, username
        assert EZ_DEPARTMENT not in text, username
        assert NY_UNIT not in text, username


def test_preparer_has_no_digest(week, web, demo):
    page = web("ny_preparer").get("/digest/")
    assert page.status_code == 200
    assert "您没有可查看的周报" in text_of(page)
    other = web("ny_preparer").get("/digest/", {"organisation": demo.org(NY_UNIT).pk})
    assert other.status_code == 404


def test_send_weekly_digest_is_the_celery_task(week, flow):
    """The beat entry's task sends the same digest; run twice, it sends once."""
    from notifications.tasks import send_weekly_digest as task

    assert flow.commit(task.delay).get() == 8
    assert flow.commit(task.delay).get() == 0
    assert send_weekly_digest() == 0


# --- The beat schedule -------------------------------------------------------------------------


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
    audit checkpoint hourly."""
    sweep = _entry("notifications.sweep_deadlines")
    assert sweep.crontab.minute == "*/5"
    deliver = _entry("notifications.deliver_due")
    assert deliver.crontab.minute == "*"
    assert _entry("workflow.audit_checkpoint").crontab.hour == "*"

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
