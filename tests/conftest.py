"""Shared fixtures (the demo data, its seed declarations, second reviewers, logging in, web and
API clients, the review flow committed call by call, media), and the rule for tests that need a
real PostgreSQL or Redis.

Without the service such a test skips with the reason; with REQUIRE_SERVICES=1 (CI) a missing
service fails the run instead, so CI can never pass on skipped service tests.
"""

import importlib.util
import os
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from declarations.models import Declaration
from demo.data import load_demo
from organisations.models import Jurisdiction, Role
from tests import factories
from tests.declarations.helpers import EZ_PROJECT, NY_GRID, NY_RELOCATION, PASSWORD, PREPARER_OF
from tests.notifications.helpers import NY_DEPARTMENT, Flow, member
from tests.review.helpers import EZ
from tests.servers import RedisServer, free_port, redis_server_available


def _require(available: bool, reason: str) -> None:
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_broker_reachable(url: str | None) -> bool:
    if not url or not url.startswith("redis"):
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright downloads no browser here


def browser_available() -> bool:
    return importlib.util.find_spec("playwright") is not None and CHROMIUM.exists()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser"):
        _require(
            browser_available(),
            f"needs the playwright package and {CHROMIUM} (apt-get install -y chromium)",
        )
    if item.get_closest_marker("postgres"):
        _require(
            connection.vendor == "postgresql",
            f"needs PostgreSQL (DATABASE_URL points at {connection.vendor})",
        )
    if item.get_closest_marker("redis"):
        url = settings.TEST_BROKER_URL
        _require(
            redis_broker_reachable(url),
            f"needs a reachable Redis broker in CELERY_BROKER_URL (got {url!r})",
        )


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test sees an empty cache of its own: a shared Redis keeps keys between runs (failed
    login counters, say) and one test must not throttle the next."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(scope="session")
def audit_files(tmp_path_factory):
    """A signing key and an anchor store for the test run, never the project's var/."""
    return tmp_path_factory.mktemp("audit")


@pytest.fixture(autouse=True)
def isolated_audit_files(settings, audit_files, tmp_path):
    """Checkpoints are signed with the run's own key and anchored in the test's own directory:
    the database rolls back after each test, so anchors kept across tests would name
    checkpoints the next test's database never held."""
    settings.AUDIT_SIGNING_KEY = str(audit_files / "audit-signing.pem")
    settings.AUDIT_SIGNING_KEY_CREATE = True
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "audit-anchors")
    settings.AUDIT_WITNESS_URL = ""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo data, loaded once per test database: every test runs in a transaction that
    rolls its own changes back, so each one starts from the same demo data."""
    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def demo(db):
    """The demo organisations and accounts, as `load_demo` creates them. Tests that commit
    (transactional ones, which run last) empty the database afterwards: load it again then."""
    if not Jurisdiction.objects.exists():
        load_demo()
    return factories.DemoData()


@pytest.fixture
def seeds(demo) -> dict[str, Declaration]:
    """The three seed declarations that load_demo enters, by name."""
    return {name: Declaration.objects.get(name=name) for name in PREPARER_OF}


@pytest.fixture
def ez_project(seeds) -> Declaration:
    return seeds[EZ_PROJECT]


@pytest.fixture
def ny_relocation(seeds) -> Declaration:
    return seeds[NY_RELOCATION]


@pytest.fixture
def ny_grid(seeds) -> Declaration:
    return seeds[NY_GRID]


@pytest.fixture
def login(client):
    """Log the test client in as a demo account; returns the client."""

    def _login(username: str):
        client.logout()
        assert client.login(username=username, password=PASSWORD), username
        return client

    return _login


@pytest.fixture
def second_dept(demo):
    """A second department reviewer of 鄂州: department tasks then wait in a shared queue."""
    membership = factories.MembershipFactory(
        user=factories.UserFactory(username="ez_dept2", first_name="鄂州市主管部门审核人乙"),
        role=Role.DEPARTMENT_REVIEWER,
        organisation=demo.org(EZ.department),
    )
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user


@pytest.fixture
def flow(demo, django_capture_on_commit_callbacks) -> Flow:
    """The review services, each call committed as a request would be (see Flow)."""
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


@pytest.fixture
def second_ny_dept(demo):
    """A second reviewer in 南岳区's competent department: its tasks wait in a shared queue."""
    return member("ny_dept2", Role.DEPARTMENT_REVIEWER, organisation=demo.org(NY_DEPARTMENT))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def own_redis():
    """own_redis(port) starts a redis-server of the test's own (a free port if none is given),
    never the shared one; every server started is stopped after the test."""
    _require(redis_server_available(), "needs redis-server on PATH for a Redis of its own")
    servers = []

    def start(port: int | None = None) -> RedisServer:
        server = RedisServer(port or free_port()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
