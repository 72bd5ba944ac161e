from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("申报与审核")

    def ready(self):
        from approvals import api_tokens  # noqa: F401  (registers its system check)
