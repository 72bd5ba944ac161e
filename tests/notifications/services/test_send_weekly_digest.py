"""send_weekly_digest (Friday 17:00): each reviewing organisation's digest goes to its
reviewers and heads once a week, also as the Celery task beat runs."""

import pytest
from django.core import mail

from notifications.digest import send_weekly_digest
from notifications.tasks import send_weekly_digest as task
from tests.notifications.helpers import NEXT_FRIDAY, NY_UNIT, at, notifications, recipients

pytestmark = pytest.mark.django_db


def test_digest_goes_to_reviewers_and_heads_once_a_week(week, flow, time_machine):
    """Friday's digest reaches every reviewing organisation's reviewers and heads (not the
    preparers, not the auditor); sending again in the same week adds nothing; the next week it
    is sent again."""
    created = flow.send_digest()
    expected = [
        "ez_dept",
        "ez_finance",
        "ez_perf",
        "ny_dept",
        "ny_dept_head",
        "ny_finance",
        "ny_head",
        "ny_perf",
    ]
    assert recipients("weekly_digest") == expected
    assert created == len(expected)
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == expected

    (unit_digest,) = notifications("ny_head", "weekly_digest")
    assert NY_UNIT in unit_digest.title
    assert "待审核 1 件，其中逾期 1 件；本周同意 1 件，退回 1 件" in unit_digest.body
    assert "单位负责人平均办理时间：60.0 小时（2 件）" in unit_digest.body
    assert unit_digest.url.startswith("/digest/?organisation=")

    time_machine.move_to(at(2026, 3, 6, 17, 5), tick=False)
    assert flow.send_digest() == 0
    time_machine.move_to(at(2026, 3, 8, 20), tick=False)  # Sunday: the same ISO week
    assert flow.send_digest() == 0
    assert recipients("weekly_digest") == expected

    time_machine.move_to(NEXT_FRIDAY, tick=False)
    assert flow.send_digest() == len(expected)
    assert recipients("weekly_digest") == sorted(expected * 2)


def test_send_weekly_digest_is_the_celery_task(week, flow):
    """The beat entry's task sends the same digest; run twice, it sends once."""
    assert flow.commit(task.delay).get() == 8
    assert flow.commit(task.delay).get() == 0
    assert send_weekly_digest() == 0
