"""The review flow: unit head → competent department → business section → performance section.

The flow only routes. Every node body is a call into workflow.engine, and every decision is
taken by a service in approvals.review before the task is executed.
"""

from django.http import Http404
from viewflow import this
from viewflow.workflow import flow, lock

from declarations.models import Stage
from review import engine
from review.models import Decision, ReviewProcess, ReviewTask


def not_routed(request, *args, **kwargs):
    """viewflow's own task pages are not served: reviews go through our views and services."""
    raise Http404


def decided(decision: str):
    return lambda activation: activation.process.coerced.decision == decision


def enters_at(stage: str):
    return lambda activation: activation.process.coerced.entry_stage == stage


class ReviewFlow(flow.Flow):
    process_class = ReviewProcess
    task_class = ReviewTask
    # Services lock the declaration row first, so the process lock never waits; one attempt
    # without NOWAIT avoids viewflow's multi-second retry loop.
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    process_title = "预算绩效目标审核"

    start = flow.StartHandle(this.start_process).Next(this.enter)
    enter = (
        flow.Switch()
        .Case(this.department, enters_at(Stage.DEPARTMENT))
        .Case(this.finance, enters_at(Stage.FINANCE))
        .Case(this.performance, enters_at(Stage.PERFORMANCE))
        .Default(this.unit_head)
    )

    unit_head = flow.View(not_routed).onCreate(this.task_created).Next(this.after_unit_head)
    after_unit_head = (
        flow.Switch()
        .Case(this.department, decided(Decision.APPROVE))
        .Case(this.rejected, decided(Decision.REJECT))
        .Default(this.returned)
    )

    department = flow.View(not_routed).onCreate(this.task_created).Next(this.after_department)
    after_department = (
        flow.Switch()
        .Case(this.finance, decided(Decision.APPROVE))
        .Case(this.unit_head, decided(Decision.RETURN_PREVIOUS))
        .Case(this.rejected, decided(Decision.REJECT))
        .Default(this.returned)
    )

    finance = flow.View(not_routed).onCreate(this.task_created).Next(this.after_finance)
    after_finance = (
        flow.Switch()
        .Case(this.performance, decided(Decision.APPROVE))
        .Case(this.department, decided(Decision.RETURN_PREVIOUS))
        .Case(this.rejected, decided(Decision.REJECT))
        .Default(this.returned)
    )

    performance = flow.View(not_routed).onCreate(this.task_created).Next(this.after_performance)
    after_performance = (
        flow.Switch()
        .Case(this.approved, decided(Decision.APPROVE))
        .Case(this.finance, decided(Decision.RETURN_PREVIOUS))
        .Case(this.rejected, decided(Decision.REJECT))
        .Default(this.returned)
    )

    approved = flow.End()
    returned = flow.End()
    rejected = flow.End()

    def start_process(self, activation, **kwargs):
        return engine.init_process(activation, **kwargs)

    def task_created(self, activation):
        engine.init_review_task(activation)
