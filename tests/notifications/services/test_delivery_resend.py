"""delivery_resend: after MAX_ATTEMPTS the delivery is marked failed, where administrators see
it and resend it (重新发送), and the next delivery sweep sends it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.delivery import MAX_ATTEMPTS
from notifications.models import Delivery
from tests.notifications.helpers import NY_MOVE, at, email_deliveries, seed

pytestmark = pytest.mark.django_db


def test_delivery_failing_for_good_is_shown_to_administrators_and_can_be_resent(
    flow, web, time_machine, smtp_server
):
    """After MAX_ATTEMPTS failures the delivery is marked failed, is not tried again, and shows
    in the admin's Delivery list filtered by status=failed. The administrator's 重新发送 action
    puts it back in line, and the next delivery sweep sends it once the server is up."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    (delivery,) = email_deliveries()
    while delivery.status == Delivery.Status.PENDING:
        time_machine.move_to(delivery.next_attempt_at + timedelta(seconds=1), tick=False)
        flow.deliver_due()
        delivery.refresh_from_db()
        assert delivery.attempts <= MAX_ATTEMPTS
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_error
    assert delivery.sent_at is None

    time_machine.move_to(at(2026, 3, 4, 9), tick=False)
    assert flow.deliver_due() == {}
    delivery.refresh_from_db()
    assert delivery.attempts == MAX_ATTEMPTS

    admin = web("admin")
    failed = admin.get("/admin/notifications/delivery/", {"status__exact": "failed"})
    assert failed.status_code == 200
    assert f"/admin/notifications/delivery/{delivery.pk}/change/" in failed.content.decode()
    pending = admin.get("/admin/notifications/delivery/", {"status__exact": "pending"})
    assert f"/admin/notifications/delivery/{delivery.pk}/change/" not in pending.content.decode()
    assert web("ny_head").get("/admin/notifications/delivery/").status_code == 302

    response = admin.post(
        "/admin/notifications/delivery/",
        {"action": "resend", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)

    inbox = smtp_server()
    call_command("deliver_notifications")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert [rcpt for rcpt, _ in inbox.messages] == [["ny_head@example.gov.cn"]]
    assert mail.outbox == []  # the real SMTP backend, not the test outbox
