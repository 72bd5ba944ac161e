"""What happened in review, told to whoever must act on it within the same transaction.

Services call `publish`; the notifications app subscribes its handlers when it starts
(NotificationsConfig.ready), so review never imports what sits above it.
"""

from collections import defaultdict
from collections.abc import Callable

# task_handled: a task ended or changed hands, so people it reached may no longer need to act.
EVENTS = ("task_created", "declaration_decided", "task_withdrawn", "urge", "task_handled")

_subscribers: dict[str, list[Callable[..., object]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., object]) -> None:
    """Call `handler(**payload)` whenever `event` is published. Registering an equal handler
    again (apps readied twice in one process) changes nothing."""
    if event not in EVENTS:
        raise ValueError(f"unknown review event: {event}")
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def publish(event: str, **payload) -> None:
    """Tell every subscriber of the event, now, inside the caller's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown review event: {event}")
    for handler in _subscribers[event]:
        handler(**payload)
