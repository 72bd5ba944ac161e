"""organisation_digest: per organisation the waiting, overdue, approved and returned counts of
the week and the average time per stage."""

import pytest

from declarations.models import Stage
from notifications.digest import organisation_digest
from tests.notifications.helpers import FRIDAY, NEXT_FRIDAY, NY_DEPARTMENT, NY_UNIT

pytestmark = pytest.mark.django_db


def test_unit_digest_counts_and_average_time(week, demo):
    """At Friday 17:00 南岳区's unit has 1 waiting (overdue), 1 approved and 1 returned this week,
    and the unit-head stage took 60 hours on average over 2 decisions."""
    digest = organisation_digest(demo.org(NY_UNIT), end=FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 1, 1, 1)
    assert digest.rejected == 0
    assert [(s.stage, s.count, s.average_hours) for s in digest.stages] == [
        (Stage.UNIT_HEAD, 2, 60.0)
    ]


def test_department_digest_counts_what_waits_there(week, demo):
    """The department has NY_MOVE waiting (due Wed 03-11, not overdue) and decided nothing."""
    digest = organisation_digest(demo.org(NY_DEPARTMENT), end=FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 0, 0, 0)
    assert digest.stages == []


def test_next_weeks_digest_only_counts_that_week(week, demo):
    """A week later last week's decisions are out of the window; NY_GRID still waits, overdue."""
    digest = organisation_digest(demo.org(NY_UNIT), end=NEXT_FRIDAY)
    assert (digest.waiting, digest.overdue, digest.approved, digest.returned) == (1, 1, 0, 0)
    assert digest.stages == []
