"""deliver_due over a real SMTP server (aiosmtpd on localhost): a failed send stays pending
and is retried by the delivery sweep, later each time, until the server is back."""

from datetime import timedelta

import pytest

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
