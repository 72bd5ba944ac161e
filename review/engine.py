"""The only code that drives viewflow activations. Services call these inside their transaction,
after they have checked the actor's right and locked the declaration."""

from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from declarations.models import Declaration, DeclarationStatus, Stage, stage_index
from review.models import Decision, ReviewProcess, ReviewTask
from review.permissions import candidates_for_stage, stage_candidates

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
REVIEW_NODES = {Stage.UNIT_HEAD, Stage.DEPARTMENT, Stage.FINANCE, Stage.PERFORMANCE}


def _flow():
    from review.flows import ReviewFlow

    return ReviewFlow


# --- Flow callbacks ----------------------------------------------------------------------------


def init_process(activation, *, declaration: Declaration, actor, entry_stage: str, round: int):
    process = activation.process
    process.declaration = declaration
    process.submitted_by = actor
    process.entry_stage = entry_stage
    process.round = round
    return process


def init_review_task(activation) -> None:
    """Record on a new review task its stage, who may take it and when it is due."""
    task: ReviewTask = activation.task
    process: ReviewProcess = activation.process.coerced
    stage = task.flow_task.name
    role, organisation = stage_candidates(process.declaration, stage)
    task.declaration = process.declaration
    task.stage = stage
    task.candidate_role = role
    task.candidate_organisation = organisation
    task.due_at, task.remind_at, task.escalate_at = deadlines_for(
        process.declaration.reporting_unit.jurisdiction, stage, task.created
    )
    candidates = list(candidates_for_stage(role, organisation))
    if len(candidates) == 1:
        # A single candidate needs no queue: the task goes straight into their inbox.
        task.owner = candidates[0]
        task.assigned = timezone.now()
        task.status = STATUS.ASSIGNED
    task.save()


def deadlines_for(jurisdiction, stage: str, created):
    from review.deadlines import task_deadlines

    return task_deadlines(jurisdiction, stage, created)


# --- Driving the flow --------------------------------------------------------------------------


def start_process(*, declaration: Declaration, actor, entry_stage: str) -> ReviewProcess:
    """Start a review round; the first review task is created before this returns."""
    return _flow().start.run(
        declaration=declaration,
        actor=actor,
        entry_stage=entry_stage,
        round=declaration.review_round,
    )


def open_task(process: ReviewProcess) -> ReviewTask | None:
    """The review task waiting for a decision in this process, if any."""
    return (
        ReviewTask.objects.filter(process=process, status__in=OPEN_STATUSES, stage__in=REVIEW_NODES)
        .select_related("owner", "candidate_organisation")
        .order_by("-pk")
        .first()
    )


def current_process(declaration: Declaration) -> ReviewProcess | None:
    return (
        ReviewProcess.objects.filter(declaration=declaration, status=PROCESS.NEW)
        .order_by("-round")
        .first()
    )


def stage_has_acted(process: ReviewProcess | None) -> bool:
    """Whether any review stage of this round has decided (withdrawal is then too late)."""
    return (
        bool(process)
        and ReviewTask.objects.filter(
            process=process, stage__in=REVIEW_NODES, status=STATUS.DONE
        ).exists()
    )


def assign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.assign(user)
        activation.task.assigned = timezone.now()
        activation.task.save(update_fields=["assigned"])


def unassign(task: ReviewTask) -> None:
    with task.activation() as activation:
        activation.unassign()
        activation.task.assigned = None
        activation.task.save(update_fields=["assigned"])


def reassign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.reassign(user=user)
        activation.task.assigned = timezone.now()
        activation.task.save(update_fields=["assigned"])


def complete(task: ReviewTask, *, actor, decision: str) -> None:
    """Record the decision on the process and complete the task; the flow routes on it."""
    process = task.process.coerced
    process.decision = decision
    process.save(update_fields=["decision"])
    task.outcome = decision
    task.save(update_fields=["outcome"])
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(actor)
            activation.task.assigned = timezone.now()
        activation.start(None)
        activation.execute()


def cancel(process: ReviewProcess, *, outcome: str = "withdrawn") -> None:
    """Cancel the process and its open tasks (withdrawal)."""
    open_ids = list(
        ReviewTask.objects.filter(process=process, status__in=OPEN_STATUSES).values_list(
            "pk", flat=True
        )
    )
    _flow().instance.cancel(process)
    ReviewTask.objects.filter(pk__in=open_ids).update(outcome=outcome)


def sync_declaration(declaration: Declaration, process: ReviewProcess) -> ReviewTask | None:
    """Bring the declaration's status and stage in line with where its process now stands."""
    process.refresh_from_db()
    task = open_task(process)
    if task is not None:
        declaration.status = DeclarationStatus.SUBMITTED
        declaration.stage = task.stage
        declaration.reached_stage = max(declaration.reached_stage, stage_index(task.stage))
    else:
        declaration.stage = ""
        declaration.status = {
            Decision.APPROVE: DeclarationStatus.APPROVED,
            Decision.REJECT: DeclarationStatus.REJECTED,
        }.get(process.decision, DeclarationStatus.RETURNED)
    declaration.save(update_fields=["status", "stage", "reached_stage", "updated_at"])
    return task
