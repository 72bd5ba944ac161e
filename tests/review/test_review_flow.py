"""The flow through the services: at each stage one open task, for that stage's reviewer and
no one else; an approved declaration is locked for everyone."""

import pytest
from viewflow.workflow.status import STATUS

from declarations.models import DeclarationStatus, Stage
from review import errors
from review import services as review
from review.models import ReviewTask
from review.permissions import NotAllowed
from tests.review.helpers import (
    REVIEW_STAGES,
    SEED_NAMES,
    approve_to_end,
    fresh,
    login,
    open_tasks,
    people_of,
    seed,
    submit,
    user,
)


@pytest.mark.django_db
def test_every_stage_task_goes_to_the_right_reviewer_and_no_one_else(demo):
    """At each stage exactly one open task exists, for the stage's role in the organisation that
    reviews this declaration; the previous task is done."""
    declaration = seed(SEED_NAMES[1])
    people = people_of(declaration)
    review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    expected_org = {
        Stage.UNIT_HEAD: people.unit,
        Stage.DEPARTMENT: people.department,
        Stage.FINANCE: people.finance,
        Stage.PERFORMANCE: people.performance,
    }
    for stage in REVIEW_STAGES:
        tasks = open_tasks(declaration)
        assert len(tasks) == 1
        task = tasks[0]
        assert task.stage == stage
        assert task.candidate_organisation.name == expected_org[stage]
        assert task.owner.username == people.reviewers[stage]
        assert task.due_at is not None
        assert task.due_at > task.created
        review.task_approve(actor=user(people.reviewers[stage]), task_id=task.pk)
        assert ReviewTask.objects.get(pk=task.pk).status == STATUS.DONE
    assert open_tasks(declaration) == []


@pytest.mark.django_db
def test_approved_declaration_is_locked_for_everyone(client, demo):
    """Once approved nothing can change it: no edit, no resubmission, no withdrawal, and the
    finished tasks cannot be decided again."""
    declaration = seed(SEED_NAMES[0])
    people = people_of(declaration)
    declaration = approve_to_end(submit(declaration))
    assert declaration.status == DeclarationStatus.APPROVED
    last = ReviewTask.objects.filter(declaration=declaration, stage=Stage.PERFORMANCE).get()

    with pytest.raises(NotAllowed):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    with pytest.raises(errors.AlreadyHandled) as handled:
        review.task_approve(actor=user(people.reviewers[Stage.PERFORMANCE]), task_id=last.pk)
    assert "已被处理" in handled.value.message
    with pytest.raises((errors.AlreadyHandled, NotAllowed)):
        review.declaration_withdraw(actor=user(people.preparer), declaration_id=declaration.pk)

    login(client, people.preparer)
    assert client.post(f"/declarations/{declaration.pk}/submit/").status_code == 403
    assert client.get(f"/declarations/{declaration.pk}/edit/").status_code == 403
    assert fresh(declaration).status == DeclarationStatus.APPROVED
    assert declaration.stamps.count() == 5
