"""Fixtures for the notification, escalation and digest tests: Celery signals, heads and
administrators, a real SMTP server, a broker of the test's own or a dead one, a week of history.

`flow` (tests/conftest.py) drives declarations through the real services and, like a real
commit, runs what they register with transaction.on_commit: the services write notifications and
pending e-mail deliveries in their own transaction, and on commit hand the e-mails to the
deliver_email task (eager in tests), which sends them.
"""

import threading

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_postrun, task_prerun
from django.core import mail
from django.core.cache import cache

from config.celery import app
from declarations.models import Stage
from notifications import delivery
from organisations.models import Role
from review.drafts import declaration_copy
from tests.notifications.helpers import (
    FRIDAY,
    NY_DEPARTMENT,
    NY_GRID,
    NY_MOVE,
    at,
    member,
    seed,
    user,
)
from tests.servers import Blackhole, Inbox, free_port


@pytest.fixture(autouse=True)
def _clean_cache_and_outbox():
    """Login throttles keep counters in the cache; the locmem outbox is process-wide."""
    cache.clear()
    mail.outbox = []
    yield
    cache.clear()


@pytest.fixture
def celery_runs():
    """(task name, ran in the main thread?) of every Celery task that starts during the test."""
    ran = []

    def record(sender=None, **_):
        ran.append((sender.name, threading.current_thread() is threading.main_thread()))

    task_prerun.connect(record, weak=False)
    yield ran
    task_prerun.disconnect(record)


@pytest.fixture
def celery_results():
    """(task name, return value) of every Celery task that finishes during the test."""
    finished = []

    def record(sender=None, retval=None, **_):
        finished.append((sender.name, retval))

    task_postrun.connect(record, weak=False)
    yield finished
    task_postrun.disconnect(record)


@pytest.fixture
def ny_dept_head(demo):
    """The head (部门负责人) of 南岳区's competent department."""
    return member("ny_dept_head", Role.ORGANISATION_HEAD, organisation=demo.org(NY_DEPARTMENT))


@pytest.fixture
def ny_admin(demo):
    """An administrator of the 南岳区 jurisdiction only."""
    jurisdiction = demo.org(NY_DEPARTMENT).jurisdiction
    return member("ny_admin", Role.ADMINISTRATOR, jurisdiction=jurisdiction)


@pytest.fixture
def smtp_port(settings):
    """Django sends through the SMTP backend to 127.0.0.1:<port>, where nothing listens yet."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def smtp_server(smtp_port):
    """start() brings up a real SMTP server on the port (optionally with a handler of the test's
    own); it is stopped after the test."""
    controllers = []

    def start(handler=None) -> Inbox:
        handler = handler or Inbox()
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def _reset_broker_connections() -> None:
    """Forget pooled broker connections (as Celery does after a fork), the result backend made
    for the previous URL, and any recent broker failure."""
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    delivery.BrokerPause.end()


@pytest.fixture
def broker(monkeypatch):
    """broker(url) points config.celery.app at that broker with tasks no longer run eagerly, as
    in production; the test settings are restored after the test."""
    # Celery reads these variables before its configuration: they would win over the url.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}

    def use(url: str):
        app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
        _reset_broker_connections()
        return app

    yield use
    app.conf.update(**saved)
    _reset_broker_connections()


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


@pytest.fixture
def week(flow, time_machine, ny_dept_head):
    """One week of history at 南岳区's unit (reviewed by ny_head at the unit-head stage):

    - Mon 03-02 09:00 three declarations submitted (due Thu 03-05 09:00);
    - Wed 03-04 09:00 NY_MOVE approved after 48 hours (it waits at the department now);
    - Thu 03-05 09:00 a 2021 copy of NY_MOVE returned after 72 hours;
    - NY_GRID left waiting: overdue by Friday.
    """
    move, grid = seed(NY_MOVE), seed(NY_GRID)
    time_machine.move_to(at(2026, 3, 2, 8), tick=False)
    copy = declaration_copy(actor=user("ny_preparer"), source_id=move.pk, fiscal_year=2021)
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    for declaration in (move, grid, copy):
        flow.submit(declaration)
    time_machine.move_to(at(2026, 3, 4, 9), tick=False)
    department_task = flow.approve(move)
    assert department_task.stage == Stage.DEPARTMENT
    time_machine.move_to(at(2026, 3, 5, 9), tick=False)
    flow.return_(copy, opinion="请补充年度目标")
    time_machine.move_to(FRIDAY, tick=False)
    mail.outbox = []
    return copy
