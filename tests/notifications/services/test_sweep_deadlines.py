"""sweep_deadlines, the deadline sweep: a reminder one working day before the due time, the first
escalation at the due time (overdue, candidates and their organisation's head), the second
escalation to the jurisdiction's administrators after escalate_after_days; each level once per
task, audited."""

import pytest
from django.core import mail

from audit.models import AuditAction, AuditResult
from declarations.labels import stage_label
from declarations.models import Stage
from notifications.links import absolute_link
from notifications.tasks import sweep_deadlines
from notifications.texts import render_text
from organisations.models import Jurisdiction
from review.models import StageTimeLimit
from review.services import task_claim
from tests import factories
from tests.notifications.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    at,
    audit_events,
    local,
    notifications,
    recipients,
    seed,
    task,
    text_of,
    user,
)

pytestmark = pytest.mark.django_db


def _submit_monday(flow, time_machine, name=NY_MOVE):
    """Submitted Mon 2026-03-02 09:00: the unit head's task is due Thu 03-05 09:00, the reminder
    is Wed 03-04 09:00, the escalation to administrators Mon 03-09 09:00."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    unit_task = flow.submit(seed(name))
    assert local(unit_task.due_at) == at(2026, 3, 5, 9)
    assert local(unit_task.remind_at) == at(2026, 3, 4, 9)
    assert local(unit_task.escalate_at) == at(2026, 3, 9, 9)
    return unit_task


def _department_task(flow, time_machine, default_limits=True):
    """Approved by the unit head Mon 03-02 10:00: the department task is due Mon 03-09 10:00,
    reminded Fri 03-06 10:00 and escalated to administrators Wed 03-11 10:00 (by default)."""
    _submit_monday(flow, time_machine)
    time_machine.move_to(at(2026, 3, 2, 10), tick=False)
    department_task = flow.approve(seed(NY_MOVE))
    assert department_task.stage == Stage.DEPARTMENT
    if not default_limits:
        return department_task
    assert local(department_task.due_at) == at(2026, 3, 9, 10)
    assert local(department_task.remind_at) == at(2026, 3, 6, 10)
    assert local(department_task.escalate_at) == at(2026, 3, 11, 10)
    return department_task


# --- Reminder -------------------------------------------------------------------------------------


def test_reminder_fires_one_working_day_before_due_to_the_assignee_once(flow, time_machine):
    """Just before Wed 09:00 the sweep sends nothing; just after, one reminder to ny_head (who
    holds the task), in-app and by e-mail, audited as remind; later sweeps add nothing."""
    unit_task = _submit_monday(flow, time_machine)
    mail.outbox = []

    time_machine.move_to(at(2026, 3, 4, 8, 59), tick=False)
    report = flow.sweep()
    assert report.as_dict() == {"reminded": 0, "overdue": 0, "escalated": 0}
    assert recipients("reminder") == []
    assert task(unit_task.pk).reminded_at is None

    time_machine.move_to(at(2026, 3, 4, 9, 1), tick=False)
    report = flow.sweep()
    assert report.reminded == [unit_task.pk]
    assert recipients("reminder") == ["ny_head"]
    assert local(task(unit_task.pk).reminded_at) == at(2026, 3, 4, 9, 1)
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]
    assert "2026-03-05 09:00" in mail.outbox[0].body

    (event,) = audit_events(AuditAction.REMIND, unit_task.declaration)
    assert event.result == AuditResult.OK
    assert event.stage == Stage.UNIT_HEAD
    assert event.details["task"] == unit_task.pk
    assert event.details["notified"] == ["ny_head"]

    for moment in (at(2026, 3, 4, 9, 6), at(2026, 3, 4, 17), at(2026, 3, 5, 8, 59)):
        time_machine.move_to(moment, tick=False)
        assert flow.sweep().reminded == []
    assert recipients("reminder") == ["ny_head"]
    assert len(audit_events(AuditAction.REMIND)) == 1
    assert len(mail.outbox) == 1


def test_reminder_goes_to_every_candidate_of_an_unclaimed_task(flow, time_machine, second_ny_dept):
    """With two department reviewers the task waits unclaimed in their queue; the reminder
    (Fri 03-06 10:00) reaches both."""
    department_task = _department_task(flow, time_machine)
    assert department_task.owner_id is None
    time_machine.move_to(at(2026, 3, 6, 9, 59), tick=False)
    assert flow.sweep().reminded == []
    time_machine.move_to(at(2026, 3, 6, 10), tick=False)
    assert flow.sweep().reminded == [department_task.pk]
    assert recipients("reminder") == ["ny_dept", "ny_dept2"]


def test_reminder_goes_only_to_the_holder_once_claimed(flow, time_machine, second_ny_dept):
    """Claimed by ny_dept2, the task's reminder goes to ny_dept2 alone."""
    department_task = _department_task(flow, time_machine)
    flow.commit(task_claim, actor=second_ny_dept, task_id=department_task.pk)
    time_machine.move_to(at(2026, 3, 6, 10, 1), tick=False)
    flow.sweep()
    assert recipients("reminder") == ["ny_dept2"]


