"""One review round of a declaration (a viewflow process), its tasks, and the time limits and
working-day calendar that set each task's due time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.managers import ProcessQuerySet, TaskQuerySet
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from declarations.stages import REVIEW_STAGES, Stage

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from declarations.models import Declaration
    from organisations.models import Organisation

# A task waits for someone while it is new (in the queue), assigned or started.
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意")
    RETURN_PREPARER = "return_preparer", _("退回填报单位")
    RETURN_PREVIOUS = "return_previous", _("退回上一环节")
    REJECT = "reject", _("不予通过")


class ReviewProcessQuerySet(ProcessQuerySet):
    def current_for(self, declaration) -> ReviewProcess | None:
        """The declaration's round now under review, if any."""
        return self.filter(declaration=declaration, status=PROCESS.NEW).order_by("-round").first()


# viewflow ships no types, so mypy's Django plugin cannot infer the fields of subclasses of its
# Process and Task: each field of ReviewProcess and ReviewTask states its type (what may be
# assigned, what is read back).
class ReviewProcess(Process):
    """One round of review of one declaration: from a submission to its outcome."""

    declaration: models.ForeignKey[Declaration, Declaration] = models.ForeignKey(
        "approvals.Declaration",
        on_delete=models.PROTECT,
        related_name="review_processes",
        verbose_name=_("申报表"),
    )
    round: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(_("轮次"))
    entry_stage: models.CharField[str, str] = models.CharField(_("进入环节"), max_length=16)
    submitted_by: models.ForeignKey[User, User] = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision: models.CharField[str, str] = models.CharField(
        _("最近决定"), max_length=16, choices=Decision.choices, blank=True
    )

    objects = ReviewProcessQuerySet.as_manager()
    if TYPE_CHECKING:
        # Django gives every model a default manager; the plugin adds it only where it sees a
        # Model base, and it needs it for the reverse relation Declaration.review_processes.
        _default_manager: ClassVar[models.Manager[ReviewProcess]]

    class Meta:
        verbose_name = _("审核流程")
        verbose_name_plural = _("审核流程")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "round"], name="review_process_one_per_round"
            )
        ]


# Each deadline level: its name, the time it is due, the flag saying it fired.
SWEEP_LEVELS = (
    ("remind", "remind_at", "reminded_at"),
    ("overdue", "due_at", "overdue_at"),
    ("escalate", "escalate_at", "escalated_at"),
)


def overdue_condition(now=None) -> models.Q:
    """Open and past its due time: the one definition of an overdue task."""
    return models.Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


class ReviewTaskQuerySet(TaskQuerySet):
    def reviews(self) -> ReviewTaskQuerySet:
        """Tasks of the review stages (the flow's other nodes make tasks too)."""
        return self.filter(stage__in=REVIEW_STAGES, declaration__isnull=False)

    def open(self) -> ReviewTaskQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None) -> ReviewTaskQuerySet:
        return self.filter(overdue_condition(now))

    def not_overdue(self, now=None) -> ReviewTaskQuerySet:
        return self.exclude(overdue_condition(now))


class ReviewTask(Task):
    """A task of the review flow; review tasks know their stage and who may take them."""

    declaration: models.ForeignKey[Declaration | None, Declaration | None] = models.ForeignKey(
        "approvals.Declaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_tasks",
    )
    stage: models.CharField[str, str] = models.CharField(
        _("环节"), max_length=16, blank=True, db_index=True
    )
    candidate_role: models.CharField[str, str] = models.CharField(
        _("候选角色"), max_length=24, blank=True
    )
    candidate_organisation: models.ForeignKey[Organisation | None, Organisation | None] = (
        models.ForeignKey(
            "organisations.Organisation",
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="+",
            verbose_name=_("候选组织"),
        )
    )
    due_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("办理期限"), null=True, blank=True, db_index=True
    )
    remind_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("提醒时间"), null=True, blank=True
    )
    escalate_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("升级时间"), null=True, blank=True
    )
    outcome: models.CharField[str, str] = models.CharField(_("办理结果"), max_length=16, blank=True)
    # Each deadline level fires once: the sweep that sets one of these is the one that notifies.
    reminded_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("已提醒"), null=True, blank=True
    )
    overdue_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("已标记逾期"), null=True, blank=True
    )
    escalated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("已升级至管理员"), null=True, blank=True
    )

    objects = ReviewTaskQuerySet.as_manager()
    if TYPE_CHECKING:
        # As on ReviewProcess: for the reverse relation Declaration.review_tasks.
        _default_manager: ClassVar[models.Manager[ReviewTask]]

    class Meta:
        verbose_name = _("审核任务")
        verbose_name_plural = _("审核任务")
        indexes = [
            models.Index(fields=["candidate_organisation", "candidate_role", "stage"]),
            # The deadline sweep's levels (notifications.sweeps): only open tasks whose level
            # has not fired, so its query never walks through finished or notified tasks.
            *(
                models.Index(
                    fields=[when],
                    condition=models.Q(outcome="", **{f"{flag}__isnull": True}),
                    name=f"review_task_{level}_due",
                )
                for level, when, flag in SWEEP_LEVELS
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# --- Time limits and the working-day calendar ---------------------------------------------

# Keyed by str: looked up with a task's stored stage.
DEFAULT_WORKING_DAYS: dict[str, int] = {Stage.UNIT_HEAD: 3}
DEFAULT_WORKING_DAYS_OTHER = 5


class StageTimeLimit(models.Model):
    """How many working days a stage has in one jurisdiction."""

    jurisdiction = models.ForeignKey(
        "organisations.Jurisdiction",
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
        db_table = "notifications_stagetimelimit"
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
        db_table = "notifications_calendarday"
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
