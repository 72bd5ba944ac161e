"""task_claim: one claim event; a task a colleague claimed first stays theirs."""

import pytest

from audit.models import AuditAction
from declarations.models import Stage
from organisations.models import Role
from review import errors
from review import services as review
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, last_event_pk, seed, user


@pytest.mark.django_db
def test_claim_writes_one_claim_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    review.task_claim(actor=user("ez_dept2"), task_id=task.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.CLAIM,
        actor="ez_dept2",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
    )
    assert event.details["task"] == task.pk


@pytest.mark.django_db
def test_claiming_a_task_someone_else_claimed_is_already_handled(demo, second_dept):
    """Two candidates, one claim: the second claim says who has it and does not steal it."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    with pytest.raises(errors.AlreadyHandled):
        review.task_claim(actor=user("ez_dept2"), task_id=task.pk)
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"
