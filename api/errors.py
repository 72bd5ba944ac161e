"""API errors: the services' exceptions as HTTP statuses, with messages in Chinese."""

from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import refusal_for
from organisations.signin import TooManyFailures
from review.errors import (
    AlreadyHandled,
    OpinionRequired,
    StaleDeclaration,
    SubmitRejected,
    UrgeTooSoon,
)
from review.permissions import NotAllowed


class TooManyRequests(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "请求过于频繁，请稍后再试。"
    default_code = "throttled"

    def __init__(self, detail: str, wait: int):
        super().__init__(detail)
        self.wait = wait


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "该任务已被处理。"
    default_code = "conflict"


def _validation_payload(errors) -> dict:
    payload = dict(errors.as_dict()["fields"])
    payload.update({f"{table}": messages for table, messages in errors.as_dict()["tables"].items()})
    rows = errors.as_dict()["rows"]
    for table, by_index in rows.items():
        payload.setdefault(f"{table}_rows", {}).update({str(i): m for i, m in by_index.items()})
    if errors.general:
        payload["non_field_errors"] = list(errors.general)
    return payload


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到。")
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, AlreadyHandled | StaleDeclaration):
        exc = Conflict(getattr(exc, "message", str(exc)))
    elif isinstance(exc, OpinionRequired):
        exc = exceptions.ValidationError({"opinion": [exc.message]})
    elif isinstance(exc, SubmitRejected):
        exc = exceptions.ValidationError(_validation_payload(exc.errors))
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, SuspiciousOperation | MultiPartParserError):
        # A body read before the parsers, by the session's CSRF check: answered as they would.
        exc = refusal_for(exc)
    elif isinstance(exc, UrgeTooSoon | TooManyFailures):
        exc = TooManyRequests(exc.message, exc.retry_after)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, TooManyRequests) and response is not None:
        response["Retry-After"] = str(exc.wait)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response if response is not None else None


def error_response(message: str, code: int) -> Response:
    return Response({"detail": message}, status=code)
