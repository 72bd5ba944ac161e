"""The review flow: one task per stage of declarations.stages.REVIEW_CHAIN, in its order (unit
head → competent department → business section → performance section).

The flow only routes. Every node body is a call into review.nodes, and every decision is taken
by a service in review.services before the task is executed.
"""

from contextlib import contextmanager

from django.db import transaction
from django.http import Http404
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.base import Node

from declarations.stages import REVIEW_STAGES, next_stage, previous_stage
from review import nodes
from review.models import Decision, ReviewProcess, ReviewTask


def not_routed(request, *args, **kwargs):
    """viewflow's own task pages are not served: reviews go through our views and services."""
    raise Http404


def decided(decision: str):
    return lambda activation: activation.process.coerced.decision == decision


def enters_at(stage: str):
    return lambda activation: activation.process.coerced.entry_stage == stage


def entry_switch() -> flow.Switch:
    """A round starts at the first stage, or where the jurisdiction sends a resubmission."""
    switch = flow.Switch()
    for stage in REVIEW_STAGES[1:]:
        switch = switch.Case(getattr(this, stage.value), enters_at(stage))
    return switch.Default(getattr(this, REVIEW_STAGES[0].value))


def stage_nodes() -> dict[str, Node]:
    """For each stage: its task, then a switch on the decision: approved goes to the next stage
    (or ends approved), returned-to-previous to the stage before, rejected and returned end."""
    stages: dict[str, Node] = {}
    for stage in REVIEW_STAGES:
        after = f"after_{stage.value}"
        stages[stage.value] = (
            flow.View(not_routed).onCreate(this.task_created).Next(getattr(this, after))
        )
        following = next_stage(stage)
        switch = flow.Switch().Case(
            getattr(this, following.value if following else "approved"),
            decided(Decision.APPROVE),
        )
        if previous := previous_stage(stage):
            switch = switch.Case(getattr(this, previous.value), decided(Decision.RETURN_PREVIOUS))
        stages[after] = switch.Case(this.rejected, decided(Decision.REJECT)).Default(this.returned)
    return stages


class DeclarationLock:
    """The flow's lock is the declaration's row: every service locks it
    (permissions.lock_declaration) before it drives the flow through review.engine, so locking
    the process row as well would only cost statements. This joins the service's transaction."""

    @contextmanager
    def __call__(self, flow_class, process_pk):
        with transaction.atomic(savepoint=False):
            yield


class ReviewFlow(flow.Flow):
    process_class = ReviewProcess
    task_class = ReviewTask
    lock_impl = DeclarationLock()

    process_title = "预算绩效目标审核"

    start = flow.StartHandle(this.start_process).Next(this.enter)
    enter = entry_switch()
    # unit_head, after_unit_head, department, after_department, … built from the stage chain.
    locals().update(stage_nodes())

    approved = flow.End()
    returned = flow.End()
    rejected = flow.End()

    def start_process(self, activation, **kwargs):
        return nodes.init_process(activation, **kwargs)

    def task_created(self, activation):
        nodes.init_review_task(activation)
