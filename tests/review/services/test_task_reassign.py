"""task_reassign (转交): administrators only, to a candidate of the stage, with a reason;
one reassign event with from and to."""

import pytest
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.models import Stage
from organisations.models import Role
from review import errors
from review import services as review
from review.permissions import NotAllowed
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import EZ_PROJECT, advance_to, fresh, last_event_pk, login, seed, user


@pytest.mark.django_db
def test_reassign_writes_one_reassign_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_reassign(
        actor=user("admin"), task_id=task.pk, to_user_id=second_dept.pk, reason="工作调整"
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.REASSIGN,
        actor="admin",
        role=Role.ADMINISTRATOR,
        organisation=None,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        opinion="工作调整",
    )
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")


@pytest.mark.django_db
@pytest.mark.parametrize("claimed", [False, True])
def test_administrator_reassigns_a_task_with_a_reason(client, demo, second_dept, claimed):
    """An administrator reassigns (转交) a task to another reviewer of the stage; a reason is
    required; the move is audited with from and to, and the new holder can decide."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    assert (task.status, task.owner_id) == (STATUS.NEW, None)  # two candidates: shared queue
    if claimed:
        review.task_claim(actor=user("ez_dept"), task_id=task.pk)

    login(client, "admin")
    page = client.get(f"/tasks/{task.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/tasks/{task.pk}/reassign/",
        {"to_user": str(second_dept.pk), "reason": ""},
        HTTP_REFERER=f"/tasks/{task.pk}/",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == (user("ez_dept").pk if claimed else None)
    with pytest.raises(errors.OpinionRequired):
        review.task_reassign(
            actor=user("admin"), task_id=task.pk, to_user_id=second_dept.pk, reason=" "
        )

    response = client.post(
        f"/tasks/{task.pk}/reassign/", {"to_user": str(second_dept.pk), "reason": "原审核人出差"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == second_dept.pk
    assert task.status == STATUS.ASSIGNED
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.REASSIGN)
    assert event.result == AuditResult.OK
    assert event.actor.username == "admin"
    assert event.opinion == "原审核人出差"
    assert event.details["from"] == ("ez_dept" if claimed else "")
    assert event.details["to"] == "ez_dept2"
    assert event.details["task"] == task.pk

    if claimed:
        with pytest.raises(NotAllowed):
            review.task_approve(actor=user("ez_dept"), task_id=task.pk)
    review.task_approve(actor=user("ez_dept2"), task_id=task.pk)
    assert fresh(declaration).stage == Stage.FINANCE


@pytest.mark.django_db
def test_reassign_is_for_administrators_and_to_candidates_only(demo, second_dept):
    """A reviewer cannot use 转交, and an administrator cannot reassign to someone outside the
    stage; both refusals are audited and the task does not move."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    with pytest.raises(NotAllowed):
        review.task_reassign(
            actor=user("ez_dept"), task_id=task.pk, to_user_id=second_dept.pk, reason="x"
        )
    with pytest.raises(NotAllowed):
        review.task_reassign(
            actor=user("admin"), task_id=task.pk, to_user_id=user("ez_finance").pk, reason="x"
        )
    task.refresh_from_db()
    assert task.owner_id is None
    refused = AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.REASSIGN, result=AuditResult.REFUSED
    )
    assert sorted(refused.values_list("actor__username", flat=True)) == ["admin", "ez_dept"]
