"""A task held by its reviewer, for the review tests."""

import pytest

from tests.review.helpers import NY_MOVE, open_task, seed, submit


@pytest.fixture
def held_task(demo):
    """The 南岳 relocation declaration waiting at the unit head, held by ny_head."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    assert task.owner.username == "ny_head"
    return task
