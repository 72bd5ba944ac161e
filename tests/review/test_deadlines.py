"""Due times in working days: weekends and Chinese public holidays off, 调休 working weekends on,
the administrators' CalendarDay table first, per-jurisdiction StageTimeLimit rows, and the due
time shown wherever the task is."""

from datetime import date

import chinese_calendar
import pytest
from django.utils import timezone

from declarations.models import Stage
from organisations.models import Jurisdiction
from review.models import CalendarDay, StageTimeLimit
from tests.api.helpers import parse_at
from tests.notifications.helpers import EZ_PROJECT, NY_GRID, NY_MOVE, at, local, seed, task, text_of

pytestmark = pytest.mark.django_db


def _ny():
    return Jurisdiction.objects.get(code="nanyue")


def test_calendar_facts_the_tests_rely_on():
    """chinesecalendar knows 2026: 国庆 Oct 1-7 off, Saturday Oct 10 a 调休 working day, and the
    March weeks used below are ordinary weeks."""
    for day in range(1, 8):
        assert not chinese_calendar.is_workday(date(2026, 10, day)), day
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 9))
    assert date(2026, 10, 10).weekday() == 5
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert not chinese_calendar.is_workday(date(2026, 10, 11))
    assert date(2026, 3, 6).weekday() == 4
    for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13):
        assert chinese_calendar.is_workday(date(2026, 3, day)), day
    for day in (7, 8):
        assert not chinese_calendar.is_workday(date(2026, 3, day)), day


def test_unit_head_task_created_friday_afternoon_is_due_wednesday_same_time(flow, time_machine):
    """3 working days for the unit head skip Saturday and Sunday: Fri 15:30 -> Wed 15:30. The
    reminder is one working day earlier (Tue 15:30) and the escalation to administrators two
    working days after the due time (Fri 15:30)."""
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    review_task = flow.submit(seed(NY_MOVE))
    assert review_task.stage == Stage.UNIT_HEAD
    assert local(review_task.due_at) == at(2026, 3, 11, 15, 30)
    assert local(review_task.remind_at) == at(2026, 3, 10, 15, 30)
    assert local(review_task.escalate_at) == at(2026, 3, 13, 15, 30)


