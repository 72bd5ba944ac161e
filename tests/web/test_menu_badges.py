"""The menu's badges: the unread notices are counted like the waiting tasks, up to 99 and
"99+" beyond, so a reviewer with thousands of unread notices sees a number that fits and every
page costs the same."""

import pytest
from django.contrib.auth import get_user_model

from notifications.models import Notification
from tests.pages import page_of, visible_text


def _unread(username: str, count: int) -> None:
    user = get_user_model().objects.get(username=username)
    Notification.objects.bulk_create(
        Notification(user=user, event="urge", title=f"催办 {n}", idempotency_key=f"badge:{n}")
        for n in range(count)
    )


def _unread_badge(response) -> str:
    """The menu's unread-notices badge ("" when there is none)."""
    badges = page_of(response).find("summary").find_all("span", cls="late")
    return visible_text(badges[0]).strip() if badges else ""


@pytest.mark.django_db
def test_a_few_unread_notices_are_counted_exactly(web):
    before = Notification.objects.filter(user__username="ny_finance", read_at=None).count()
    _unread("ny_finance", 3)
    assert _unread_badge(web("ny_finance").get("/tasks/")) == str(before + 3)


@pytest.mark.django_db
def test_more_than_99_unread_notices_read_99_plus(web):
    _unread("ny_finance", 120)
    assert _unread_badge(web("ny_finance").get("/tasks/")) == "99+"


@pytest.mark.django_db
def test_no_unread_notice_shows_no_badge(web):
    Notification.objects.filter(user__username="ny_preparer").update(read_at="2026-01-01T00:00Z")
    assert _unread_badge(web("ny_preparer").get("/declarations/")) == ""
