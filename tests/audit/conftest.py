"""The audit tests' realistic log."""

import pytest

from declarations.models import Stage
from review import permissions
from review import services as review
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    advance_to,
    approve_to_end,
    seed,
    submit,
    user,
)


@pytest.fixture
def history(demo, second_dept):
    """A realistic log: a return, a resubmission, a claim, refused attempts, a comment and a
    complete approval, over two declarations."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    with pytest.raises(permissions.NotAllowed):
        review.task_approve(actor=user("auditor"), task_id=task.pk)
    review.task_return(actor=user("ez_dept"), task_id=task.pk, opinion="请补充依据")
    review.declaration_comment(
        actor=user(EZ.preparer), declaration_id=declaration.pk, text="已补充"
    )
    approve_to_end(submit(declaration))
    advance_to(seed(NY_GRID), Stage.FINANCE)
    return declaration
