"""preference_update (the preferences page): with e-mail off the notice is in-app only, with
in-app off it is e-mailed only, with both off nothing is sent or shown."""

import pytest
from django.core import mail

from notifications.models import Notification, Preference
from tests.notifications.helpers import (
    NY_MOVE,
    email_deliveries,
    header_badge,
    notifications,
    seed,
    text_of,
)

pytestmark = pytest.mark.django_db


def test_email_off_still_notifies_in_app(flow, web):
    """ny_head turns e-mail off on the preferences page: the new task shows in-app, no e-mail."""
    client = web("ny_head")
    response = client.post("/notifications/preferences/", {"in_app": "1"})
    assert response.status_code == 302
    preference = Preference.objects.get(user__username="ny_head")
    assert (preference.in_app, preference.email) == (True, False)

    flow.submit(seed(NY_MOVE))
    assert mail.outbox == []
    assert email_deliveries() == []
    (notification,) = notifications("ny_head")
    assert notification.show_in_app
    page = client.get("/notifications/")
    assert notification.title in text_of(page)
    assert header_badge(page) == 1


def test_in_app_off_hides_the_notification_but_still_emails(flow, web, api):
    """ny_head turns in-app off: the e-mail goes out, but the notification is not in
    /notifications/, not in the header count and not in the API's list or unread count."""
    client = web("ny_head")
    client.post("/notifications/preferences/", {"email": "1"})
    preference = Preference.objects.get(user__username="ny_head")
    assert (preference.in_app, preference.email) == (False, True)

    flow.submit(seed(NY_MOVE))
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]
    page = client.get("/notifications/")
    assert NY_MOVE not in text_of(page)
    assert header_badge(page) is None

    ny_head_api = api("ny_head")
    assert ny_head_api.get("/api/notifications/unread-count/").json() == {"unread": 0}
    body = ny_head_api.get("/api/notifications/").json()
    listed = body["results"] if isinstance(body, dict) else body
    assert listed == []


def test_no_channel_at_all_sends_nothing(flow, web):
    """With both channels off nothing is e-mailed or shown."""
    web("ny_head").post("/notifications/preferences/", {})
    flow.submit(seed(NY_MOVE))
    assert mail.outbox == []
    assert Notification.objects.filter(user__username="ny_head", show_in_app=True).count() == 0
