"""notification_mark_read (标为已读): the header counts what is unread; marking one (or opening
it) lowers the count; someone else's notification cannot be marked."""

import pytest

from notifications.models import Notification
from tests.notifications.helpers import NY_MOVE, header_badge, notifications, seed, text_of

pytestmark = pytest.mark.django_db


def test_unread_count_in_header_and_mark_read_on_the_page(flow, web):
    """The header shows how many notifications are unread; 标为已读 on /notifications/ marks one,
    全部标为已读 the rest; someone else's notification cannot be marked (404)."""
    flow.submit(seed(NY_MOVE))
    flow.urge(seed(NY_MOVE))
    first, second = notifications("ny_head")
    client = web("ny_head")
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert header_badge(page) == 2
    assert first.title in text_of(page)
    assert f'action="/notifications/{first.pk}/read/"' in page.content.decode()

    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert Notification.objects.get(pk=second.pk).read_at is None
    assert header_badge(client.get("/tasks/")) == 1

    opened = client.post(f"/notifications/{second.pk}/read/", {"open": "1"})
    assert opened.status_code == 302
    assert opened["Location"] == second.url
    assert header_badge(client.get("/notifications/")) is None

    unread_only = text_of(client.get("/notifications/", {"unread": "1"}))
    assert first.title not in unread_only

    assert web("ny_dept").post(f"/notifications/{first.pk}/read/").status_code == 404
