"""Review services: submit into the flow, claim, release, approve, return, reject, withdraw,
reassign, hand over, comment. Each checks the right, locks the declaration, changes state,
audits and notifies on commit."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from approvals.content import content_digest
from approvals.models import Declaration, DeclarationStatus, Stage, Stamp
from approvals.permissions import (
    NotAllowed,
    ReviewNotConfigured,
    can_see_task,
    require_can_claim,
    require_can_decide,
    require_can_hand_over,
    require_can_reassign,
    require_can_release,
    require_can_withdraw,
    stage_organisation,
)
from approvals.selectors import bound_lock_wait, declaration_for
from approvals.services import Acting, acting_for_unit, refusals_audited
from notifications.events import publish
from workflow import engine
from workflow.audit import record_event
from workflow.models import AuditAction, Decision, ReviewTask

DEFAULT_APPROVE_OPINION = "同意"


class AlreadyHandled(Exception):
    """The task was decided (or withdrawn) by someone else first (HTTP 409)."""

    def __init__(self, message: str = "该任务已被处理，请刷新查看最新状态。"):
        super().__init__(message)
        self.message = message


class OpinionRequired(Exception):
    def __init__(self, message: str = "请填写审核意见。"):
        super().__init__(message)
        self.message = message


def lock_declaration(pk: int) -> Declaration:
    """Lock the declaration row; every change to it or its tasks happens under this lock."""
    bound_lock_wait()
    return Declaration.objects.select_for_update(of=("self",)).with_related().get(pk=pk)


def _visible_task(actor, task_id) -> ReviewTask:
    task = (
        ReviewTask.objects.select_related("declaration__reporting_unit", "owner")
        .filter(pk=task_id, declaration__isnull=False)
        .first()
    )
    if task is None or not can_see_task(actor, task):
        raise Http404("任务不存在。")
    return task


def _lock_open_task(actor, task_id) -> tuple[ReviewTask, Declaration]:
    """The task and its locked declaration, once we know the task is still open."""
    task = _visible_task(actor, task_id)
    declaration = lock_declaration(task.declaration_id)
    task.refresh_from_db()
    if task.status not in engine.OPEN_STATUSES:
        raise AlreadyHandled()
    return task, declaration


def _task_acting(task: ReviewTask) -> Acting:
    return Acting(task.candidate_role, task.candidate_organisation)


def _audit_task(action: str, actor, task: ReviewTask, declaration: Declaration, **fields):
    acting = fields.pop("acting", None) or _task_acting(task)
    details = {"task": task.pk, **fields.pop("details", {})}
    return record_event(
        action=action,
        actor=actor,
        declaration=declaration,
        stage=task.stage,
        role=acting.role,
        organisation=acting.organisation,
        details=details,
        **fields,
    )


def _task_refusals(actor, action: str, task_id):
    task = ReviewTask.objects.filter(pk=task_id).values("declaration_id", "stage").first() or {}
    return refusals_audited(
        actor=actor,
        action=action,
        declaration_id=task.get("declaration_id"),
        stage=task.get("stage", ""),
        details={"task": task_id},
    )


def _stamp(*, declaration: Declaration, stage: str, actor, organisation, opinion: str) -> Stamp:
    return Stamp.objects.create(
        declaration=declaration,
        stage=stage,
        round=declaration.review_round,
        opinion=opinion,
        signer=actor,
        signer_name=actor.get_full_name() or actor.get_username(),
        organisation=organisation,
        seal=organisation.seal,
        stamped_at=timezone.now(),
        digest=content_digest(declaration),
    )


# --- Submit ------------------------------------------------------------------------------------


def begin_review(*, declaration: Declaration, actor) -> None:
    """Stamp the submission and start a new review round (the declaration is locked)."""
    jurisdiction = declaration.reporting_unit.jurisdiction
    entry = Stage.UNIT_HEAD
    if (
        declaration.status == DeclarationStatus.RETURNED
        and jurisdiction.resubmit_to_returning_stage
        and declaration.returned_from_stage
    ):
        entry = declaration.returned_from_stage
    try:
        for stage in (Stage.UNIT_HEAD, Stage.DEPARTMENT, Stage.FINANCE, Stage.PERFORMANCE):
            stage_organisation(declaration, stage)
    except ReviewNotConfigured as problem:
        raise NotAllowed(str(problem)) from problem
    declaration.review_round += 1
    declaration.submitted_at = timezone.now()
    declaration.returned_from_stage = ""
    declaration.save(update_fields=["review_round", "submitted_at", "returned_from_stage"])
    stamp = _stamp(
        declaration=declaration,
        stage=Stage.SUBMISSION,
        actor=actor,
        organisation=declaration.reporting_unit,
        opinion="",
    )
    process = engine.start_process(declaration=declaration, actor=actor, entry_stage=entry)
    task = engine.sync_declaration(declaration, process)
    acting = acting_for_unit(actor, declaration.reporting_unit)
    record_event(
        action=AuditAction.SUBMIT,
        actor=actor,
        declaration=declaration,
        stage=Stage.SUBMISSION,
        role=acting.role,
        organisation=acting.organisation,
        digest=stamp.digest,
        details={"round": declaration.review_round, "entry_stage": entry, "stamp": stamp.pk},
    )
    publish("task_created", task_id=task.pk)


# --- Claim and release ---------------------------------------------------------------------------


def task_claim(*, actor, task_id: int) -> ReviewTask:
    """Take a task from the shared queue so that colleagues see it is being handled."""
    with _task_refusals(actor, AuditAction.CLAIM, task_id), transaction.atomic():
        task, declaration = _lock_open_task(actor, task_id)
        require_can_claim(actor, task)
        if task.owner_id == actor.pk:
            return task
        if task.owner_id:
            raise AlreadyHandled(f"该任务已由{task.owner.get_full_name() or task.owner}认领。")
        engine.assign(task, actor)
        _audit_task(AuditAction.CLAIM, actor, task, declaration)
    return task


def task_release(*, actor, task_id: int) -> ReviewTask:
    """Put a claimed task back into the shared queue."""
    with _task_refusals(actor, AuditAction.RELEASE, task_id), transaction.atomic():
        task, declaration = _lock_open_task(actor, task_id)
        require_can_release(actor, task)
        if task.owner_id is None:
            raise AlreadyHandled("该任务当前无人认领，无需释放。")
        previous_owner = task.owner
        engine.unassign(task)
        _audit_task(
            AuditAction.RELEASE,
            actor,
            task,
            declaration,
            details={"from": previous_owner.get_username()},
        )
        publish("task_created", task_id=task.pk)
    return task


# --- Decisions -----------------------------------------------------------------------------------


def _decide(*, actor, task_id: int, action: str, decision: str, opinion: str) -> ReviewTask:
    with _task_refusals(actor, action, task_id), transaction.atomic():
        task, declaration = _lock_open_task(actor, task_id)
        require_can_decide(actor, task)
        digest = ""
        if decision == Decision.APPROVE:
            stamp = _stamp(
                declaration=declaration,
                stage=task.stage,
                actor=actor,
                organisation=task.candidate_organisation,
                opinion=opinion,
            )
            digest = stamp.digest
        elif decision in (Decision.RETURN_PREPARER, Decision.RETURN_PREVIOUS):
            declaration.returned_from_stage = task.stage
            declaration.save(update_fields=["returned_from_stage"])
        process = task.process.coerced
        engine.complete(task, actor=actor, decision=decision)
        next_task = engine.sync_declaration(declaration, process)
        _audit_task(
            action,
            actor,
            task,
            declaration,
            opinion=opinion,
            digest=digest or content_digest(declaration),
            details={"decision": decision, "next_stage": next_task.stage if next_task else ""},
        )
        if decision == Decision.APPROVE and next_task is not None:
            publish("task_created", task_id=next_task.pk)
        else:
            publish(
                "declaration_decided",
                declaration_id=declaration.pk,
                decision=decision,
                stage=task.stage,
                task_id=task.pk,
                opinion=opinion,
            )
    return task


def task_approve(*, actor, task_id: int, opinion: str = "") -> ReviewTask:
    """Agree (同意): stamp the declaration with this stage's seal and move it on."""
    opinion = (opinion or "").strip() or DEFAULT_APPROVE_OPINION
    return _decide(
        actor=actor,
        task_id=task_id,
        action=AuditAction.APPROVE,
        decision=Decision.APPROVE,
        opinion=opinion,
    )


