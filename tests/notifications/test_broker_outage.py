"""The broker down: a change of state never waits for it nor fails because of it. The change's
notifications are written with it (the outbox), the next reviewer sees the in-app notice at
once, and the e-mails go out, once each, when the broker is back and the delivery sweep runs.

The test points Celery at a port of its own where nothing answers (connection refused, or
packets dropped as by a firewall), then starts a Redis of its own on that same port."""

from io import StringIO

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command

from notifications.models import Delivery
from notifications.tasks import deliver_due
from tests.notifications.helpers import NY_MOVE, email_deliveries, open_task, seed, timed, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


NEW_TASK = f"新的审核任务：{NY_MOVE}"


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

    response, seconds = timed(lambda: preparer.post(f"/api/declarations/{declaration.pk}/submit/"))
    assert response.status_code == 200, response.content
    assert seconds < 2, f"submit took {seconds:.2f} s"
    assert NEW_TASK in _titles(head)

    task = open_task(declaration)
    response, seconds = timed(
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
