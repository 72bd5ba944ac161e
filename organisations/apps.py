from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = _("组织与角色")

    def ready(self) -> None:
        # Registering a system check is what apps.ready is for (framework-demanded import).
        from organisations import tokens  # noqa: F401
