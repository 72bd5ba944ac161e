"""/healthz reports each dependency and answers 503 when a configured one is down."""

import time

import pytest


@pytest.mark.django_db
def test_healthy_embedded_default(client, settings):
    settings.CELERY_BROKER_CONFIGURED = False
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["broker"]["mode"].startswith("in-process")


@pytest.mark.django_db
def test_unreachable_broker_gives_503(client, settings):
    """A broker that refuses connections is reported at once (one attempt, no retry), as an
    error with a short reason that names no address."""
    settings.CELERY_BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 1
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"] == {"status": "error", "error": "无法连接"}
    assert body["checks"]["database"]["status"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_unreachable_cache_gives_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["status"] == "error"


@pytest.mark.redis
@pytest.mark.django_db
def test_healthy_with_real_broker(client, settings):
    settings.CELERY_BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = settings.TEST_BROKER_URL
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"] == {"status": "ok", "mode": "broker"}
