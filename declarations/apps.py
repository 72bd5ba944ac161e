from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "declarations"
    # The app label and tables predate this package: they stay "approvals".
    label = "approvals"
    verbose_name = _("申报表")
