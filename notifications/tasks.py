from celery import shared_task

from notifications import services


@shared_task(name="notifications.dispatch_event", acks_late=True)
def dispatch_event(event: str, payload: dict) -> int:
    """Turn one domain event into notifications for the people it concerns."""
    return services.notify_event(event=event, payload=payload)
