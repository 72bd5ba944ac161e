from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    # The label predates this package; viewflow stores flows as "approval_workflow/flows…".
    label = "approval_workflow"
    verbose_name = _("审批流程")
