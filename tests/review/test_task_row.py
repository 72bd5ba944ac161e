"""The review task's own row (open, state, holder, finish time, and the declaration's unit,
department, year, budget and submitter) follows viewflow's task through every service, and
the i12b migration fills it in for tasks made before it."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from viewflow.workflow.models import Task

from declarations.models import Stage
from review import services as review
from review.models import OPEN_STATUSES, ReviewTask, TaskState, task_state
from tests.review.helpers import (
    NY_GRID,
    NY_MOVE,
    advance_to,
    fresh,
    open_task,
    seed,
    submit,
    user,
)

backfill = importlib.import_module("review.migrations.0006_i12b_task_inbox_row").backfill
close_finished_rows = importlib.import_module(
    "review.migrations.0013_lead_node_tasks_not_open"
).close_finished_rows


def row(task_id: int) -> ReviewTask:
    return ReviewTask.objects.select_related("owner").get(pk=task_id)


def assert_row_follows_viewflow(task_id: int) -> ReviewTask:
    task = row(task_id)
    assert task.open == (task.status in OPEN_STATUSES)
    assert task.holder_id == task.owner_id
    assert task.finished_at == task.finished
    return task


@pytest.mark.django_db
def test_the_row_follows_the_task_through_claim_release_and_approval(demo, second_ny_dept):
    declaration = seed(NY_MOVE)
    head_task = open_task(submit(declaration))
    task = assert_row_follows_viewflow(head_task.pk)
    assert (task.state, task.holder.username) == (TaskState.HELD, "ny_head")  # sole candidate
    assert task.unit_id == declaration.reporting_unit_id
    assert task.department_id == declaration.competent_department_id
    assert (task.fiscal_year, task.budget) == (declaration.fiscal_year, declaration.budget)
    assert task.submitter.username == "ny_preparer"
    assert task.arrived_at == task.created

    dept_task = advance_to(declaration, Stage.DEPARTMENT)
    task = assert_row_follows_viewflow(head_task.pk)
    assert (task.open, task.state) == (False, TaskState.DONE)
    assert task.finished_at is not None
    task = assert_row_follows_viewflow(dept_task.pk)
    assert (task.open, task.state, task.holder) == (True, TaskState.QUEUED, None)

    review.task_claim(actor=user("ny_dept"), task_id=dept_task.pk)
    assert assert_row_follows_viewflow(dept_task.pk).state == TaskState.HELD
    review.task_hand_over(
        actor=user("ny_dept"), task_id=dept_task.pk, to_user_id=second_ny_dept.pk, reason="休假"
    )
    assert assert_row_follows_viewflow(dept_task.pk).holder == second_ny_dept
    review.task_release(actor=second_ny_dept, task_id=dept_task.pk)
    assert assert_row_follows_viewflow(dept_task.pk).state == TaskState.QUEUED
    review.task_return(actor=user("ny_dept"), task_id=dept_task.pk, opinion="请补充")
    task = assert_row_follows_viewflow(dept_task.pk)
    assert (task.open, task.state, task.decision_label) == (False, TaskState.DONE, "退回填报单位")


@pytest.mark.django_db
def test_a_withdrawn_task_is_closed_and_says_so(demo):
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=declaration.pk)
    task = row(task.pk)
    assert (task.open, task.state, task.decision_label) == (False, TaskState.WITHDRAWN, "已撤回")
    assert task.finished_at is not None
    assert open_task(fresh(declaration)) is None


@pytest.mark.django_db
def test_the_migration_fills_in_rows_written_before_it(demo):
    """Rows as they stood before the migration (its defaults) get their values from viewflow's
    task, the declaration and the round."""
    declaration = seed(NY_MOVE)
    advance_to(declaration, Stage.DEPARTMENT)
    ReviewTask.objects.update(
        open=True,
        state=TaskState.QUEUED,
        holder=None,
        finished_at=None,
        arrived_at=None,
        unit=None,
        department=None,
        fiscal_year=None,
        budget=None,
        submitter=None,
    )
    backfill(apps, None)
    for task in ReviewTask.objects.reviews():
        assert_row_follows_viewflow(task.pk)
        assert task.unit_id == declaration.reporting_unit_id
        assert task.submitter.username == "ny_preparer"
        assert task.arrived_at == Task.objects.get(pk=task.pk).created
    states = sorted(ReviewTask.objects.reviews().values_list("stage", "state"))
    assert states == [(Stage.DEPARTMENT, TaskState.HELD), (Stage.UNIT_HEAD, TaskState.DONE)]


def assert_every_row_follows_viewflow() -> None:
    """Review tasks and the flow's own steps (start, switches, ends) alike."""
    wrong = [
        (task.pk, task.flow_task, task.status, task.open, task.state)
        for task in ReviewTask.objects.all()
        if task.open != (task.status in OPEN_STATUSES)
        or task.state != task_state(task.status, task.owner_id)
    ]
    assert wrong == []


@pytest.mark.django_db
def test_the_flows_own_steps_are_not_left_open(demo):
    """The switches and ends a round passes through finish at once, and their rows say so (they
    said open and queued: two thirds of the table, swelling the indexes of open tasks)."""
    returned = seed(NY_MOVE)
    task = advance_to(returned, Stage.DEPARTMENT)
    review.task_return(actor=user("ny_dept"), task_id=task.pk, opinion="请补充")
    withdrawn = submit(seed(NY_GRID))
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=withdrawn.pk)

    assert ReviewTask.objects.filter(declaration__isnull=True).count() >= 4
    assert_every_row_follows_viewflow()


class _Editor:
    """What the migration uses of a schema editor: the connection, and executing SQL."""

    connection = connection

    @staticmethod
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.django_db
def test_the_migration_closes_the_steps_left_open_before_it(demo):
    """Rows as the earlier code left them (every finished step open and queued) are closed,
    done or withdrawn as viewflow's status says; open review tasks stay open."""
    declaration = seed(NY_MOVE)
    advance_to(declaration, Stage.DEPARTMENT)
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=submit(seed(NY_GRID)).pk)
    ReviewTask.objects.filter(declaration__isnull=True).update(open=True, state=TaskState.QUEUED)
    ReviewTask.objects.filter(state=TaskState.WITHDRAWN).update(open=True, state=TaskState.QUEUED)

    close_finished_rows(apps, _Editor())

    assert_every_row_follows_viewflow()
    assert ReviewTask.objects.filter(open=True).count() == 1  # the department's task
