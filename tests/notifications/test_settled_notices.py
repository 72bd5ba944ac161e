"""A notice asking someone to act on a task stops waiting as unread once they need not act:
the task was decided, withdrawn, claimed by a colleague or handed to someone else. Notices
that only inform (a withdrawal, an outcome) stay unread until read."""

import pytest

from review import services as review
from tests.notifications.helpers import NY_MOVE, notifications, open_task, seed, user
from tests.pages import page_of, visible_text

pytestmark = pytest.mark.django_db


def unread(username: str, event: str | None = None) -> list[str]:
    return [n.event for n in notifications(username, event) if n.read_at is None]


def test_a_decided_task_leaves_no_unread_call_to_act(flow, web):
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.urge(declaration)
    assert unread("ny_head") == ["task_created", "urge"]
    flow.approve(declaration)
    assert unread("ny_head") == []
    assert unread("ny_dept") == ["task_created"]
    page = visible_text(page_of(web("ny_head").get("/notifications/", {"unread": "1"})))
    assert "没有通知。" in page


def test_a_returned_task_settles_its_notices_and_the_return_notice_stays_unread(flow):
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.approve(declaration)
    flow.return_(declaration)
    assert unread("ny_dept") == []
    assert unread("ny_preparer") == ["declaration_returned"]


def test_a_withdrawn_task_settles_its_call_to_act_but_not_the_withdrawal_notice(flow):
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.commit(
        review.declaration_withdraw, actor=user("ny_preparer"), declaration_id=declaration.pk
    )
    assert unread("ny_head") == ["task_withdrawn"]


def test_claiming_from_the_queue_settles_the_colleagues_notices(flow, second_ny_dept):
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    task = flow.approve(declaration)
    assert task.owner_id is None
    assert unread("ny_dept") == unread("ny_dept2") == ["task_created"]
    flow.commit(review.task_claim, actor=user("ny_dept"), task_id=task.pk)
    assert unread("ny_dept") == ["task_created"]
    assert unread("ny_dept2") == []


def test_a_handed_over_task_settles_the_former_holders_notices(flow, second_ny_dept):
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    task = flow.approve(declaration)
    flow.commit(review.task_claim, actor=user("ny_dept"), task_id=task.pk)
    flow.commit(
        review.task_hand_over,
        actor=user("ny_dept"),
        task_id=task.pk,
        to_user_id=second_ny_dept.pk,
        reason="出差",
    )
    assert unread("ny_dept") == []
    assert unread("ny_dept2") == ["task_created"]
    assert open_task(declaration).owner_id == second_ny_dept.pk


def test_reminders_and_escalations_settle_when_the_task_is_decided(flow, time_machine):
    declaration = seed(NY_MOVE)
    task = flow.submit(declaration)
    for moment in (task.remind_at, task.due_at, task.escalate_at):
        time_machine.move_to(moment)
        flow.sweep()
    assert set(unread("ny_head")) >= {"task_created", "reminder", "escalation"}
    escalated = [n for n in notifications() if n.event.startswith("escalation")]
    assert escalated
    flow.approve(declaration)
    assert unread("ny_head") == []
    assert all(n.read_at is not None for n in notifications() if n.event.startswith("escalation"))
