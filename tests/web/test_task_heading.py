"""A finished task's page is headed by its own stage, not the stage the declaration has
reached since."""

import pytest

from review import services as review
from tests.pages import page_of
from tests.review.helpers import NY_MOVE, open_task, seed, submit, user

pytestmark = pytest.mark.django_db


def test_a_finished_task_is_headed_by_its_own_stage(web):
    declaration = submit(seed(NY_MOVE))
    head_task = open_task(declaration)
    review.task_approve(actor=user("ny_head"), task_id=head_task.pk, opinion="同意")
    dept_task = open_task(declaration)

    finished = page_of(web("ny_head").get(f"/tasks/{head_task.pk}/")).find("h1").text
    assert finished.startswith("单位负责人："), finished
    current = page_of(web("ny_dept").get(f"/tasks/{dept_task.pk}/")).find("h1").text
    assert current.startswith("主管部门："), current
