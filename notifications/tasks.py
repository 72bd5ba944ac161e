"""Celery tasks: each loads ids and calls a service; all are idempotent and acknowledged late."""

from celery import shared_task
from django.conf import settings

from notifications import delivery, digest, services, sweeps


@shared_task(name="notifications.dispatch_event", acks_late=True)
def dispatch_event(event: str, payload: dict) -> int:
    """Turn one domain event into notifications (idempotent).

    Unused since notifications are written with the change itself; kept registered because
    messages queued before that upgrade may still arrive."""
    return services.notify_event(event=event, payload=payload)


@shared_task(name="notifications.deliver_email", acks_late=True)
def deliver_email(delivery_id: int) -> str:
    """Try one e-mail delivery now; a failure is rescheduled on the row, not in Celery."""
    return delivery.deliver(delivery_id)


@shared_task(name="notifications.deliver_due", acks_late=True)
def deliver_due() -> dict:
    """Send every e-mail delivery whose next attempt is due, within the task's time limit."""
    # Half the soft time limit leaves room for the send in progress; the next run goes on.
    return delivery.deliver_due(time_budget=settings.CELERY_TASK_SOFT_TIME_LIMIT / 2)


@shared_task(name="notifications.sweep_deadlines", acks_late=True)
def sweep_deadlines() -> dict:
    """Reminders and escalations that are due."""
    return sweeps.sweep_deadlines().as_dict()


@shared_task(name="notifications.send_weekly_digest", acks_late=True)
def send_weekly_digest() -> int:
    """The Friday digest for every reviewing organisation."""
    return digest.send_weekly_digest()
