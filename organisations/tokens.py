"""API tokens (django-rest-knox): issued by the token endpoint and `create_api_token`, listed and
revoked by their owner, revoked all at once when the owner's password changes.

Knox keeps only a digest of each token and its first characters (the prefix, `token_key`), by
which a token is shown and revoked. A token expires after REST_KNOX["TOKEN_TTL"] without use.
"""

from django.core import checks
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from knox.models import AuthToken

REVOKER = "organisations.tokens.RevokeApiTokensOnPasswordChange"


def api_tokens_of(user) -> QuerySet[AuthToken]:
    """The user's unexpired tokens, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


@transaction.atomic
def api_token_create(*, user) -> str:
    """Issue a new token for the user; returns the token itself, which is never shown again."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    _instance, token = AuthToken.objects.create(user=user)
    return token


@transaction.atomic
def api_token_revoke(*, user, prefix: str) -> None:
    """Revoke one of the user's own tokens by its prefix; Http404 if the user has none such."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=prefix).delete()
    if not deleted:
        raise Http404


@transaction.atomic
def api_tokens_revoke_all(*, user) -> int:
    """Revoke every token of the user; returns how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


class RevokeApiTokensOnPasswordChange:
    """An AUTH_PASSWORD_VALIDATORS entry that validates nothing: Django calls its
    password_changed() whenever a new password is saved for a user.

    That is the one place every path meets (the admin, `manage.py changepassword`, the password
    change and reset pages, set_password() then save()), and it is not called when a login merely
    re-hashes the same password with a newer hasher, which a pre_save comparison of the hash would
    mistake for a change. An unusable password (password login disabled) keeps the tokens: that is
    how an account meant only for the API is set up; deactivating the account stops its tokens.
    """

    def validate(self, password, user=None) -> None:
        """Accept every password: this entry only listens for changes."""

    def password_changed(self, password, user=None) -> None:
        """Revoke every API token of the user whose password was just changed."""
        if user is not None and user.pk is not None:
            api_tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        """Shown with the password rules on password forms."""
        return "修改密码后，该账号的全部 API 令牌都将失效。"


@checks.register(checks.Tags.security)
def check_tokens_revoked_on_password_change(app_configs=None, **kwargs):
    """A settings module that replaces AUTH_PASSWORD_VALIDATORS must keep the revoker."""
    from django.conf import settings

    names = [entry.get("NAME") for entry in settings.AUTH_PASSWORD_VALIDATORS]
    if REVOKER in names:
        return []
    return [
        checks.Error(
            "API tokens would survive password changes.",
            hint=f"Keep {{'NAME': '{REVOKER}'}} in AUTH_PASSWORD_VALIDATORS.",
            id="organisations.E001",
        )
    ]
