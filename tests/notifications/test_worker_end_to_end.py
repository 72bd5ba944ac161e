"""End to end through the real Redis broker and a real Celery worker: a submission's dispatch
and its e-mail delivery both run in the worker, and the e-mail is sent."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from notifications.models import Delivery, Notification
from review.services import declaration_submit
from tests.notifications.helpers import NY_MOVE, seed, user

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_app(settings):
    """config.celery.app talking to the test broker, tasks no longer run eagerly."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=settings.TEST_BROKER_URL,
        result_backend=settings.TEST_BROKER_URL,
        task_always_eager=False,
    )
    app._pool = None
    app.loader.import_default_modules()
    app.control.purge()  # nothing left over from an earlier run
    yield app
    app.conf.update(**saved)
    app._pool = None


def _wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_worker_on_real_broker_delivers_the_new_task_notification(demo, broker_app, celery_runs):
    """The preparer submits; after the commit notifications.dispatch_event travels through Redis
    to the worker, which creates ny_head's notification and enqueues deliver_email, which the
    worker runs too: the Delivery is sent and the e-mail is in the outbox. Both tasks ran in the
    worker's thread, none eagerly in the test's."""
    declaration = seed(NY_MOVE)
    with start_worker(broker_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)

        def delivered():
            return Delivery.objects.filter(
                notification__user__username="ny_head", status=Delivery.Status.SENT
            ).exists()

        assert _wait_for(delivered), (
            list(Notification.objects.values_list("user__username", "event")),
            list(Delivery.objects.values_list("status", "attempts", "last_error")),
        )
    assert ("notifications.dispatch_event", False) in celery_runs
    assert ("notifications.deliver_email", False) in celery_runs
    assert all(not in_main for _, in_main in celery_runs), celery_runs
    (notification,) = Notification.objects.filter(user__username="ny_head")
    assert notification.event == "task_created"
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]
    assert mail.outbox[0].subject == notification.title
