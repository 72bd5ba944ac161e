"""enqueue_deliveries with the broker down (a port of the test's own where nothing answers:
connection refused, or packets dropped as by a firewall): it neither raises nor waits,
pauses, and reaches the broker again once a Redis of its own is back on that port."""

import logging
import time

import pytest
import redis

from notifications.delivery import BrokerPause, enqueue_deliveries
from tests.notifications.helpers import timed

pytestmark = pytest.mark.django_db(transaction=True)


def test_handing_emails_to_an_unreachable_broker_returns_at_once_then_pauses(
    broker, dead_broker_port, own_redis, caplog, monkeypatch
):
    """Handing three deliveries to the worker with the broker unreachable neither raises nor
    waits: it returns in well under a second and logs one warning that the sweep will send them.
    The next hand-over, moments later, does not try the broker again (no second wait). Once the
    pause is over and the broker is back on its port, hand-overs reach it again."""
    monkeypatch.setattr(BrokerPause, "SECONDS", 1.0)
    port, free_the_port = dead_broker_port
    broker(f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        _, first = timed(lambda: enqueue_deliveries([1, 2, 3]))
        _, second = timed(lambda: enqueue_deliveries([4]))
    assert first < 0.8, f"took {first:.2f} s"
    assert second < 0.05, f"took {second:.2f} s"
    assert ["the sweep" in r.getMessage() for r in caplog.records] == [True]

    free_the_port()
    queue = redis.Redis.from_url(own_redis(port).url())
    time.sleep(1.1)
    enqueue_deliveries([5, 6])
    assert queue.llen("celery") == 2
