"""Fixtures for the API tests: token clients, an empty cache (the seed declarations and media
are in tests/conftest.py)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.helpers import token_client


@pytest.fixture(autouse=True)
def _empty_cache(settings, worker_id):
    """Login throttling and API throttles keep their counters in the cache: each test gets an
    empty in-process cache of its own, so that a shared Redis (REDIS_URL in CI) and parallel
    workers (pytest -n) neither leak counters between tests nor get flushed by them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-tests-{worker_id}",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(demo):
    """api("ny_preparer") -> an APIClient authenticated with that account's API token."""
    clients = {}

    def _api(username: str):
        if username not in clients:
            clients[username] = token_client(username)
        return clients[username]

    return _api


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
