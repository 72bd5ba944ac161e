"""A request that waited too long for a database lock answers 503 with Retry-After, not 500.

On PostgreSQL a service waits at most DATABASE_LOCK_TIMEOUT for a declaration's row lock
(lock_timeout, SQLSTATE 55P03) and a statement may be cancelled by statement_timeout (57014);
on SQLite a writer waits as long for the database's write lock ("database is locked"). Either
way the transaction was rolled back and trying again shortly is the right answer.
"""

import logging

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from viewflow.workflow.exceptions import FlowLockFailed

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = (
    f"系统繁忙：其他操作正在处理同一数据，您的请求未能完成，请 {RETRY_AFTER_SECONDS} 秒后重试。"
)
POSTGRESQL_LOCK_STATES = {"55P03", "57014"}  # lock_not_available, query_canceled
SQLITE_LOCK_MESSAGES = ("database is locked", "database table is locked")


def is_lock_timeout(error: BaseException) -> bool:
    """Whether a database error means a lock was not granted in time, so a retry may succeed."""
    if isinstance(error, FlowLockFailed):
        return True
    if not isinstance(error, DatabaseError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in POSTGRESQL_LOCK_STATES:
        return True
    return any(text in str(error) for text in SQLITE_LOCK_MESSAGES)


def busy_response(request) -> HttpResponse:
    """503 with Retry-After: JSON {"detail": ...} under /api/, the 503 page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": MESSAGE}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        # Rendered without the request: its context processors would query the busy database.
        page = render_to_string("503.html", {"message": MESSAGE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Answer a lock timeout raised by a view (DRF re-raises what its handler does not know)
    with 503 and Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_lock_timeout(exception):
            return None
        logger.warning(
            "%s %s: database lock timeout (503): %s", request.method, request.path, exception
        )
        return busy_response(request)
