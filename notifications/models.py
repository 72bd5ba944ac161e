"""Time limits, the working-day calendar, and notifications."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.models import Stage

DEFAULT_WORKING_DAYS = {Stage.UNIT_HEAD: 3}
DEFAULT_WORKING_DAYS_OTHER = 5


class StageTimeLimit(models.Model):
    """How many working days a stage has in one jurisdiction."""

    jurisdiction = models.ForeignKey(
        "approvals.Jurisdiction",
        on_delete=models.CASCADE,
        related_name="time_limits",
        verbose_name=_("财政辖区"),
    )
    stage = models.CharField(
        _("环节"),
        max_length=16,
        choices=[c for c in Stage.choices if c[0] != Stage.SUBMISSION],
    )
    working_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    escalate_after_days = models.PositiveSmallIntegerField(
        _("二次升级（逾期后工作日）"),
        default=2,
        help_text=_("逾期后再过多少个工作日，升级给辖区管理员。"),
    )

    class Meta:
        verbose_name = _("环节办理时限")
        verbose_name_plural = _("环节办理时限")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "stage"], name="time_limit_once_per_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.get_stage_display()} {self.working_days}"


class CalendarDay(models.Model):
    """An exception to the working-day rule: a public holiday, or a 调休 working weekend day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("节假日（休息）")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
