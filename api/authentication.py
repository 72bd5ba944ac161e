"""API authentication: django-rest-knox's tokens, with the `Token` header prefix that clients
already send (REST_KNOX["AUTH_HEADER_PREFIX"]), and a signed-in browser's session."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import authentication, exceptions

MSG_CSRF_FAILED = "安全校验未通过：请刷新页面后重试；程序调用请使用 API 令牌。"


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox token authentication that answers 401, not 500, to a token that is not UTF-8."""

    def authenticate_credentials(self, token: bytes):
        """The user and token for a token sent in the Authorization header."""
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        """Whether the token has expired (then it is deleted). Knox also loads and checks every
        other token of the user on every request; expired ones are instead removed when the user
        gets a new token (organisations.tokens.api_token_create)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme: `Authorization: Token <token>`."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        """An API key in the Authorization header, after the `Token` prefix."""
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose failed CSRF check says so in Chinese (DRF's message
    is English: "CSRF Failed: CSRF cookie not set.")."""

    def enforce_csrf(self, request):
        """Django's CSRF check on an unsafe request from a signed-in browser."""
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(MSG_CSRF_FAILED) from None


class ChineseSessionScheme(SessionScheme):
    """The session cookie in the schema, as for DRF's own class."""

    target_class = SessionAuthentication
