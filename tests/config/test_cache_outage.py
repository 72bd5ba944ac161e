"""With the cache's Redis unreachable, people still log in and the API still answers; only
/healthz reports the outage, without naming internal hosts or ports."""

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.servers import free_port

pytestmark = pytest.mark.django_db

PASSWORD = "Demo@2026"


@pytest.fixture
def dead_cache_port(settings):
    """The production cache settings (django-redis and its options), pointed at a port where
    nothing listens."""
    port = free_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "perf",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    return port


def test_login_page_works_with_the_cache_down(demo, dead_cache_port, caplog):
    """The login page shows, ny_head logs in through it and lands on a page of theirs; the
    cache errors behind the login throttle are logged, not shown."""
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "ny_head", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(response["Location"], follow=True)
    assert home.status_code == 200
    assert home.wsgi_request.user.get_username() == "ny_head"
    assert any(
        record.name.startswith("django_redis") and record.levelno >= logging.WARNING
        for record in caplog.records
    )


def test_api_token_and_api_calls_work_with_the_cache_down(demo, dead_cache_port):
    """POST /api/auth/token/ returns a token, and an API call with it answers 200 (the per-user
    rate throttle, whose counts live in the cache, lets it through)."""
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": "ny_preparer", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listing = client.get("/api/declarations/")
    assert listing.status_code == 200, listing.content
    assert listing.json()["count"] >= 1


def test_healthz_names_the_cache_without_host_or_port(client, dead_cache_port, settings):
    """/healthz answers 503, marks the cache as the dependency in error with a short reason, and
    prints neither the cache's host nor its port."""
    settings.CELERY_BROKER_CONFIGURED = False
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["cache"] == {"status": "error", "error": "无法连接"}
    assert body["checks"]["database"]["status"] == "ok"
    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert str(dead_cache_port) not in text
