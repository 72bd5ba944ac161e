"""declaration_withdraw (撤回): the submitter withdraws while the unit head has not acted;
afterwards, or by anyone else, it is refused. One withdraw event."""

import re

import pytest
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.models import DeclarationStatus, Stage
from organisations.models import Role
from review import errors
from review import services as review
from review.models import ReviewTask
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    advance_to,
    fresh,
    last_event_pk,
    login,
    open_task,
    open_tasks,
    page_text,
    seed,
    submit,
    user,
)


@pytest.mark.django_db
def test_withdraw_writes_one_withdraw_event(demo):
    declaration = submit(seed(EZ_PROJECT))
    before = last_event_pk()
    review.declaration_withdraw(actor=user(EZ.preparer), declaration_id=declaration.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.WITHDRAW,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
        stage=Stage.UNIT_HEAD,
    )


@pytest.mark.django_db
def test_withdraw_before_the_unit_head_acts(client, demo):
    """The submitter may withdraw (撤回) while the unit head has not acted: the task is cancelled
    and leaves the unit head's list, the draft is editable again and can be resubmitted."""
    declaration = submit(seed(EZ_PROJECT))
    task = open_task(declaration)
    login(client, EZ.preparer)
    response = client.post(f"/declarations/{declaration.pk}/withdraw/")
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.WITHDRAWN
    assert declaration.stage == ""
    assert declaration.is_editable
    assert open_tasks(declaration) == []
    assert ReviewTask.objects.get(pk=task.pk).status == STATUS.CANCELED
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.WITHDRAW)
    assert (event.actor.username, event.result, event.stage) == (EZ.preparer, "ok", "unit_head")

    login(client, EZ.reviewers[Stage.UNIT_HEAD])
    assert task.pk not in {
        int(pk) for pk in re.findall(r'href="/tasks/(\d+)/"', page_text(client.get("/tasks/")))
    }
    with pytest.raises(errors.AlreadyHandled):
        review.task_approve(actor=user(EZ.reviewers[Stage.UNIT_HEAD]), task_id=task.pk)
    assert not declaration.stamps.filter(stage=Stage.UNIT_HEAD).exists()

    declaration = submit(declaration)
    assert (declaration.status, declaration.review_round) == ("submitted", 2)
    assert open_task(declaration).stage == Stage.UNIT_HEAD


@pytest.mark.django_db
def test_withdraw_is_refused_once_the_unit_head_has_acted(client, demo):
    """After the unit head approved, withdrawing is refused and nothing changes."""
    declaration = seed(EZ_PROJECT)
    advance_to(declaration, Stage.DEPARTMENT)
    with pytest.raises(errors.AlreadyHandled):
        review.declaration_withdraw(actor=user(EZ.preparer), declaration_id=declaration.pk)
    login(client, EZ.preparer)
    response = client.post(
        f"/declarations/{declaration.pk}/withdraw/",
        HTTP_REFERER=f"/declarations/{declaration.pk}/",
    )
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert (declaration.status, declaration.stage) == ("submitted", Stage.DEPARTMENT)
    assert open_task(declaration).stage == Stage.DEPARTMENT
    assert not AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.WITHDRAW, result=AuditResult.OK
    ).exists()


@pytest.mark.django_db
def test_only_the_submitter_may_withdraw(client, demo):
    """The unit head cannot withdraw a submission (403) and the refusal is audited."""
    declaration = submit(seed(EZ_PROJECT))
    login(client, EZ.reviewers[Stage.UNIT_HEAD])
    response = client.post(f"/declarations/{declaration.pk}/withdraw/")
    assert response.status_code == 403
    assert fresh(declaration).status == DeclarationStatus.SUBMITTED
    refused = AuditEvent.objects.get(declaration=declaration, action=AuditAction.WITHDRAW)
    assert (refused.result, refused.actor.username) == (AuditResult.REFUSED, "ez_head")
