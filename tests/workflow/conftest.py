"""The second department reviewer the review tests share."""

import pytest

from organisations.models import Role
from tests import factories
from tests.review.helpers import EZ, PASSWORD


@pytest.fixture
def second_dept(demo):
    """A second department reviewer of 鄂州: department tasks then wait in a shared queue."""
    membership = factories.MembershipFactory(
        user=factories.UserFactory(username="ez_dept2", first_name="鄂州市主管部门审核人乙"),
        role=Role.DEPARTMENT_REVIEWER,
        organisation=demo.org(EZ.department),
    )
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user
