"""How notifications hear about review events (review.events): each event is dispatched to the
Celery task that creates its notifications once the service's transaction commits."""

from functools import partial

from django.db import transaction

from notifications.tasks import dispatch_event
from review.events import EVENTS, subscribe


def _dispatch_on_commit(event: str, **payload) -> None:
    transaction.on_commit(lambda: dispatch_event.delay(event, payload))


_subscribed = False


def subscribe_to_review_events() -> None:
    """Register the notifications' handlers (once, when the app is ready)."""
    global _subscribed  # apps may be readied more than once in one process
    if _subscribed:
        return
    for event in EVENTS:
        subscribe(event, partial(_dispatch_on_commit, event))
    _subscribed = True
