"""The only code that drives viewflow activations. Services call these inside their transaction,
after they have checked the actor's right and locked the declaration."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from declarations.models import Declaration
from organisations.memo import remember
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


# viewflow saves the task whole in each transition; set first, `assigned` goes with that save,
# and so does the row's own copy of the status (ReviewTask.save).


def assign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.task.assigned = timezone.now()
        activation.assign(user)


def unassign(task: ReviewTask) -> None:
    with task.activation() as activation:
        activation.task.assigned = None
        activation.unassign()


def reassign(task: ReviewTask, user) -> None:
    with task.activation() as activation:
        activation.task.assigned = timezone.now()
        activation.reassign(user=user)


@contextmanager
def _activation(task: ReviewTask, process: ReviewProcess) -> Iterator:
    """viewflow's Task.activation() without its second reading of the task and of its process
    (three statements): the service has read the task's status again under the declaration's
    lock, which is the flow's lock (permissions.access_task_by_id), and hands in the process."""
    task.process = process
    with ReviewFlow.lock(task.process_id):
        yield task.flow_task.activation_class(task)


def complete(task: ReviewTask, *, process: ReviewProcess, actor, decision: str) -> None:
    """Record the decision on the process and complete the task; the flow routes on it. The
    task's own status copy is saved with viewflow's save of the finished task."""
    process.decision = decision  # saved first: the flow's switch reads it from the database
    process.save(update_fields=["decision"])
    with _activation(task, process) as activation:
        activation.task.outcome = decision  # saved with the task when it completes
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
    ReviewFlow.instance.cancel(process)
    ReviewTask.objects.filter(pk__in=open_ids).update(
        outcome=outcome, open=False, state=TaskState.WITHDRAWN, finished_at=timezone.now()
    )


def sync_declaration(declaration: Declaration, process: ReviewProcess) -> ReviewTask | None:
    """Move the declaration's status and stage to where its process now stands: the one place
    they change (review.lifecycle says which moves are allowed). Returns the open task."""
    lifecycle = DeclarationLifecycle(declaration)
    task = open_task(process)
    if task is not None:
        lifecycle.enter_stage(task.stage)
        task.declaration = declaration
        remember(("task", task.pk), task)  # the notices about it read it next
        declaration.save(update_fields=["status", "stage", "reached_stage", "updated_at"])
        return task
    process.refresh_from_db()  # the flow has moved it on: canceled, or ended with a decision
    if process.status == PROCESS.CANCELED:
        lifecycle.withdraw()
    else:
        lifecycle.conclude(process.decision)
    declaration.save(update_fields=["status", "stage", "reached_stage", "updated_at"])
    return task


def withdraw(declaration: Declaration, process: ReviewProcess) -> None:
    """Cancel the round (its open task is marked withdrawn) and withdraw the declaration."""
    cancel(process)
    sync_declaration(declaration, process)
