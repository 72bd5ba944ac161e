"""The request context the audit log records: the client's address."""

import ipaddress

from django.conf import settings

from audit.log import current_ip


def normalised_ip(value: str | None) -> str | None:
    """A valid IP address in canonical form, or None."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address; behind a trusted proxy, the address that proxy saw (the last
    X-Forwarded-For entry: earlier ones are whatever the client chose to send)."""
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return normalised_ip(forwarded.split(",")[-1])
    return normalised_ip(request.META.get("REMOTE_ADDR"))


class AuditContextMiddleware:
    """Make the client's address available to the audit log for the length of a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