def task_return(*, actor, task_id: int, opinion: str, to: str = "preparer") -> ReviewTask:
    """Return for revision (退回修改) to the preparer or to the previous stage."""
    opinion = (opinion or "").strip()
    if not opinion:
        raise OpinionRequired("退回修改必须填写审核意见。")
    if to not in ("preparer", "previous"):
        raise ValueError("退回对象只能是 preparer（填报单位）或 previous（上一环节）。")
    decision = Decision.RETURN_PREVIOUS if to == "previous" else Decision.RETURN_PREPARER
    return _decide(
        actor=actor,
        task_id=task_id,
        action=AuditAction.RETURN,
        decision=decision,
        opinion=opinion,
    )


def task_reject(*, actor, task_id: int, opinion: str) -> ReviewTask:
    """Reject (不予通过): the review ends and the declaration cannot be resubmitted."""
    opinion = (opinion or "").strip()
    if not opinion:
        raise OpinionRequired("不予通过必须填写审核意见。")
    return _decide(
        actor=actor,
        task_id=task_id,
        action=AuditAction.REJECT,
        decision=Decision.REJECT,
        opinion=opinion,
    )


# --- Withdraw ------------------------------------------------------------------------------------


def declaration_withdraw(*, actor, declaration_id: int) -> Declaration:
    """Take a submission back (撤回) while its first review stage has not acted on it."""
    with (
        refusals_audited(actor=actor, action=AuditAction.WITHDRAW, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration_for(actor, declaration_id)  # 404 outside the actor's scope
        declaration = lock_declaration(declaration_id)
        process = engine.current_process(declaration)
        if declaration.status != DeclarationStatus.SUBMITTED or process is None:
            raise AlreadyHandled("申报表当前不在审核中，无法撤回。")
        require_can_withdraw(actor, declaration, process)
        if engine.stage_has_acted(process):
            raise AlreadyHandled("审核人已处理该申报表，不能撤回。")
        task = engine.open_task(process)
        engine.cancel(process)
        declaration.status = DeclarationStatus.WITHDRAWN
        declaration.stage = ""
        declaration.save(update_fields=["status", "stage", "updated_at"])
        acting = acting_for_unit(actor, declaration.reporting_unit)
        record_event(
            action=AuditAction.WITHDRAW,
            actor=actor,
            declaration=declaration,
            stage=task.stage if task else "",
            role=acting.role,
            organisation=acting.organisation,
            details={"round": declaration.review_round},
        )
        if task is not None:
            publish("task_withdrawn", task_id=task.pk)
    return declaration


# --- Reassign and hand over ----------------------------------------------------------------------


def _target_user(user_id):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotAllowed("找不到要转交的用户。")
    return user


def _move_task(*, actor, task_id, to_user_id, reason: str, action: str, check) -> ReviewTask:
    reason = (reason or "").strip()
    if not reason:
        raise OpinionRequired("转交任务必须填写原因。")
    with _task_refusals(actor, action, task_id), transaction.atomic():
        task, declaration = _lock_open_task(actor, task_id)
        target = _target_user(to_user_id)
        check(actor, task, target)
        previous = task.owner
        if task.owner_id:
            engine.reassign(task, target)
        else:
            engine.assign(task, target)
        acting = (
            _task_acting(task) if action == AuditAction.HAND_OVER else acting_for_unit(actor, None)
        )
        _audit_task(
            action,
            actor,
            task,
            declaration,
            acting=acting,
            opinion=reason,
            details={
                "from": previous.get_username() if previous else "",
                "to": target.get_username(),
            },
        )
        publish("task_created", task_id=task.pk)
    return task


def task_reassign(*, actor, task_id: int, to_user_id: int, reason: str) -> ReviewTask:
    """An administrator moves a task to another reviewer of the same stage (转交)."""
    return _move_task(
        actor=actor,
        task_id=task_id,
        to_user_id=to_user_id,
        reason=reason,
        action=AuditAction.REASSIGN,
        check=require_can_reassign,
    )


def task_hand_over(*, actor, task_id: int, to_user_id: int, reason: str) -> ReviewTask:
    """A reviewer hands their own task to a colleague with the same role and scope."""
    return _move_task(
        actor=actor,
        task_id=task_id,
        to_user_id=to_user_id,
        reason=reason,
        action=AuditAction.HAND_OVER,
        check=require_can_hand_over,
    )


# --- Comments ------------------------------------------------------------------------------------


def declaration_comment(*, actor, declaration_id: int, text: str) -> None:
    """Leave a comment in the declaration's history (auditors only read)."""
    text = (text or "").strip()
    if not text:
        raise OpinionRequired("评论内容不能为空。")
    with (
        refusals_audited(actor=actor, action=AuditAction.COMMENT, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration = declaration_for(actor, declaration_id)
        acting = acting_for_unit(actor, declaration.reporting_unit)
        if acting.role in ("", "auditor"):
            raise NotAllowed("审计人员只能查看，不能评论。")
        lock_declaration(declaration_id)
        record_event(
            action=AuditAction.COMMENT,
            actor=actor,
            declaration=declaration,
            stage=declaration.stage,
            role=acting.role,
            organisation=acting.organisation,
            opinion=text[:2000],
        )
