"""End to end through the real Redis broker and a real Celery worker: the submission writes the
notification itself, and only the e-mail travels to the worker, which sends it."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from notifications.models import Delivery, Notification
from notifications.tasks import dispatch_event
from review.services import declaration_submit
from tests.notifications.helpers import NY_MOVE, open_task, seed, user, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_app(broker, settings):
    """config.celery.app talking to the test broker, tasks no longer run eagerly."""
    app = broker(settings.TEST_BROKER_URL)
    app.control.purge()  # nothing left over from an earlier run
    return app


def _sent_to(username: str) -> bool:
    return Delivery.objects.filter(
        notification__user__username=username, status=Delivery.Status.SENT
    ).exists()


def test_worker_on_real_broker_sends_the_new_task_email(demo, broker_app, celery_runs):
    """The preparer submits: ny_head's notification is there as soon as the submit returns,
    before any worker ran. After the commit deliver_email travels through Redis to the worker,
    which sends the e-mail; no task ran eagerly in the test's thread, and dispatch_event is no
    longer used."""
    declaration = seed(NY_MOVE)
    with start_worker(broker_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)
        (notification,) = Notification.objects.filter(user__username="ny_head")
        assert wait_for(lambda: _sent_to("ny_head")), list(
            Delivery.objects.values_list("status", "attempts", "last_error")
        )
    assert [name for name, _ in celery_runs] == ["notifications.deliver_email"]
    assert all(not in_main for _, in_main in celery_runs), celery_runs
    assert notification.event == "task_created"
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]
    assert mail.outbox[0].subject == notification.title


def test_a_dispatch_event_message_queued_before_the_upgrade_is_still_handled_once(
    demo, broker_app, celery_results
):
    """A notifications.dispatch_event message from before notifications were written with the
    change arrives after it: the worker still knows the task and runs it, and it notifies
    nobody a second time (its notifications exist under the same idempotency key)."""
    declaration = seed(NY_MOVE)
    declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)
    assert wait_for(lambda: _sent_to("ny_head"), timeout=0) is False  # no worker yet
    with start_worker(broker_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert wait_for(lambda: _sent_to("ny_head"))
        dispatch_event.delay("task_created", {"task_id": open_task(declaration).pk})
        assert wait_for(lambda: ("notifications.dispatch_event", 0) in celery_results)
    assert Notification.objects.filter(user__username="ny_head").count() == 1
    assert Delivery.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]
