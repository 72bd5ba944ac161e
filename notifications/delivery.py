"""Sending e-mail deliveries, state-based: a failure schedules the next attempt on the row, the
delivery sweep picks up what is due, and after MAX_ATTEMPTS the delivery is marked failed for
administrators to see and resend."""

import logging
import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
SEND_ERRORS = (smtplib.SMTPException, OSError, socket.timeout)


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


def due_deliveries(now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def deliver_due(now=None) -> dict:
    """Send every delivery whose time has come; returns counts by outcome."""
    counts: dict[str, int] = {}
    for delivery_id in due_deliveries(now):
        outcome = deliver(delivery_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def delivery_resend(*, delivery_id: int) -> None:
    """An administrator puts a failed delivery back in line."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
