"""notifications_mark_all_read (全部标为已读): nothing is left unread."""

import pytest

from notifications.models import Notification
from tests.notifications.helpers import NY_MOVE, header_badge, seed, user

pytestmark = pytest.mark.django_db


def test_mark_all_read_on_the_page(flow, web):
    flow.submit(seed(NY_MOVE))
    flow.urge(seed(NY_MOVE))
    client = web("ny_head")
    assert client.post("/notifications/read-all/").status_code == 302
    assert Notification.objects.filter(user=user("ny_head"), read_at__isnull=True).count() == 0
    assert header_badge(client.get("/notifications/")) is None
