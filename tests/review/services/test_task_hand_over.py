"""task_hand_over: a reviewer hands their own task to a colleague of the same role and
scope, with a reason; one hand-over event with from and to."""

import pytest

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.models import Stage
from organisations.models import Role
from review import services as review
from review.permissions import NotAllowed
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, fresh, last_event_pk, login, seed, user


@pytest.mark.django_db
def test_hand_over_writes_one_hand_over_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_hand_over(
        actor=user("ez_dept"), task_id=task.pk, to_user_id=second_dept.pk, reason="出差"
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.HAND_OVER,
        actor="ez_dept",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        opinion="出差",
    )
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")


@pytest.mark.django_db
def test_reviewer_hands_over_own_task_to_a_colleague(client, demo, second_dept):
    """A reviewer hands their own (claimed) task to a colleague with the same role and scope;
    a reason is required; it is audited with from and to; afterwards only the colleague may
    decide."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ez_dept")
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"

    response = client.post(
        f"/tasks/{task.pk}/hand_over/",
        {"to_user": str(second_dept.pk), "reason": "  "},
        HTTP_REFERER=f"/tasks/{task.pk}/",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"
    assert not AuditEvent.objects.filter(action=AuditAction.HAND_OVER).exists()

    response = client.post(
        f"/tasks/{task.pk}/hand_over/", {"to_user": str(second_dept.pk), "reason": "休假"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == second_dept.pk
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.HAND_OVER)
    assert (event.result, event.actor.username, event.opinion) == ("ok", "ez_dept", "休假")
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")
    assert event.role == "department_reviewer"
    assert event.organisation.name == EZ.department

    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 403
    review.task_approve(actor=user("ez_dept2"), task_id=task.pk, opinion="同意")
    stamp = fresh(declaration).stamps.get(stage=Stage.DEPARTMENT)
    assert stamp.signer.username == "ez_dept2"


@pytest.mark.django_db
def test_hand_over_only_own_task_and_only_to_same_role_and_scope(demo, second_dept):
    """One cannot hand over a task one does not hold, nor to someone of another role or another
    jurisdiction; the refusals are audited and the task stays where it was."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    with pytest.raises(NotAllowed):  # not the holder
        review.task_hand_over(
            actor=user("ez_dept2"), task_id=task.pk, to_user_id=second_dept.pk, reason="x"
        )
    for target in ("ez_finance", "ny_dept", "ez_head"):
        with pytest.raises(NotAllowed):
            review.task_hand_over(
                actor=user("ez_dept"), task_id=task.pk, to_user_id=user(target).pk, reason="x"
            )
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.HAND_OVER, result=AuditResult.REFUSED, declaration=declaration
        ).count()
        == 4
    )
