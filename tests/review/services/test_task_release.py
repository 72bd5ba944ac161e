"""task_release: one release event; releasing a task nobody holds says so."""

import pytest

from audit.models import AuditAction
from declarations.models import Stage
from organisations.models import Role
from review import services as review
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_MOVE,
    advance_to,
    last_event_pk,
    login,
    open_task,
    seed,
    submit,
    user,
)


@pytest.mark.django_db
def test_release_writes_one_release_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_release(actor=user("ez_dept"), task_id=task.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.RELEASE,
        actor="ez_dept",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
    )
    assert event.details["from"] == "ez_dept"


@pytest.mark.django_db
def test_releasing_a_task_nobody_holds_says_so(client, demo):
    """The administrator releasing an unclaimed task (a double click) gets a message, not a 500."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "admin")
    assert client.post(f"/tasks/{task.pk}/release/").status_code == 302
    response = client.post(f"/tasks/{task.pk}/release/", follow=True)
    assert "该任务当前无人认领，无需释放。" in response.content.decode()
    assert client.post(f"/api/tasks/{task.pk}/release/").status_code in (401, 403, 409)
