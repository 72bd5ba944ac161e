"""Review services: submit into the flow, withdraw, urge and comment; claim, release, approve,
return, reject, hand over and reassign a task.

Each one asks the rulebook (review.permissions) for the membership the actor acts under, locks
the declaration, drives the flow through review.engine, writes its audit event with that
membership, and publishes what happened (review.events) in the same transaction.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.log import record_event
from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import canonical_content, content_digest
from declarations.models import Declaration, DeclarationStatus, Stamp
from declarations.stages import REVIEW_STAGES, ReviewNotConfigured, Stage, stage_organisation
from declarations.validation import validate_for_submit
from organisations.memo import remember
from organisations.models import Membership
from organisations.names import display_name
from review import engine, permissions
from review.errors import (
    AlreadyHandled,
    OpinionRequired,
    PhraseInvalid,
    ServiceError,
    SubmitRejected,
    UrgeTooSoon,
)
from review.events import publish
from review.models import Decision, OpinionPhrase, ReviewProcess, ReviewTask
from review.permissions import RETURN_PREVIOUS, Action, NotAllowed
from review.transaction import service

DEFAULT_APPROVE_OPINION = "同意"
URGE_INTERVAL = timedelta(hours=24)


def _stamp(*, declaration: Declaration, stage: str, actor, organisation, opinion: str) -> Stamp:
    return Stamp.objects.create(
        declaration=declaration,
        stage=stage,
        round=declaration.review_round,
        opinion=opinion,
        signer=actor,
        signer_name=display_name(actor),
        organisation=organisation,
        seal=organisation.seal,
        stamped_at=timezone.now(),
        digest=content_digest(declaration),
    )


def _audit_task(action: str, actor, task: ReviewTask, grant: Membership, **fields) -> AuditEvent:
    details = {"task": task.pk, **fields.pop("details", {})}
    return record_event(
        action=action,
        actor=actor,
        grant=grant,
        declaration=task.declaration,
        stage=task.stage,
        details=details,
        **fields,
    )


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise OpinionRequired(message)
    return text


# --- Submit, withdraw, urge, comment ------------------------------------------------------------


def _entry_stage(declaration: Declaration) -> str:
    """Where a round starts: the first stage, or the returning stage if the jurisdiction says."""
    if (
        declaration.status == DeclarationStatus.RETURNED
        and declaration.reporting_unit.jurisdiction.resubmit_to_returning_stage
        and declaration.returned_from_stage
    ):
        return declaration.returned_from_stage
    return REVIEW_STAGES[0]


@service
def declaration_submit(*, actor, declaration_id: int) -> Declaration:
    """Validate and submit a draft: it locks, is stamped by its unit and enters review."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.SUBMIT, lock=True
    )
    errors = validate_for_submit(declaration)
    if errors:
        raise SubmitRejected(errors)
    try:
        for stage in REVIEW_STAGES:
            stage_organisation(declaration, stage)
    except ReviewNotConfigured as problem:
        raise NotAllowed(str(problem)) from problem
    entry = _entry_stage(declaration)
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
    # Kept so that the next round can show what the preparer changed.
    process.submitted_content = canonical_content(declaration)
    process.save(update_fields=["submitted_content"])
    task = engine.sync_declaration(declaration, process)
    record_event(
        action=AuditAction.SUBMIT,
        actor=actor,
        grant=grant,
        declaration=declaration,
        stage=Stage.SUBMISSION,
        digest=stamp.digest,
        details={"round": declaration.review_round, "entry_stage": entry, "stamp": stamp.pk},
    )
    if task is not None:  # a round opens with a review task: announce it
        publish("task_created", task_id=task.pk)
    return declaration


