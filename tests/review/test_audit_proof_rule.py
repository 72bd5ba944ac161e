"""The rulebook's audit_proof: a declaration's proof bundle is for its jurisdiction's auditors
and its own unit; everyone else, even a reviewer or administrator who sees the declaration,
is told it does not exist."""

import pytest

from declarations.stages import Stage
from review.permissions import Action, ruling
from tests.review.helpers import EZ_PROJECT, advance_to, seed, user

pytestmark = pytest.mark.django_db

ALLOWED = ["ez_preparer", "ez_head", "ez_auditor", "auditor"]
HIDDEN = ["ez_dept", "ez_finance", "admin", "ny_auditor", "ny_preparer", "ny_dept"]


@pytest.fixture
def in_review(demo):
    return advance_to(seed(EZ_PROJECT), Stage.PERFORMANCE).declaration


@pytest.mark.parametrize("username", ALLOWED)
def test_auditors_of_the_jurisdiction_and_the_unit_may_fetch_the_proof(in_review, username):
    assert ruling(user(username), Action.AUDIT_PROOF, in_review).allowed


@pytest.mark.parametrize("username", HIDDEN)
def test_everyone_else_is_told_the_declaration_does_not_exist(in_review, username):
    decision = ruling(user(username), Action.AUDIT_PROOF, in_review)
    assert not decision.allowed
    assert decision.hidden
