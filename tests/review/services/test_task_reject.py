"""task_reject (不予通过): the review ends as rejected at whatever stage; one reject event."""

import pytest
from viewflow.workflow.status import PROCESS

from audit.models import AuditAction, AuditEvent
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from organisations.models import Role
from review import errors
from review import services as review
from review.models import ReviewProcess
from review.permissions import NotAllowed
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    REVIEW_STAGES,
    advance_to,
    fresh,
    last_event_pk,
    login,
    open_tasks,
    people_of,
    seed,
    user,
)


@pytest.mark.django_db
def test_reject_writes_one_reject_event(demo):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.PERFORMANCE)
    digest = content_digest(fresh(declaration))
    before = last_event_pk()
    review.task_reject(actor=user("ez_perf"), task_id=task.pk, opinion="绩效目标不明确")
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.REJECT,
        actor="ez_perf",
        role=Role.PERFORMANCE_REVIEWER,
        organisation=EZ.performance,
        declaration=declaration,
        stage=Stage.PERFORMANCE,
        opinion="绩效目标不明确",
        digest=digest,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("stage", REVIEW_STAGES)
def test_reject_ends_the_review_as_rejected(client, demo, stage):
    """不予通过 ends the review: status rejected, no open task, the process finished, and the
    declaration can be neither edited nor resubmitted."""
    declaration = seed(NY_GRID)
    people = people_of(declaration)
    task = advance_to(declaration, stage)
    login(client, people.reviewers[stage])
    response = client.post(f"/tasks/{task.pk}/reject/", {"opinion": "项目不符合专项资金投向"})
    assert response.status_code == 302

    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.REJECTED
    assert declaration.stage == ""
    assert open_tasks(declaration) == []
    assert ReviewProcess.objects.get(declaration=declaration).status == PROCESS.DONE
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.REJECT)
    assert (event.stage, event.opinion, event.actor.username) == (
        stage,
        "项目不符合专项资金投向",
        people.reviewers[stage],
    )
    assert not declaration.stamps.filter(stage=stage).exists()

    with pytest.raises(NotAllowed):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    login(client, people.preparer)
    assert client.post(f"/declarations/{declaration.pk}/submit/").status_code == 403
    assert client.get(f"/declarations/{declaration.pk}/edit/").status_code == 403
    with pytest.raises(errors.AlreadyHandled):
        review.task_approve(actor=user(people.reviewers[stage]), task_id=task.pk)
    assert fresh(declaration).status == DeclarationStatus.REJECTED
    assert ReviewProcess.objects.filter(declaration=declaration).count() == 1
