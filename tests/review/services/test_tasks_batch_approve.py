"""tasks_batch_approve: each task through task_approve (its own stamp and audit event); a task
already handled and a task the user may not see are reported, the rest go through."""

import pytest

from audit.models import AuditAction, AuditEvent
from declarations.models import Stage
from review import services as review
from review.services import BATCH_APPROVE_MAX_TASKS, BatchOutcome, BatchStatus
from tests.review.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    approve,
    fresh,
    open_task,
    seed,
    submit,
    user,
)


@pytest.mark.django_db
def test_one_task_already_handled_is_reported_and_the_rest_are_approved(demo):
    first = open_task(submit(seed(NY_MOVE)))
    second = open_task(submit(seed(NY_GRID)))
    approve(fresh(first.declaration))  # handled before the batch runs
    outcomes = review.tasks_batch_approve(
        user=user("ny_head"), task_ids=[first.pk, second.pk], opinion="同意，批量"
    )
    assert outcomes == [
        BatchOutcome(
            task=first.pk,
            status=BatchStatus.ERROR,
            code="already_handled",
            detail="该任务已被处理，请刷新查看最新状态。",
        ),
        BatchOutcome(task=second.pk, status=BatchStatus.APPROVED),
    ]
    stamp = fresh(second.declaration).stamps.get(stage=Stage.UNIT_HEAD)
    assert stamp.opinion == "同意，批量"
    assert fresh(second.declaration).stage == Stage.DEPARTMENT


@pytest.mark.django_db
def test_each_approved_task_gets_its_own_stamp_and_audit_event(demo):
    tasks = [open_task(submit(seed(name))) for name in (NY_MOVE, NY_GRID)]
    review.tasks_batch_approve(user=user("ny_head"), task_ids=[t.pk for t in tasks], opinion="")
    for task in tasks:
        event = AuditEvent.objects.get(
            declaration=task.declaration, action=AuditAction.APPROVE, details__task=task.pk
        )
        stamp = fresh(task.declaration).stamps.get(stage=Stage.UNIT_HEAD)
        assert event.digest == stamp.digest
        assert stamp.opinion == "同意"


@pytest.mark.django_db
def test_a_task_outside_the_users_scope_answers_like_a_missing_one(demo):
    """Another jurisdiction's task and a task that does not exist get the same answer."""
    hidden = open_task(submit(seed(EZ_PROJECT)))
    outcomes = review.tasks_batch_approve(
        user=user("ny_head"), task_ids=[hidden.pk, 999_999], opinion="同意"
    )
    assert [(o.code, o.detail) for o in outcomes] == [("not_found", "任务不存在。")] * 2
    assert open_task(hidden.declaration).pk == hidden.pk  # untouched


@pytest.mark.django_db
def test_a_task_the_user_may_see_but_not_decide_is_not_allowed(demo):
    """The preparer sees their unit's task but may not approve it."""
    task = open_task(submit(seed(NY_MOVE)))
    [outcome] = review.tasks_batch_approve(
        user=user("ny_preparer"), task_ids=[task.pk], opinion="同意"
    )
    assert outcome.code == "not_allowed"
    assert outcome.detail == "您不是该环节的审核人，无权处理此任务。"


@pytest.mark.django_db
def test_a_task_listed_twice_is_approved_once(demo):
    task = open_task(submit(seed(NY_MOVE)))
    outcomes = review.tasks_batch_approve(
        user=user("ny_head"), task_ids=[task.pk, task.pk], opinion="同意"
    )
    assert outcomes == [BatchOutcome(task=task.pk, status=BatchStatus.APPROVED)]


@pytest.mark.django_db
def test_too_many_tasks_are_refused_before_any_is_approved(demo):
    task = open_task(submit(seed(NY_MOVE)))
    with pytest.raises(ValueError, match="一次最多批量同意"):
        review.tasks_batch_approve(
            user=user("ny_head"),
            task_ids=[task.pk, *list(range(1, BATCH_APPROVE_MAX_TASKS + 1))],
            opinion="同意",
        )
    assert open_task(task.declaration).pk == task.pk
