"""Where the links in notifications point: the site the request that caused the notice came to
(whatever host and port serve it), else SITE_URL (the sweeps, the digest, any worker)."""

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

_request: ContextVar[HttpRequest | None] = ContextVar("notification_request", default=None)


def site_url() -> str:
    """The scheme, host and port links start with, without a trailing slash."""
    request = _request.get()
    if request is not None:
        try:
            return request.build_absolute_uri("/").rstrip("/")
        except DisallowedHost:  # a host outside ALLOWED_HOSTS never reaches a link
            pass
    return settings.SITE_URL.rstrip("/")


def absolute_link(path: str) -> str:
    """The address of a page of the site, for a notice or an e-mail."""
    return site_url() + path


class RequestSiteMiddleware:
    """Let the notices written during a request link to the site as that request reached it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
