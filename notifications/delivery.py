"""Sending e-mail deliveries, state-based: a failure schedules the next attempt on the row, the
delivery sweep picks up what is due, and after MAX_ATTEMPTS the delivery is marked failed for
administrators to see and resend.

The Delivery table is the outbox: rows are written with the change that causes them. Handing a
delivery to a Celery worker after the commit only makes it go out sooner; the sweep (beat, every
minute, or `manage.py deliver_notifications`) sends whatever the broker did not carry. A row is
sent under its lock and marked sent in the same transaction, so it goes out once. One window
remains: a process that dies after the SMTP server accepted a message and before its commit
leaves the row pending, and that one e-mail goes out again.
"""

import logging
import smtplib
import socket
import time
from datetime import timedelta

import kombu.exceptions
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
BATCH = 500
SEND_ERRORS = (smtplib.SMTPException, OSError, socket.timeout)
BROKER_ERRORS = (kombu.exceptions.OperationalError, OSError)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour, between attempts."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _send(delivery: Delivery) -> None:
    notification = delivery.notification
    EmailMessage(
        subject=notification.title,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
    ).send(fail_silently=False)


def deliver(delivery_id: int) -> str:
    """Try to send one delivery now; safe to call twice (the row is locked and re-checked)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .select_related("notification__user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy"
        if delivery.status != Delivery.Status.PENDING:
            return delivery.status
        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return "later"
        delivery.attempts += 1
        try:
            _send(delivery)
        except SEND_ERRORS as error:
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                logger.error("notification delivery %s failed for good: %s", delivery.pk, error)
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                logger.warning(
                    "notification delivery %s failed, will retry: %s", delivery.pk, error
                )
            delivery.save(
                update_fields=["attempts", "last_error", "status", "next_attempt_at", "updated_at"]
            )
            return "retry" if delivery.status == Delivery.Status.PENDING else "failed"
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = now
        delivery.next_attempt_at = None
        delivery.save(
            update_fields=["attempts", "status", "sent_at", "next_attempt_at", "updated_at"]
        )
        return "sent"


class BrokerPause:
    """After the broker failed, hand-overs pause for a while, so that requests stop paying its
    connect timeout one after another; the delivery sweep sends the e-mails meanwhile."""

    SECONDS = 30.0
    until = 0.0

    @classmethod
    def active(cls) -> bool:
        return time.monotonic() < cls.until

    @classmethod
    def start(cls) -> None:
        cls.until = time.monotonic() + cls.SECONDS

    @classmethod
    def end(cls) -> None:
        cls.until = 0.0


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Ask a worker to send these deliveries now; never waits for nor fails on the broker.

    Whatever is not handed over stays pending, and the delivery sweep sends it."""
    # By name from Celery's registry (NotificationsConfig.ready registers the tasks): the tasks
    # module builds on this one.
    deliver_email = current_app.tasks["notifications.deliver_email"]
    if BrokerPause.active():
        return
    for delivery_id in delivery_ids:
        try:
            deliver_email.delay(delivery_id)
        except BROKER_ERRORS as error:
            BrokerPause.start()
            logger.warning(
                "broker unreachable (%s): %d e-mail deliveries wait for the sweep, and hand-overs "
                "pause for %.0f s",
                error,
                len(delivery_ids),
                BrokerPause.SECONDS,
            )
            return
        except Exception:
            logger.warning(
                "could not hand delivery %s to a worker, the sweep will send it",
                delivery_id,
                exc_info=True,
            )


def due_deliveries(now, *, after: int = 0) -> list[int]:
    """Ids of the next batch of pending deliveries due at `now`, beyond id `after`."""
    return list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now, pk__gt=after
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def deliver_due(now=None, *, time_budget: float | None = None) -> dict:
    """Send every delivery due at the start, batch after batch; returns counts by outcome.

    With a time budget (seconds) it stops starting new sends once the budget is spent, and the
    next run goes on where it stopped."""
    now = now or timezone.now()
    started = time.monotonic()
    counts: dict[str, int] = {}
    after = 0
    while batch := due_deliveries(now, after=after):
        for delivery_id in batch:
            if time_budget is not None and time.monotonic() - started > time_budget:
                logger.info("delivery sweep stopped after %.0f s: %s", time_budget, counts)
                return counts
            outcome = deliver(delivery_id)
            counts[outcome] = counts.get(outcome, 0) + 1
        after = batch[-1]
    return counts


def delivery_resend(*, delivery_id: int) -> None:
    """An administrator puts a failed delivery back in line."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
