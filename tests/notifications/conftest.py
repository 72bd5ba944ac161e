"""Fixtures for the deadline, notification, escalation and digest tests.

`flow` drives declarations through the real services and, like a real commit, runs what they
register with transaction.on_commit: the services write notifications and pending e-mail
deliveries in their own transaction, and on commit hand the e-mails to the deliver_email task
(eager in tests), which sends them.
"""

import threading

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_postrun, task_prerun
from django.core import mail
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from config.celery import app
from notifications import delivery, digest, sweeps
from organisations.models import Role
from review import services as review
from review.services import declaration_submit
from tests import factories
from tests.notifications.helpers import (
    NY_DEPARTMENT,
    PASSWORD,
    open_task,
    preparer_of,
    reviewers_of,
    user,
)
from tests.servers import Inbox, free_port


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


class Flow:
    """The review services, each call committed as a request would be."""

    def __init__(self, capture):
        self._capture = capture

    def commit(self, fn, *args, **kwargs):
        """Call fn and then run the on_commit callbacks it registered, as a commit would."""
        with self._capture(execute=True):
            return fn(*args, **kwargs)

    def submit(self, declaration, username: str | None = None):
        """Submit as the unit's preparer; returns the first review task."""
        self.commit(
            declaration_submit,
            actor=user(username or preparer_of(declaration)),
            declaration_id=declaration.pk,
        )
        return open_task(declaration)

    def _actor_of(self, declaration, username):
        current = open_task(declaration)
        assert current is not None, f"no open task on {declaration}"
        if username is None:
            username = (
                current.owner.get_username()
                if current.owner_id
                else reviewers_of(declaration)[current.stage]
            )
        return current, user(username)

    def approve(self, declaration, username: str | None = None, opinion: str = "同意"):
        """Approve the open task; returns the next open task (None once the review ended)."""
        current, actor = self._actor_of(declaration, username)
        self.commit(review.task_approve, actor=actor, task_id=current.pk, opinion=opinion)
        return open_task(declaration)

    def return_(self, declaration, opinion: str = "请补充绩效指标的确定依据", to: str = "preparer"):
        current, actor = self._actor_of(declaration, None)
        self.commit(review.task_return, actor=actor, task_id=current.pk, opinion=opinion, to=to)
        return current

    def reject(self, declaration, opinion: str = "不符合专项资金支持范围"):
        current, actor = self._actor_of(declaration, None)
        self.commit(review.task_reject, actor=actor, task_id=current.pk, opinion=opinion)
        return current

    def urge(self, declaration, username: str | None = None):
        self.commit(
            review.declaration_urge,
            actor=user(username or preparer_of(declaration)),
            declaration_id=declaration.pk,
        )

    def sweep(self, now=None):
        return self.commit(sweeps.sweep_deadlines, now)

    def deliver_due(self, now=None):
        return self.commit(delivery.deliver_due, now)

    def send_digest(self, now=None):
        return self.commit(digest.send_weekly_digest, now)


@pytest.fixture
def flow(demo, django_capture_on_commit_callbacks) -> Flow:
    return Flow(django_capture_on_commit_callbacks)


@pytest.fixture
def web(demo):
    """web("ny_head") -> a browser-like client logged in with that demo account."""

    def _web(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD), username
        return client

    return _web


@pytest.fixture
def api(demo):
    """api("ny_preparer") -> an API client with that account's session."""

    def _api(username: str) -> APIClient:
        client = APIClient()
        assert client.login(username=username, password=PASSWORD), username
        return client

    return _api


def _member(username: str, role: str, organisation=None, jurisdiction=None):
    account = factories.UserFactory(username=username, first_name=username)
    account.set_password(PASSWORD)
    account.save()
    return factories.MembershipFactory(
        user=account, role=role, organisation=organisation, jurisdiction=jurisdiction
    ).user


@pytest.fixture
def second_ny_dept(demo):
    """A second reviewer in 南岳区's competent department: its tasks wait in a shared queue."""
    return _member("ny_dept2", Role.DEPARTMENT_REVIEWER, organisation=demo.org(NY_DEPARTMENT))


@pytest.fixture
def ny_dept_head(demo):
    """The head (部门负责人) of 南岳区's competent department."""
    return _member("ny_dept_head", Role.ORGANISATION_HEAD, organisation=demo.org(NY_DEPARTMENT))


@pytest.fixture
def ny_admin(demo):
    """An administrator of the 南岳区 jurisdiction only."""
    jurisdiction = demo.org(NY_DEPARTMENT).jurisdiction
    return _member("ny_admin", Role.ADMINISTRATOR, jurisdiction=jurisdiction)


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