def test_decided_task_is_neither_reminded_nor_escalated(flow, time_machine):
    """A task decided in time leaves the sweep nothing to do, however late it runs."""
    _submit_monday(flow, time_machine)
    time_machine.move_to(at(2026, 3, 3, 9), tick=False)
    flow.approve(seed(NY_MOVE))  # the department task that follows is due 03-10 09:00
    time_machine.move_to(at(2026, 3, 9, 18), tick=False)
    flow.sweep()
    assert recipients("reminder") == ["ny_dept"]  # the department task's, 03-09 09:00
    assert recipients("escalation") == []
    assert recipients("escalation_admin") == []


# --- First escalation -----------------------------------------------------------------------------


def test_first_escalation_at_the_due_time_marks_overdue_and_tells_candidates_and_head(
    flow, time_machine, second_ny_dept, ny_dept_head, ny_admin
):
    """At Mon 03-09 10:00 the department task becomes overdue (overdue_at set) and both
    candidates and the department's head are told, once each; administrators are not told yet."""
    department_task = _department_task(flow, time_machine)

    time_machine.move_to(at(2026, 3, 9, 9, 59), tick=False)
    report = flow.sweep()
    assert report.overdue == []
    assert task(department_task.pk).overdue_at is None
    assert recipients("escalation") == []

    time_machine.move_to(at(2026, 3, 9, 10), tick=False)
    mail.outbox = []
    report = flow.sweep()
    assert report.overdue == [department_task.pk]
    assert report.escalated == []
    assert local(task(department_task.pk).overdue_at) == at(2026, 3, 9, 10)
    assert recipients("escalation") == ["ny_dept", "ny_dept2", "ny_dept_head"]
    assert recipients("escalation_admin") == []
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ny_dept2@example.gov.cn",
        "ny_dept@example.gov.cn",
        "ny_dept_head@example.gov.cn",
    ]

    (event,) = audit_events(AuditAction.ESCALATE, department_task.declaration)
    assert event.details["level"] == "overdue"
    assert event.details["notified"] == ["ny_dept", "ny_dept2", "ny_dept_head"]
    assert event.stage == Stage.DEPARTMENT

    for moment in (at(2026, 3, 9, 10, 5), at(2026, 3, 10, 15)):
        time_machine.move_to(moment, tick=False)
        assert flow.sweep().overdue == []
    assert recipients("escalation") == ["ny_dept", "ny_dept2", "ny_dept_head"]
    assert len(audit_events(AuditAction.ESCALATE)) == 1
    assert local(task(department_task.pk).overdue_at) == at(2026, 3, 9, 10)


def test_first_escalation_of_a_unit_head_task_tells_the_unit_head_once(flow, time_machine):
    """At the unit-head stage the candidate and the head of the unit are the same person: one
    notification, not two."""
    unit_task = _submit_monday(flow, time_machine)
    time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
    assert flow.sweep().overdue == [unit_task.pk]
    assert recipients("escalation") == ["ny_head"]