@service
def declaration_withdraw(*, actor, declaration_id: int) -> Declaration:
    """Take a submission back (撤回) while its first review stage has not acted on it."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.WITHDRAW, lock=True
    )
    process = ReviewProcess.objects.current_for(declaration)
    task = engine.open_task(process)
    engine.withdraw(declaration, process)
    record_event(
        action=AuditAction.WITHDRAW,
        actor=actor,
        grant=grant,
        declaration=declaration,
        stage=task.stage if task else "",
        details={"round": declaration.review_round},
    )
    if task is not None:
        publish("task_withdrawn", task_id=task.pk)
        publish("task_handled", task_id=task.pk)
    return declaration


def _last_urge(declaration: Declaration, task: ReviewTask):
    return (
        AuditEvent.objects.filter(
            declaration_id=declaration.pk,
            action=AuditAction.URGE,
            result=AuditResult.OK,
            details__task=task.pk,
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


@service
def declaration_urge(*, actor, declaration_id: int) -> None:
    """The submitter urges (催办) the stage now holding the declaration, once per 24 hours."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.URGE, lock=True
    )
    task = engine.open_task(ReviewProcess.objects.current_for(declaration))
    if task is None:  # the rulebook allows urging only while a task is open; answer as it does
        raise AlreadyHandled("申报表当前不在审核中，没有可催办的环节。")
    # Once per 24 hours per stage: a stage reached since the last urge may be urged at once.
    last = _last_urge(declaration, task)
    if last and timezone.now() - last < URGE_INTERVAL:
        raise UrgeTooSoon(last + URGE_INTERVAL)
    event = record_event(
        action=AuditAction.URGE,
        actor=actor,
        grant=grant,
        declaration=declaration,
        stage=task.stage,
        details={"task": task.pk},
    )
    publish("urge", task_id=task.pk, urge_event_id=event.pk)


@service
def declaration_comment(*, actor, declaration_id: int, text: str) -> None:
    """Leave a comment in the declaration's history (auditors only read)."""
    text = _required(text, "评论内容不能为空。")
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.COMMENT, lock=True
    )
    record_event(
        action=AuditAction.COMMENT,
        actor=actor,
        grant=grant,
        declaration=declaration,
        stage=declaration.stage,
        opinion=text[:2000],
    )


# --- Claim and release ---------------------------------------------------------------------------


@service
def task_claim(*, actor, task_id: int) -> ReviewTask:
    """Take a task from the shared queue so that colleagues see it is being handled."""
    task, grant = permissions.access_task_by_id(actor, task_id, action=Action.CLAIM, lock=True)
    if task.owner_id == actor.pk:
        return task
    engine.assign(task, actor)
    _audit_task(AuditAction.CLAIM, actor, task, grant)
    publish("task_handled", task_id=task.pk)
    return task


@service
def task_release(*, actor, task_id: int) -> ReviewTask:
    """Put a claimed task back into the shared queue."""
    task, grant = permissions.access_task_by_id(actor, task_id, action=Action.RELEASE, lock=True)
    previous_owner = task.owner
    engine.unassign(task)
    _audit_task(
        AuditAction.RELEASE, actor, task, grant, details={"from": previous_owner.get_username()}
    )
    publish("task_created", task_id=task.pk)
    return task


# --- Decisions -----------------------------------------------------------------------------------


def _decide(*, actor, task_id: int, action: str, decision: str, opinion: str) -> ReviewTask:
    right = RETURN_PREVIOUS if decision == Decision.RETURN_PREVIOUS else action
    task, grant = permissions.access_task_by_id(actor, task_id, action=right, lock=True)
    declaration = task.declaration
    if declaration is None:  # access_task_by_id finds review tasks only, and each has one
        raise permissions.NotFound("任务不存在。")
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
    process = ReviewProcess.objects.get(pk=task.process_id)
    engine.complete(task, process=process, actor=actor, decision=decision)
    next_task = engine.sync_declaration(declaration, process)
    remember(("task", task.pk), task)  # the notices about its end read it next
    _audit_task(
        action,
        actor,
        task,
        grant,
        opinion=opinion,
        digest=digest or content_digest(declaration),
        details={"decision": decision, "next_stage": next_task.stage if next_task else ""},
    )
    publish("task_handled", task_id=task.pk)
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


@service
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


@service
def task_return(*, actor, task_id: int, opinion: str, to: str = "preparer") -> ReviewTask:
    """Return for revision (退回修改) to the preparer or to the previous stage."""
    opinion = _required(opinion, "退回修改必须填写审核意见。")
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


@service
def task_reject(*, actor, task_id: int, opinion: str) -> ReviewTask:
    """Reject (不予通过): the review ends and the declaration cannot be resubmitted."""
    opinion = _required(opinion, "不予通过必须填写审核意见。")
    return _decide(
        actor=actor,
        task_id=task_id,
        action=AuditAction.REJECT,
        decision=Decision.REJECT,
        opinion=opinion,
    )


# --- Reassign and hand over ----------------------------------------------------------------------


