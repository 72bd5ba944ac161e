"""How notifications hear about review events (review.events): each event's notices and e-mail
deliveries are written at once, inside the transaction of the change that caused them (the
outbox), so they commit or roll back with it and never wait for the broker."""

from functools import partial

from notifications.services import notify_event
from review.events import EVENTS, subscribe


def _write_notifications(event: str, **payload) -> None:
    notify_event(event=event, payload=payload)


# One handler object per event, so that registering twice registers nothing new.
HANDLERS = {event: partial(_write_notifications, event) for event in EVENTS}


def subscribe_to_review_events() -> None:
    """Register the notifications' handlers (review.events ignores a second registration)."""
    for event, handler in HANDLERS.items():
        subscribe(event, handler)
