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


def test_no_task_outlives_its_visibility_timeout_and_sending_never_waits():
    """A message a worker has taken waits at most for the task before it (one prefetched per
    process) and then runs: both end at their hard time limit, within the visibility timeout,
    so Redis never hands a running task to a second worker. The soft limit comes first so that
    a task can stop cleanly. Sending a task neither retries an unreachable broker nor stores a
    result; only the ping of the round-trip test keeps its result."""
    options = app.conf.broker_transport_options
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert 2 * app.conf.task_time_limit <= options["visibility_timeout"]
    assert options["visibility_timeout"] == 900
    assert options["max_retries"] == 0
    assert options["socket_connect_timeout"] < 1
    assert app.conf.task_publish_retry is False
    assert app.conf.task_ignore_result is True
    assert app.tasks["config.ping"].ignore_result is False


@pytest.mark.redis
def test_round_trip_through_real_broker_and_worker(broker_app):
    with start_worker(broker_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        result = ping.delay()
        assert result.get(timeout=20) == "pong"
        assert result.status == "SUCCESS"