def test_escalation_links_to_the_task_which_the_list_shows_overdue(
    flow, web, time_machine, ny_dept_head
):
    """The head's escalation names the due time and links to the task; the reviewer's list
    filtered on 逾期 shows it."""
    department_task = _department_task(flow, time_machine)
    time_machine.move_to(at(2026, 3, 9, 10, 30), tick=False)
    flow.sweep()
    notification = department_task.declaration.notifications.get(
        event="escalation", user__username="ny_dept_head"
    )
    assert notification.url == f"/tasks/{department_task.pk}/"
    assert "2026-03-09 10:00" in notification.body
    listing = text_of(web("ny_dept").get("/tasks/", {"overdue": "1"}))
    assert NY_MOVE in listing


def test_escalations_alike_but_for_their_declaration_each_name_their_own(flow, time_machine):
    """Two declarations of one unit submitted at the same moment fall due together for the same
    head: each escalation names its own declaration and links to its own task, with the text the
    template gives for it (the sweep renders such alike notices once and puts the names in)."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    tasks = {name: flow.submit(seed(name)) for name in (NY_MOVE, NY_GRID)}
    time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
    assert sorted(flow.sweep().overdue) == sorted(t.pk for t in tasks.values())
    for name, unit_task in tasks.items():
        (notice,) = [n for n in notifications("ny_head", "escalation") if n.task_id == unit_task.pk]
        assert notice.title == f"审核任务已逾期：{name}"
        assert f"《{name}》" in notice.body
        assert notice.url == f"/tasks/{unit_task.pk}/"
        assert notice.body.endswith(f"查看：{absolute_link(notice.url)}")
        full = render_text(
            "notifications/events/escalation.txt",
            {
                "task": task(unit_task.pk),
                "declaration": unit_task.declaration,
                "stage": stage_label(unit_task.stage),
                "due": local(unit_task.due_at),
                "due_text": f"{local(unit_task.due_at):%Y-%m-%d %H:%M}",
                "user": user("ny_head"),
                "link": absolute_link(notice.url),
            },
        ).strip()
        title, _, body = full.partition("\n")
        assert (notice.title, notice.body) == (title.strip(), body.strip())


def test_escalations_alike_but_for_their_due_time_each_give_their_own(flow, time_machine):
    """In a real backlog due times differ by the minute: notices that share their text but for
    the declaration and the due time still each print their own."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    first = flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 2, 9, 7), tick=False)
    second = flow.submit(seed(NY_GRID))
    time_machine.move_to(at(2026, 3, 6, 9), tick=False)
    assert sorted(flow.sweep().overdue) == sorted([first.pk, second.pk])
    bodies = {n.task_id: n.body for n in notifications("ny_head", "escalation") if n.task_id}
    assert f"《{NY_MOVE}》的“单位负责人”环节审核已于 2026-03-05 09:00 到期" in bodies[first.pk]
    assert f"《{NY_GRID}》的“单位负责人”环节审核已于 2026-03-05 09:07 到期" in bodies[second.pk]


# --- Second escalation ----------------------------------------------------------------------------


def test_second_escalation_goes_to_the_jurisdictions_administrators_once(
    flow, time_machine, ny_dept_head, ny_admin
):
    """escalate_after_days (default 2) working days after the due time, Wed 03-11 10:00, the
    task escalates to 南岳区's administrator; the site-wide admin is not bothered while the
    jurisdiction has its own; later sweeps add nothing."""
    department_task = _department_task(flow, time_machine)
    time_machine.move_to(at(2026, 3, 9, 10), tick=False)
    flow.sweep()

    time_machine.move_to(at(2026, 3, 11, 9, 59), tick=False)
    assert flow.sweep().escalated == []
    assert recipients("escalation_admin") == []
    assert task(department_task.pk).escalated_at is None

    time_machine.move_to(at(2026, 3, 11, 10), tick=False)
    assert flow.sweep().escalated == [department_task.pk]
    assert recipients("escalation_admin") == ["ny_admin"]
    assert local(task(department_task.pk).escalated_at) == at(2026, 3, 11, 10)
    levels = [e.details["level"] for e in audit_events(AuditAction.ESCALATE)]
    assert levels == ["overdue", "escalate"]
    assert audit_events(AuditAction.ESCALATE)[-1].details["notified"] == ["ny_admin"]

    for moment in (at(2026, 3, 11, 10, 5), at(2026, 3, 20, 10)):
        time_machine.move_to(moment, tick=False)
        flow.sweep()
    assert recipients("escalation_admin") == ["ny_admin"]
    assert recipients("escalation") == ["ny_dept", "ny_dept_head"]
    assert len(audit_events(AuditAction.ESCALATE)) == 2


