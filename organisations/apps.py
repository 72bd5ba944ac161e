from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from organisations.names import user_full_name


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = _("组织与角色")

    def ready(self) -> None:
        # Registering a system check is what apps.ready is for (framework-demanded import).
        from organisations import tokens  # noqa: F401

        # Django's User writes "given family" (财二 李). Swapping in a user model of our own
        # would rewrite every table that points at users, so the model's own method is given
        # the Chinese order instead: the admin, the password e-mails, the templates and the
        # audit log (which sits below this app) all call it.
        get_user_model().get_full_name = user_full_name  # type: ignore[method-assign,assignment]
