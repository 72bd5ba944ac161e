"""What the review flow's nodes do when it starts a round or creates a task; review.flows calls
these, so the flow itself only routes."""

from django.utils import timezone
from viewflow.workflow.status import STATUS

from declarations.models import Declaration
from declarations.stages import STAGE_ROLE, stage_organisation
from organisations.memo import remembered
from organisations.selectors import role_holders
from review.deadlines import task_deadlines
from review.models import ReviewProcess, ReviewTask


def init_process(activation, *, declaration: Declaration, actor, entry_stage: str, round: int):
    """A new round of review: whose declaration, who submitted it, where it enters."""
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
    declaration = remembered(
        ("declaration", process.declaration_id),
        lambda: Declaration.objects.with_related().get(pk=process.declaration_id),
    )
    task.declaration = declaration
    task.stage = stage
    task.candidate_role = STAGE_ROLE[stage]
    task.candidate_organisation = stage_organisation(declaration, stage)
    task.due_at, task.remind_at, task.escalate_at = task_deadlines(
        declaration.reporting_unit.jurisdiction, stage, task.created
    )
    candidates = role_holders(task.candidate_role, task.candidate_organisation)
    if len(candidates) == 1:
        # A single candidate needs no queue: the task goes straight into their inbox.
        task.owner = candidates[0]
        task.assigned = timezone.now()
        task.status = STATUS.ASSIGNED
    task.copy_declaration(declaration, process.submitted_by_id)
    task.save()