def test_second_escalation_falls_back_to_the_site_wide_administrator(flow, time_machine):
    """Without a 南岳区 administrator the site-wide administrator (admin) is told."""
    department_task = _department_task(flow, time_machine)
    time_machine.move_to(at(2026, 3, 11, 10, 1), tick=False)
    report = flow.sweep()
    assert report.escalated == [department_task.pk]
    assert recipients("escalation_admin") == ["admin"]


def test_administrators_of_another_jurisdiction_are_not_told(flow, time_machine, ny_admin):
    """An overdue 鄂州市 task escalates to the site-wide admin, not to 南岳区's administrator."""
    _submit_monday(flow, time_machine, name=EZ_PROJECT)
    time_machine.move_to(at(2026, 3, 9, 9), tick=False)
    flow.sweep()
    assert recipients("escalation_admin") == ["admin"]
    assert recipients("escalation") == ["ez_head"]


def test_escalate_after_days_is_configurable_per_stage(flow, time_machine, ny_admin):
    """With escalate_after_days=1 for 南岳区's department the second escalation comes one working
    day after the due time: Tue 03-10 10:00."""
    StageTimeLimit.objects.create(
        jurisdiction=Jurisdiction.objects.get(code="nanyue"),
        stage=Stage.DEPARTMENT,
        working_days=5,
        escalate_after_days=1,
    )
    department_task = _department_task(flow, time_machine, default_limits=False)
    assert local(department_task.escalate_at) == at(2026, 3, 10, 10)
    time_machine.move_to(at(2026, 3, 10, 9, 59), tick=False)
    flow.sweep()
    assert recipients("escalation_admin") == []
    time_machine.move_to(at(2026, 3, 10, 10), tick=False)
    flow.sweep()
    assert recipients("escalation_admin") == ["ny_admin"]


def test_every_sweep_level_is_once_also_when_the_task_is_retried(flow, time_machine, ny_admin):
    """Running the sweep's Celery task again (a retry or redelivery) after all levels fired
    notifies nobody a second time."""
    unit_task = _submit_monday(flow, time_machine)
    time_machine.move_to(at(2026, 3, 4, 9), tick=False)
    flow.commit(sweep_deadlines.delay)
    time_machine.move_to(at(2026, 3, 5, 9), tick=False)
    flow.commit(sweep_deadlines.delay)
    time_machine.move_to(at(2026, 3, 9, 9), tick=False)
    flow.commit(sweep_deadlines.delay)
    before = (
        recipients("reminder"),
        recipients("escalation"),
        recipients("escalation_admin"),
        len(mail.outbox),
    )
    assert before[:3] == (["ny_head"], ["ny_head"], ["ny_admin"])
    for _ in range(3):
        result = flow.commit(sweep_deadlines.delay)
        assert result.get() == {"reminded": 0, "overdue": 0, "escalated": 0}
    after = (
        recipients("reminder"),
        recipients("escalation"),
        recipients("escalation_admin"),
        len(mail.outbox),
    )
    assert after == before
    reviewed = task(unit_task.pk)
    assert reviewed.reminded_at is not None
    assert reviewed.overdue_at is not None
    assert reviewed.escalated_at is not None


def test_finance_section_escalation_reaches_the_finance_bureau_head(flow, time_machine, demo):
    """A finance business section without a head of its own: the head of 南岳区财政局 (its parent)
    hears of the section's overdue task together with the section's reviewer."""
    bureau_head = factories.MembershipFactory(
        user=factories.UserFactory(username="ny_bureau_head"),
        role="organisation_head",
        organisation=demo.org("南岳区财政局"),
    ).user
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    flow.approve(seed(NY_MOVE))
    finance_task = flow.approve(seed(NY_MOVE))
    assert finance_task.stage == Stage.FINANCE
    assert local(finance_task.due_at) == at(2026, 3, 9, 9)
    time_machine.move_to(at(2026, 3, 9, 9, 1), tick=False)
    assert flow.sweep().overdue == [finance_task.pk]
    assert recipients("escalation") == sorted(["ny_finance", bureau_head.username])
