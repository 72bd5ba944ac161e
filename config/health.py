"""/healthz: the state of the database, the cache and the broker, for load balancers and ops."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection

from config.celery import app

BROKER_TIMEOUT_SECONDS = 2.0
logger = logging.getLogger(__name__)


class CheckFailed(Exception):
    """A dependency answered, but not as it should."""


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def _check_cache() -> dict:
    backend_path = settings.CACHES["default"]["BACKEND"]
    if backend_path.startswith("django_redis."):
        # That backend ignores connection errors so that pages keep working: ask Redis itself.
        get_redis_connection("default").ping()
    backend = backend_path.rsplit(".", 1)[-1]
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise CheckFailed("cache did not return the value just written")
    cache.delete(key)
    return {"status": "ok", "backend": backend}


def _check_broker() -> dict:
    broker_url = settings.CELERY_BROKER_URL
    if not settings.CELERY_BROKER_CONFIGURED:
        return {"status": "ok", "mode": "in-process (no broker configured)"}
    with app.connection_for_write(broker_url) as conn:
        # One attempt: a retry only made every probe of a down broker wait two seconds more.
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return {"status": "ok", "mode": "broker"}


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def failure_reason(error: Exception) -> str:
    """A short reason for a failed check, free of the host names and ports error texts carry."""
    text = f"{type(error).__name__} {error}".lower()
    if isinstance(error, CheckFailed):
        return "读写结果不正确"
    if isinstance(error, TimeoutError) or "timeout" in text or "timed out" in text:
        return "连接超时"
    if isinstance(error, ConnectionError | OSError) or "connect" in text:
        return "无法连接"
    return "检查出错"


def run_checks() -> tuple[bool, dict]:
    """Run every check; a failing one is reported with a short reason instead of raising."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            # The full error, which names hosts and ports, goes to the log only.
            logger.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = {"status": "error", "error": failure_reason(exc)}
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
