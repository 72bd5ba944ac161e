"""Services announce what happened here; notifications go out only after the commit."""

from django.db import transaction


def publish(event: str, **payload) -> None:
    """Queue the notifications for an event once the current transaction commits."""
    from notifications.tasks import dispatch_event

    transaction.on_commit(lambda: dispatch_event.delay(event, payload))
