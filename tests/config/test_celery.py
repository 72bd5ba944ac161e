"""A task travels through the real Redis broker to a real worker and its result comes back."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app, ping


@pytest.fixture
def broker_app(settings):
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(
        broker_url=settings.TEST_BROKER_URL,
        result_backend=settings.TEST_BROKER_URL,
        task_always_eager=False,
    )
    app._pool = None
    yield app
    app.conf.update(
        broker_url=saved["broker_url"],
        result_backend=saved["result_backend"],
        task_always_eager=saved["task_always_eager"],
    )
    app._pool = None


def test_app_is_configured_for_reliable_delivery():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert "config.ping" in app.tasks


@pytest.mark.redis
def test_round_trip_through_real_broker_and_worker(broker_app):
    with start_worker(broker_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        result = ping.delay()
        assert result.get(timeout=20) == "pong"
        assert result.status == "SUCCESS"
