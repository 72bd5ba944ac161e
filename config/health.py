"""/healthz: the state of the database, the cache and the broker, for load balancers and ops."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app

BROKER_TIMEOUT_SECONDS = 2.0


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def _check_cache() -> dict:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)
    return {"status": "ok", "backend": backend}


def _check_broker() -> dict:
    broker_url = settings.CELERY_BROKER_URL
    if not settings.CELERY_BROKER_CONFIGURED:
        return {"status": "ok", "mode": "in-process (no broker configured)"}
    with app.connection_for_write(broker_url) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return {"status": "ok", "mode": "broker"}


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def run_checks() -> tuple[bool, dict]:
    """Run every check; a failing one is reported with its error instead of raising."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    healthy = all(result["status"] == "ok" for result in results.values())
    return healthy, results


@never_cache
@require_GET
def healthz(request):
    healthy, results = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results},
        status=200 if healthy else 503,
    )