def test_other_stages_have_five_working_days(flow, time_machine):
    """Every stage after the unit head has 5 working days: approved Mon 10:00 -> due Mon 10:00."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 2, 10), tick=False)
    department_task = flow.approve(seed(NY_MOVE))
    assert department_task.stage == Stage.DEPARTMENT
    assert local(department_task.due_at) == at(2026, 3, 9, 10)


def test_task_across_national_day_lands_on_the_tiaoxiu_saturday(flow, time_machine):
    """Submitted Wed 2026-09-30 10:00, the unit head's 3 working days are Thu Oct 8, Fri Oct 9 and
    the 调休 Saturday Oct 10 (Oct 1-7 are 国庆 holidays): due Sat 2026-10-10 10:00. The department
    task created an hour later has 5: Oct 8, 9, 10, 12, 13 -> Tue 2026-10-13 11:00."""
    time_machine.move_to(at(2026, 9, 30, 10), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    assert local(unit_task.due_at) == at(2026, 10, 10, 10)
    assert local(unit_task.remind_at) == at(2026, 10, 9, 10)

    time_machine.move_to(at(2026, 9, 30, 11), tick=False)
    department_task = flow.approve(seed(NY_MOVE))
    assert local(department_task.due_at) == at(2026, 10, 13, 11)


def test_tiaoxiu_saturday_counts_as_a_working_day(flow, time_machine):
    """From Fri 2026-10-09 16:00 the 3 working days are Sat Oct 10 (调休), Mon Oct 12 and Tue
    Oct 13: due Tue 16:00, not Wed as a plain Mon-Fri count would give."""
    time_machine.move_to(at(2026, 10, 9, 16), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    assert local(unit_task.due_at) == at(2026, 10, 13, 16)
    assert local(unit_task.remind_at) == at(2026, 10, 12, 16)


@pytest.mark.parametrize(
    ("override", "created", "expected_due"),
    [
        # An extra holiday on Monday: Fri 15:30 -> Tue, Wed, Thu -> Thu 15:30.
        (
            (date(2026, 3, 9), CalendarDay.Kind.HOLIDAY),
            at(2026, 3, 6, 15, 30),
            at(2026, 3, 12, 15, 30),
        ),
        # A working Saturday: Fri 15:30 -> Sat, Mon, Tue -> Tue 15:30.
        (
            (date(2026, 3, 7), CalendarDay.Kind.WORKDAY),
            at(2026, 3, 6, 15, 30),
            at(2026, 3, 10, 15, 30),
        ),
        # The administrators cancel the package's 调休 Saturday: Fri Oct 9 -> Mon, Tue, Wed.
        ((date(2026, 10, 10), CalendarDay.Kind.HOLIDAY), at(2026, 10, 9, 16), at(2026, 10, 14, 16)),
    ],
    ids=["monday-holiday", "saturday-workday", "tiaoxiu-cancelled"],
)
def test_calendar_day_rows_take_precedence_over_the_package(
    flow, time_machine, override, created, expected_due
):
    """A CalendarDay row that administrators add decides over chinesecalendar."""
    day, kind = override
    CalendarDay.objects.create(date=day, kind=kind, name="测试调整")
    time_machine.move_to(created, tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    assert local(unit_task.due_at) == expected_due


def test_stage_time_limit_row_changes_the_limit_of_its_jurisdiction_only(flow, time_machine):
    """A StageTimeLimit of 1 working day for 南岳区's unit head makes Fri 15:30 due Mon 15:30;
    鄂州市's unit head keeps the default 3 (Wed 15:30). The row's escalate_after_days moves the
    escalation to administrators."""
    StageTimeLimit.objects.create(
        jurisdiction=_ny(), stage=Stage.UNIT_HEAD, working_days=1, escalate_after_days=4
    )
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    ny_task = flow.submit(seed(NY_MOVE))
    ez_task = flow.submit(seed(EZ_PROJECT))
    assert local(ny_task.due_at) == at(2026, 3, 9, 15, 30)
    assert local(ny_task.escalate_at) == at(2026, 3, 13, 15, 30)
    assert local(ez_task.due_at) == at(2026, 3, 11, 15, 30)
    assert local(ez_task.escalate_at) == at(2026, 3, 13, 15, 30)


def test_due_time_is_fixed_when_the_task_is_created(flow, time_machine):
    """Changing the time limit or the calendar later does not move the due time of a task that
    already exists; tasks created afterwards follow the new rules."""
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    first = flow.submit(seed(NY_MOVE))
    StageTimeLimit.objects.create(jurisdiction=_ny(), stage=Stage.UNIT_HEAD, working_days=2)
    CalendarDay.objects.create(date=date(2026, 3, 10), kind=CalendarDay.Kind.HOLIDAY)
    second = flow.submit(seed(NY_GRID))
    assert local(task(first.pk).due_at) == at(2026, 3, 11, 15, 30)
    # 2 working days from Fri with Tue off: Mon, Wed.
    assert local(second.due_at) == at(2026, 3, 11, 15, 30)
    assert local(second.remind_at) == at(2026, 3, 9, 15, 30)


def test_administrator_edits_time_limits_and_calendar_in_the_admin(flow, web, time_machine):
    """StageTimeLimit and CalendarDay are edited in the Django admin, and take effect for the
    next task."""
    admin = web("admin")
    response = admin.post(
        "/admin/approval_workflow/stagetimelimit/add/",
        {
            "jurisdiction": _ny().pk,
            "stage": Stage.UNIT_HEAD,
            "working_days": "2",
            "escalate_after_days": "1",
        },
    )
    assert response.status_code == 302, text_of(response)[:2000]
    response = admin.post(
        "/admin/approval_workflow/calendarday/add/",
        {"date": "2026-03-09", "kind": CalendarDay.Kind.HOLIDAY, "name": "临时休假"},
    )
    assert response.status_code == 302, text_of(response)[:2000]
    assert admin.get("/admin/approval_workflow/stagetimelimit/").status_code == 200
    assert admin.get("/admin/approval_workflow/calendarday/").status_code == 200
    # Their addresses from before they moved apps still lead there.
    assert admin.get("/admin/notifications/calendarday/", follow=True).status_code == 200

    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    # 2 working days with Monday off: Tue, Wed; escalation 1 working day later: Thu.
    assert local(unit_task.due_at) == at(2026, 3, 11, 15, 30)
    assert local(unit_task.escalate_at) == at(2026, 3, 12, 15, 30)


def test_due_time_is_shown_on_task_list_detail_and_api(flow, web, api, time_machine):
    """The unit head sees the due time in the task list (m-d H:i), on the task page (Y-m-d H:i)
    and in /api/tasks/ as `due`; in the new-task notification too."""
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    client = web("ny_head")

    listing = text_of(client.get("/tasks/"))
    assert NY_MOVE in listing
    assert "03-11 15:30" in listing
    detail = text_of(client.get(f"/tasks/{unit_task.pk}/"))
    assert "办理期限 2026-03-11 15:30" in detail

    response = api("ny_head").get("/api/tasks/")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    row = next(r for r in rows if r["id"] == unit_task.pk)
    assert parse_at(row["due"]) == at(2026, 3, 11, 15, 30)
    assert row["overdue"] is False

    notification = unit_task.declaration.notifications.get(user__username="ny_head")
    assert "2026-03-11 15:30" in notification.body


def test_task_list_marks_overdue_tasks(flow, web, time_machine):
    """After the due time the list and the task page mark the task 逾期 and the API says so."""
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 11, 15, 31), tick=False)
    assert timezone.now() > unit_task.due_at
    client = web("ny_head")
    assert "逾期" in text_of(client.get("/tasks/"))
    assert "逾期" in text_of(client.get(f"/tasks/{unit_task.pk}/"))
    overdue_only = text_of(client.get("/tasks/", {"overdue": "1"}))
    assert NY_MOVE in overdue_only
