"""Every sweep also runs as a management command (for cron, or when Celery beat is down) with
the same effect as the Celery task: sweep_deadlines, deliver_notifications, send_weekly_digest."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditAction
from notifications.models import Channel, Delivery, Notification
from notifications.sweeps import sweep_deadlines
from tests.notifications.helpers import (
    NY_MOVE,
    at,
    audit_events,
    email_deliveries,
    recipients,
    seed,
    task,
    user,
)

pytestmark = pytest.mark.django_db


def _command(flow, name: str) -> str:
    out = StringIO()
    flow.commit(call_command, name, stdout=out)
    return out.getvalue()


def test_sweep_deadlines_command_reminds_and_escalates_once(flow, time_machine):
    """The command fires the due levels (here the reminder, then overdue and the administrators'
    escalation), reports what it did, and run again fires nothing."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    mail.outbox = []

    time_machine.move_to(at(2026, 3, 4, 9, 1), tick=False)
    output = _command(flow, "sweep_deadlines")
    assert "'reminded': 1" in output
    assert recipients("reminder") == ["ny_head"]
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]

    time_machine.move_to(at(2026, 3, 9, 9, 1), tick=False)
    output = _command(flow, "sweep_deadlines")
    assert "'overdue': 1" in output
    assert "'escalated': 1" in output
    assert recipients("escalation") == ["ny_head"]
    assert recipients("escalation_admin") == ["admin"]
    assert task(unit_task.pk).escalated_at is not None

    output = _command(flow, "sweep_deadlines")
    assert "{'reminded': 0, 'overdue': 0, 'escalated': 0}" in output
    assert len(audit_events(AuditAction.ESCALATE)) == 2
    assert len(mail.outbox) == 3


def test_deliver_notifications_command_sends_what_was_never_enqueued(flow, time_machine):
    """The sweep ran while the workers were down, so its deliveries were never enqueued (their
    on-commit callbacks never ran): they wait as pending rows, and the deliver_notifications
    command sends them, once."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    mail.outbox = []
    time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
    sweep_deadlines()  # not committed through the test: the deliver_email enqueue is lost
    (pending,) = email_deliveries(Delivery.Status.PENDING)
    assert pending.notification.event in {"reminder", "escalation"}
    assert mail.outbox == []

    output = _command(flow, "deliver_notifications")
    assert "'sent'" in output
    assert email_deliveries(Delivery.Status.PENDING) == []
    sent_to = sorted((m.to[0], m.subject) for m in mail.outbox)
    expected = sorted(
        (d.notification.user.email, d.notification.title)
        for d in email_deliveries(Delivery.Status.SENT)
        if d.pk >= pending.pk
    )
    assert sent_to == expected

    output = _command(flow, "deliver_notifications")
    assert "deliveries: {}" in output
    assert len(mail.outbox) == len(expected)


def test_send_weekly_digest_command_is_idempotent_within_a_week(flow, time_machine):
    """Friday 17:00 the command sends the digest to the reviewers; again that week, nothing."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 6, 17), tick=False)
    output = _command(flow, "send_weekly_digest")
    count = len(recipients("weekly_digest"))
    assert count > 0
    assert f"weekly digest: {count} notifications" in output
    assert "ny_head" in recipients("weekly_digest")
    assert "ny_preparer" not in recipients("weekly_digest")

    output = _command(flow, "send_weekly_digest")
    assert "weekly digest: 0 notifications" in output
    assert len(recipients("weekly_digest")) == count


def test_deliver_notifications_clears_a_backlog_of_any_size_in_one_run(demo):
    """After an outage 1,001 e-mails wait (more than one batch of 500): one run of the command
    sends every one of them, once, and a second run sends nothing."""
    head = user("ny_head")
    notifications = Notification.objects.bulk_create(
        Notification(user=head, event="urge", title=f"催办 {n}", idempotency_key=f"backlog:{n}")
        for n in range(1001)
    )
    Delivery.objects.bulk_create(
        Delivery(notification=n, channel=Channel.EMAIL, next_attempt_at=timezone.now())
        for n in notifications
    )
    out = StringIO()
    call_command("deliver_notifications", stdout=out)
    assert "deliveries: {'sent': 1001}" in out.getvalue()
    assert len(mail.outbox) == 1001
    assert len({m.subject for m in mail.outbox}) == 1001
    assert email_deliveries(Delivery.Status.PENDING) == []

    out = StringIO()
    call_command("deliver_notifications", stdout=out)
    assert "deliveries: {}" in out.getvalue()
    assert len(mail.outbox) == 1001
