"""E-mail over a real SMTP server (aiosmtpd on localhost): a failed send stays pending and is
retried by the delivery sweep with backoff until the server is back; after MAX_ATTEMPTS the
delivery is marked failed, where administrators see it and can resend it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.delivery import MAX_ATTEMPTS
from notifications.models import Delivery
from tests.notifications.helpers import NY_MOVE, at, email_deliveries, recipients, seed

pytestmark = pytest.mark.django_db


def test_smtp_failure_is_retried_and_delivered_when_the_server_recovers(
    flow, time_machine, smtp_server
):
    """The SMTP server is down when ny_head's new-task e-mail is first tried: the delivery stays
    pending with attempts=1, the error and a next attempt one minute later (the in-app
    notification is there regardless). A sweep before that time does not retry. Once the server
    is up and the time has come, the delivery sweep sends it: status sent, and the server got
    exactly one message for ny_head with the notification's subject."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    assert recipients("task_created") == ["ny_head"]
    (delivery,) = email_deliveries()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == at(2026, 3, 2, 9, 1)
    assert "Connection" in delivery.last_error or "Errno" in delivery.last_error
    assert delivery.sent_at is None

    time_machine.move_to(at(2026, 3, 2, 9) + timedelta(seconds=30), tick=False)
    assert flow.deliver_due() == {}
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    inbox = smtp_server()
    time_machine.move_to(at(2026, 3, 2, 9, 1) + timedelta(seconds=1), tick=False)
    assert flow.deliver_due() == {"sent": 1}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2
    assert delivery.sent_at is not None
    assert delivery.next_attempt_at is None

    assert len(inbox.messages) == 1
    (rcpt_tos, message) = inbox.messages[0]
    assert rcpt_tos == ["ny_head@example.gov.cn"]
    assert str(message["subject"]).strip() == delivery.notification.title
    assert NY_MOVE in message.get_content()

    time_machine.move_to(at(2026, 3, 2, 10), tick=False)
    assert flow.deliver_due() == {}
    assert len(inbox.messages) == 1


def test_retries_back_off(flow, time_machine, smtp_port):
    """Each failure schedules the next attempt later: 1, 2, 4, 8 ... minutes."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    (delivery,) = email_deliveries()
    gaps = []
    for _ in range(4):
        previous = delivery.next_attempt_at
        time_machine.move_to(previous, tick=False)
        assert flow.deliver_due() == {"retry": 1}
        delivery.refresh_from_db()
        gaps.append(delivery.next_attempt_at - previous)
    assert gaps == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert delivery.attempts == 5


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
