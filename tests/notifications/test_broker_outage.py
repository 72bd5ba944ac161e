"""The broker down: a change of state never waits for it nor fails because of it. The change's
notifications are written with it (the outbox), the next reviewer sees the in-app notice at
once, and the e-mails go out, once each, when the broker is back and the delivery sweep runs.

Each test points Celery at a port of its own where nothing answers (connection refused, or
packets dropped as by a firewall), then starts a Redis of its own on that same port."""

import logging
import time
from io import StringIO

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command

from notifications.delivery import BrokerPause, enqueue_deliveries
from notifications.models import Delivery
from notifications.tasks import deliver_due
from tests.notifications.helpers import NY_MOVE, email_deliveries, open_task, seed, wait_for
from tests.servers import Blackhole, free_port

pytestmark = pytest.mark.django_db(transaction=True)

NEW_TASK = f"新的审核任务：{NY_MOVE}"


@pytest.fixture(params=["refused", "dropped"])
def dead_broker_port(request):
    """A port where the broker should be: nothing listens ("refused"), or connection attempts
    get no answer at all ("dropped"). close() frees it for a Redis to start there."""
    if request.param == "refused":
        port = free_port()
        yield port, lambda: None
        return
    blackhole = Blackhole()
    assert blackhole.drops_connections()
    yield blackhole.port, blackhole.close
    blackhole.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _titles(client) -> list[str]:
    response = client.get("/api/notifications/")
    assert response.status_code == 200
    return [notice["title"] for notice in response.json()["results"]]


def test_submit_and_approve_with_the_broker_down_then_each_email_goes_out_once(
    demo, api, broker, dead_broker_port, own_redis, smtp_server, celery_results
):
    """With the broker unreachable, the preparer's submit and ny_head's approval each answer
    200 in under 2 s; ny_head, then ny_dept, sees the new task in GET /api/notifications/ at
    once; no e-mail has gone out and both wait as pending deliveries. Then a Redis starts on
    that port with a real worker: the sweep's task, sent as beat sends it, mails ny_head and
    ny_dept once each; the deliver_notifications command run afterwards sends nothing more."""
    port, free_the_port = dead_broker_port
    app = broker(f"redis://127.0.0.1:{port}/0")
    inbox = smtp_server()
    declaration = seed(NY_MOVE)
    preparer, head, department = api("ny_preparer"), api("ny_head"), api("ny_dept")

    response, seconds = _timed(lambda: preparer.post(f"/api/declarations/{declaration.pk}/submit/"))
    assert response.status_code == 200, response.content
    assert seconds < 2, f"submit took {seconds:.2f} s"
    assert NEW_TASK in _titles(head)

    task = open_task(declaration)
    response, seconds = _timed(
        lambda: head.post(f"/api/tasks/{task.pk}/approve/", {"opinion": "同意"}, format="json")
    )
    assert response.status_code == 200, response.content
    assert seconds < 2, f"approve took {seconds:.2f} s"
    assert NEW_TASK in _titles(department)

    assert inbox.messages == []
    assert [d.status for d in email_deliveries()] == [Delivery.Status.PENDING] * 2

    free_the_port()
    own_redis(port)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        deliver_due.delay()
        assert wait_for(lambda: ("notifications.deliver_due", {"sent": 2}) in celery_results), (
            celery_results
        )
    assert inbox.recipients() == ["ny_dept@example.gov.cn", "ny_head@example.gov.cn"]
    assert [d.status for d in email_deliveries()] == [Delivery.Status.SENT] * 2

    out = StringIO()
    call_command("deliver_notifications", stdout=out)
    assert "deliveries: {}" in out.getvalue()
    assert len(inbox.messages) == 2


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
        _, first = _timed(lambda: enqueue_deliveries([1, 2, 3]))
        _, second = _timed(lambda: enqueue_deliveries([4]))
    assert first < 0.8, f"took {first:.2f} s"
    assert second < 0.05, f"took {second:.2f} s"
    assert ["the sweep" in r.getMessage() for r in caplog.records] == [True]

    free_the_port()
    queue = redis.Redis.from_url(own_redis(port).url())
    time.sleep(1.1)
    enqueue_deliveries([5, 6])
    assert queue.llen("celery") == 2
