"""The only code that drives viewflow activations. Services call these inside their transaction,
after they have checked the actor's right and locked the declaration."""

from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from declarations.models import Declaration
from review.flows import ReviewFlow
from review.lifecycle import DeclarationLifecycle
from review.models import OPEN_STATUSES, ReviewProcess, ReviewTask, TaskState

# --- Driving the flow --------------------------------------------------------------------------


def start_process(*, declaration: Declaration, actor, entry_stage: str) -> ReviewProcess:
    """Start a review round; the first review task is created before this returns."""
    return ReviewFlow.start.run(
        declaration=declaration,
        actor=actor,
        entry_stage=entry_stage,
        round=declaration.review_round,
    )


def open_task(process: ReviewProcess) -> ReviewTask | None:
    """The review task waiting for a decision in this process, if any."""
    return (
        ReviewTask.objects.reviews()
        .open()
        .filter(process=process)
        .select_related("owner", "candidate_organisation")
        .order_by("-pk")
        .first()
    )


def _save_status(task: ReviewTask) -> None:
    """Save the task's own copy of its status after an activation changed it."""
    task.save(update_fields=task.copy_status())


def assign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.assign(user)
        activation.task.assigned = timezone.now()
        activation.task.save(update_fields=["assigned"])
        _save_status(activation.task)


def unassign(task: ReviewTask) -> None:
    with task.activation() as activation:
        activation.unassign()
        activation.task.assigned = None
        activation.task.save(update_fields=["assigned"])
        _save_status(activation.task)


def reassign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.reassign(user=user)
        activation.task.assigned = timezone.now()
        activation.task.save(update_fields=["assigned"])
        _save_status(activation.task)


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
    _save_status(task)


def cancel(process: ReviewProcess, *, outcome: str = "withdrawn") -> None:
    """Cancel the process and its open tasks (withdrawal)."""
    open_ids = list(
        ReviewTask.objects.filter(process=process, status__in=OPEN_STATUSES).values_list(
            "pk", flat=True
        )
    )
    ReviewFlow.instance.cancel(process)
    ReviewTask.objects.filter(pk__in=open_ids).update(
        outcome=outcome, open=False, state=TaskState.WITHDRAWN, finished_at=timezone.now()
    )


def sync_declaration(declaration: Declaration, process: ReviewProcess) -> ReviewTask | None:
    """Move the declaration's status and stage to where its process now stands: the one place
    they change (review.lifecycle says which moves are allowed). Returns the open task."""
    process.refresh_from_db()
    lifecycle = DeclarationLifecycle(declaration)
    task = open_task(process)
    if task is not None:
        lifecycle.enter_stage(task.stage)
    elif process.status == PROCESS.CANCELED:
        lifecycle.withdraw()
    else:
        lifecycle.conclude(process.decision)
    declaration.save(update_fields=["status", "stage", "reached_stage", "updated_at"])
    return task


def withdraw(declaration: Declaration, process: ReviewProcess) -> None:
    """Cancel the round (its open task is marked withdrawn) and withdraw the declaration."""
    cancel(process)
    sync_declaration(declaration, process)
