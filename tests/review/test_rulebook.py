"""The rulebook, as a table: for every demo role and every state a declaration passes through,
exactly which actions review.permissions.actions_for allows on the declaration and on its open
review task. Pages show these buttons, the API lists them as allowed_actions, and the services
enforce the same rules."""

import pytest

from declarations.models import DeclarationStatus
from declarations.stages import Stage
from review import services as review
from review.permissions import actions_for
from tests.review.helpers import EZ_PROJECT, approve, open_task, seed, submit, user

USERS = [
    "ez_preparer",
    "ez_head",
    "ez_dept",
    "ez_finance",
    "ez_perf",
    "ez_auditor",
    "auditor",
    "admin",
    "ny_dept",
    "ny_auditor",
]
OVERSEER = {"view", "view_refusals"}
ADMIN = {"view", "view_refusals", "comment"}
SEE = {"view", "comment"}
PREPARING = {"view", "edit", "submit", "copy", "comment"}
DECIDE = {"view", "approve", "return", "reject", "release", "hand_over"}

# state -> user -> (declaration actions, actions on the open task); users not listed see
# neither (the declaration is hidden from them, and so is its task).
TABLE: dict[str, dict[str, tuple[set, set]]] = {
    "draft": {
        "ez_preparer": (PREPARING, set()),
        "ez_head": (SEE, set()),
        "ez_auditor": (OVERSEER, set()),
        "auditor": (OVERSEER, set()),
        "admin": (ADMIN, set()),
    },
    "unit_head": {
        "ez_preparer": ({"view", "copy", "withdraw", "urge", "comment"}, {"view"}),
        "ez_head": (SEE, DECIDE),
        "ez_auditor": (OVERSEER, {"view"}),
        "auditor": (OVERSEER, {"view"}),
        "admin": (ADMIN, {"view", "release", "reassign"}),
    },
    "department": {
        "ez_preparer": ({"view", "copy", "urge", "comment"}, {"view"}),
        "ez_head": (SEE, {"view"}),
        "ez_dept": (SEE, DECIDE | {"return_previous"}),
        "ez_auditor": (OVERSEER, {"view"}),
        "auditor": (OVERSEER, {"view"}),
        "admin": (ADMIN, {"view", "release", "reassign"}),
    },
    "finance": {
        "ez_preparer": ({"view", "copy", "urge", "comment"}, {"view"}),
        "ez_head": (SEE, {"view"}),
        "ez_dept": (SEE, set()),
        "ez_finance": (SEE, DECIDE | {"return_previous"}),
        "ez_auditor": (OVERSEER, {"view"}),
        "auditor": (OVERSEER, {"view"}),
        "admin": (ADMIN, {"view", "release", "reassign"}),
    },
    "performance": {
        "ez_preparer": ({"view", "copy", "urge", "comment"}, {"view"}),
        "ez_head": (SEE, {"view"}),
        "ez_dept": (SEE, set()),
        "ez_finance": (SEE, set()),
        "ez_perf": (SEE, DECIDE | {"return_previous"}),
        "ez_auditor": (OVERSEER, {"view"}),
        "auditor": (OVERSEER, {"view"}),
        "admin": (ADMIN, {"view", "release", "reassign"}),
    },
    "returned": {
        "ez_preparer": (PREPARING, set()),
        "ez_head": (SEE, set()),
        "ez_dept": (SEE, set()),
        "ez_auditor": (OVERSEER, set()),
        "auditor": (OVERSEER, set()),
        "admin": (ADMIN, set()),
    },
    "approved": {
        "ez_preparer": ({"view", "copy", "comment"}, set()),
        "ez_head": (SEE, set()),
        "ez_dept": (SEE, set()),
        "ez_finance": (SEE, set()),
        "ez_perf": (SEE, set()),
        "ez_auditor": (OVERSEER, set()),
        "auditor": (OVERSEER, set()),
        "admin": (ADMIN, set()),
    },
    "rejected": {
        "ez_preparer": ({"view", "copy", "comment"}, set()),
        "ez_head": (SEE, set()),
        "ez_auditor": (OVERSEER, set()),
        "auditor": (OVERSEER, set()),
        "admin": (ADMIN, set()),
    },
    "withdrawn": {
        "ez_preparer": (PREPARING, set()),
        "ez_head": (SEE, set()),
        "ez_auditor": (OVERSEER, set()),
        "auditor": (OVERSEER, set()),
        "admin": (ADMIN, set()),
    },
}
STATUS = {
    "draft": DeclarationStatus.DRAFT,
    "returned": DeclarationStatus.RETURNED,
    "approved": DeclarationStatus.APPROVED,
    "rejected": DeclarationStatus.REJECTED,
    "withdrawn": DeclarationStatus.WITHDRAWN,
}


def _bring_to(state: str):
    """The 鄂州 seed declaration in `state`, through the real services."""
    declaration = seed(EZ_PROJECT)
    if state == "draft":
        return declaration
    submit(declaration)
    if state == "withdrawn":
        review.declaration_withdraw(actor=user("ez_preparer"), declaration_id=declaration.pk)
        return declaration
    if state == "rejected":
        task = open_task(declaration)
        review.task_reject(actor=user("ez_head"), task_id=task.pk, opinion="不符合要求")
        return declaration
    for stage in Stage.values[1:]:
        if state == stage:
            return declaration
        if state == "returned" and stage == Stage.DEPARTMENT:
            task = open_task(declaration)
            review.task_return(actor=user("ez_dept"), task_id=task.pk, opinion="请补充")
            return declaration
        approve(declaration)
    return declaration


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(TABLE))
def test_every_role_may_do_exactly_what_the_table_says(demo, state):
    declaration = _bring_to(state)
    declaration.refresh_from_db()
    assert declaration.status == STATUS.get(state, DeclarationStatus.SUBMITTED)
    task = open_task(declaration)
    for username in USERS:
        expected_declaration, expected_task = TABLE[state].get(username, (set(), set()))
        actor = user(username)
        assert set(actions_for(actor, declaration)) == expected_declaration, (username, state)
        if task is not None:
            assert set(actions_for(actor, task)) == expected_task, (username, state)
        else:
            assert expected_task == set(), (username, state)
