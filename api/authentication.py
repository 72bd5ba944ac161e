"""API token authentication: django-rest-knox's, with the `Token` header prefix that clients
already send (REST_KNOX["AUTH_HEADER_PREFIX"])."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions


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
