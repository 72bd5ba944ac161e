"""Signing in to the API: tokens (issue, list, revoke) and logging out."""

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from organisations import signin as login_throttle
from organisations import tokens as api_tokens
from organisations.signin import login_attempt_for


class TokenView(APIView):
    """Exchange a username and password for an API token (failed attempts are throttled)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        form = s.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username = form.validated_data["username"]
        attempt = login_attempt_for(request, username)
        user = authenticate(request, username=username, password=form.validated_data["password"])
        if user is None or not user.is_active:
            login_throttle.login_failure_record(attempt=attempt)
            raise serializers.ValidationError({"non_field_errors": ["用户名或密码不正确。"]})
        login_throttle.login_success_record(attempt=attempt, user_id=user.pk)
        return Response({"token": api_tokens.api_token_create(user=user)})


TOKEN_PREFIX_PATTERN = f"[0-9a-f]{{{CONSTANTS.TOKEN_KEY_LENGTH}}}"


@extend_schema_view(
    list=extend_schema(
        description="The caller's own unexpired API tokens, newest first: prefix, when issued, "
        "when they expire, and which one this request used (never a token itself).",
        tags=["auth"],
    ),
    destroy=extend_schema(
        description="Revoke one of the caller's own API tokens by its prefix (404 for any other).",
        parameters=[
            OpenApiParameter(
                "prefix", str, OpenApiParameter.PATH, pattern=f"^{TOKEN_PREFIX_PATTERN}$"
            )
        ],
        tags=["auth"],
    ),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens, listed by prefix and revoked one by one."""

    serializer_class = s.ApiTokenSerializer
    queryset = AuthToken.objects.none()
    filterset_class = None
    lookup_field = "token_key"
    lookup_url_kwarg = "prefix"
    lookup_value_regex = TOKEN_PREFIX_PATTERN

    def get_queryset(self):
        return api_tokens.api_tokens_of(self.request.user)

    def destroy(self, request, *args, **kwargs):
        api_tokens.api_token_revoke(user=request.user, prefix=kwargs["prefix"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """Log out of the API: revoke the token of this request (with a session, end the session)."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, AuthToken):
            api_tokens.api_token_revoke(user=request.user, prefix=request.auth.token_key)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every API token of the caller, wherever it is used."""

    @extend_schema(request=None, responses={200: s.RevokedSerializer}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return Response({"revoked": api_tokens.api_tokens_revoke_all(user=request.user)})