def _move_task(*, actor, task_id, to_user_id, reason: str, action: str) -> ReviewTask:
    reason = _required(reason, "转交任务必须填写原因。")
    task, grant = permissions.access_task_by_id(actor, task_id, action=action, lock=True)
    target = permissions.require_colleague(
        actor, action, task, get_user_model().objects.filter(pk=to_user_id, is_active=True).first()
    )
    previous = task.owner
    if task.owner_id:
        engine.reassign(task, target)
    else:
        engine.assign(task, target)
    _audit_task(
        action,
        actor,
        task,
        grant,
        opinion=reason,
        details={
            "from": previous.get_username() if previous else "",
            "to": target.get_username(),
        },
    )
    publish("task_handled", task_id=task.pk)
    publish("task_created", task_id=task.pk)
    return task


@service
def task_reassign(*, actor, task_id: int, to_user_id: int, reason: str) -> ReviewTask:
    """An administrator moves a task to another reviewer of the same stage (转交)."""
    return _move_task(
        actor=actor,
        task_id=task_id,
        to_user_id=to_user_id,
        reason=reason,
        action=AuditAction.REASSIGN,
    )


@service
def task_hand_over(*, actor, task_id: int, to_user_id: int, reason: str) -> ReviewTask:
    """A reviewer hands their own task to a colleague with the same role and scope."""
    return _move_task(
        actor=actor,
        task_id=task_id,
        to_user_id=to_user_id,
        reason=reason,
        action=AuditAction.HAND_OVER,
    )


# --- Batch approval ------------------------------------------------------------------------------

BATCH_APPROVE_MAX_TASKS = 100


class BatchStatus(StrEnum):
    APPROVED = "approved"
    ERROR = "error"


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one task of a batch: approved, or the error's code and reason."""

    task: int
    status: BatchStatus
    code: str = ""
    detail: str = ""


def _batch_error(task_id: int, problem: Exception) -> BatchOutcome:
    """The code and Chinese reason for a task that could not be approved. A task the user may
    not see answers like a missing one, so a batch reveals nothing a single request would not."""
    if isinstance(problem, permissions.NotFound):
        code, detail = "not_found", "任务不存在。"
    elif isinstance(problem, AlreadyHandled):
        code, detail = "already_handled", problem.message
    elif isinstance(problem, NotAllowed):
        code, detail = "not_allowed", problem.message
    else:
        code, detail = "error", getattr(problem, "message", "") or "无法同意该任务。"
    return BatchOutcome(task=task_id, status=BatchStatus.ERROR, code=code, detail=detail)


def tasks_batch_approve(*, user, task_ids: list[int], opinion: str) -> list[BatchOutcome]:
    """Agree to several tasks with one opinion: each through task_approve (its own transaction,
    stamp and audit event); those that fail are reported with the reason, the rest go through."""
    if len(task_ids) > BATCH_APPROVE_MAX_TASKS:
        raise ValueError(f"一次最多批量同意 {BATCH_APPROVE_MAX_TASKS} 项任务。")
    outcomes = []
    for task_id in dict.fromkeys(task_ids):  # each task once, in the order given
        try:
            task_approve(actor=user, task_id=task_id, opinion=opinion)
        except (permissions.NotFound, NotAllowed, ServiceError) as problem:
            outcomes.append(_batch_error(task_id, problem))
        else:
            outcomes.append(BatchOutcome(task=task_id, status=BatchStatus.APPROVED))
    return outcomes


# --- Opinion phrases (常用意见) ------------------------------------------------------------------
# A person's own shortcuts, not part of any declaration's history: not audited.


@service
def opinion_phrase_save(*, actor, text: str) -> OpinionPhrase:
    """Keep an opinion the actor can pick again (常用意见); saving it again keeps one copy."""
    text = (text or "").strip()
    if not text:
        raise PhraseInvalid("常用意见不能为空。")
    if len(text) > OpinionPhrase.MAX_LENGTH:
        raise PhraseInvalid(f"常用意见最多 {OpinionPhrase.MAX_LENGTH} 个字。")
    phrase, _created = OpinionPhrase.objects.get_or_create(user=actor, text=text)
    return phrase


@service
def opinion_phrase_delete(*, actor, phrase_id: int) -> None:
    """Delete one of the actor's own opinion phrases."""
    permissions.access_phrase_by_id(actor, phrase_id, lock=True).delete()
