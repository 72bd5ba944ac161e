"""Services announce what happened here, inside their own transaction."""


def publish(event: str, **payload) -> None:
    """Write the notifications an event calls for in the current transaction (the outbox).

    They commit or roll back with the change that caused them; only the e-mails are sent after
    the commit, by a worker or by the delivery sweep, so the change never waits for the broker.
    """
    from notifications.services import notify_event

    notify_event(event=event, payload=payload)
