"""One review round of a declaration (a viewflow process), its tasks, and the time limits and
working-day calendar that set each task's due time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.managers import ProcessQuerySet, TaskQuerySet
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from declarations.labels import stage_label
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
    # What was submitted for this round (declarations.content.canonical_content), so that the
    # next round can show what changed. Empty for rounds submitted before it was kept.
    submitted_content: models.JSONField = models.JSONField(
        _("提交时的内容"), null=True, blank=True, editable=False
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
    return models.Q(open=True, due_at__lt=now or timezone.now())


class TaskState(models.TextChoices):
    """Where a review task stands, as its own row records it (viewflow's status and outcome in
    words): what the inbox, 已办 and the admin show and filter on."""

    QUEUED = "queued", _("待认领")
    HELD = "held", _("办理中")
    DONE = "done", _("已办")
    WITHDRAWN = "withdrawn", _("已撤回")


def task_state(status: str, owner_id: int | None) -> str:
    """The row's state for a viewflow status: canceled review tasks were withdrawn."""
    if status == STATUS.DONE:
        return TaskState.DONE
    if status in OPEN_STATUSES:
        return TaskState.HELD if owner_id else TaskState.QUEUED
    return TaskState.WITHDRAWN


# What the 已办 list filters on besides its holder (reviews(), the reviewer's queue): carried in
# its indexes, so that its page and its count read the index alone (on PostgreSQL; 40,000
# finished tasks counted in 9 ms instead of 56). The flow's own node tasks, held by nobody,
# are left out of them.
DONE_LIST_COLUMNS = ["candidate_organisation", "candidate_role", "declaration", "stage"]


class ReviewTaskQuerySet(TaskQuerySet):
    def reviews(self) -> ReviewTaskQuerySet:
        """Tasks of the review stages (the flow's other nodes make tasks too)."""
        return self.filter(stage__in=REVIEW_STAGES, declaration__isnull=False)

    def open(self) -> ReviewTaskQuerySet:
        """Waiting for a decision: read from the task's own row, which review.engine keeps
        equal to viewflow's status."""
        return self.filter(open=True)

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
    # No index of its own on the stage (five values) or the candidate organisation (the
    # queue index leads with it): every index is rewritten when the sweep marks a task.
    stage: models.CharField[str, str] = models.CharField(_("环节"), max_length=16, blank=True)
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
            db_index=False,
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

    # The inbox's own copy of what it filters and sorts on, so that its queries read this row
    # alone: viewflow's status and owner (kept equal by review.engine after every activation),
    # and the declaration's unit, department, year, budget and submitter (fixed while the round
    # runs: a declaration under review cannot be edited).
    open: models.BooleanField[bool, bool] = models.BooleanField(_("待办"), default=True)
    state: models.CharField[str, str] = models.CharField(
        _("状态"), max_length=16, choices=TaskState.choices, default=TaskState.QUEUED
    )
    holder: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办理人"),
    )
    arrived_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("到达时间"), null=True, blank=True
    )
    finished_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        _("办理时间"), null=True, blank=True
    )
    unit: models.ForeignKey[Organisation | None, Organisation | None] = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("填报单位"),
    )
    department: models.ForeignKey[Organisation | None, Organisation | None] = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("主管部门"),
    )
    fiscal_year: models.PositiveSmallIntegerField[int | None, int | None] = (
        models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    )
    budget: models.DecimalField[Decimal | None, Decimal | None] = models.DecimalField(
        _("金额（万元）"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    submitter: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
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
            # The inbox: a queue's open tasks and a reviewer's own open tasks, by due time.
            models.Index(
                fields=["candidate_organisation", "candidate_role", "due_at", "task_ptr"],
                condition=models.Q(open=True),
                name="review_task_open_queue",
            ),
            models.Index(
                fields=["holder", "due_at", "task_ptr"],
                condition=models.Q(open=True),
                name="review_task_open_holder",
            ),
            # The API's 已办 (status=done) keeps the list's default order, by due time.
            models.Index(
                fields=["holder", "due_at", "task_ptr"],
                include=DONE_LIST_COLUMNS,
                condition=models.Q(open=False, holder__isnull=False),
                name="review_task_done_holder_due",
            ),
            # A reviewer's finished tasks, latest first (finished_at DESC NULLS FIRST, the
            # keyset pages' order, which this index read backwards serves) or earliest first.
            models.Index(
                fields=["holder", "finished_at", "task_ptr"],
                include=DONE_LIST_COLUMNS,
                condition=models.Q(open=False, holder__isnull=False),
                name="review_task_done_holder_finish",
            ),
            # The deadline sweep's levels (notifications.sweeps): only open tasks whose level
            # has not fired, so its query never walks through finished or notified tasks (nor
            # the flow's own steps: 554,203 of 591,203 entries before they were left out).
            # With the pk after the time, a batch is the index's first rows in the sweep's order
            # (when, pk), however many tasks fall due at the same moment.
            *(
                models.Index(
                    fields=[when, "task_ptr"],
                    condition=models.Q(open=True, outcome="", **{f"{flag}__isnull": True}),
                    name=f"review_task_{level}_due",
                )
                for level, when, flag in SWEEP_LEVELS
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def stage_label(self) -> str:
        """The task's own stage in words (not the declaration's current one)."""
        return stage_label(self.stage)

    @property
    def decision_label(self) -> str:
        """What became of the task in words: the decision taken on it, or 已撤回."""
        if self.state == TaskState.WITHDRAWN:
            return str(TaskState.WITHDRAWN.label)
        if self.outcome in Decision.values:
            return str(Decision(self.outcome).label)
        return str(self.get_state_display())

    def save(self, *args, **kwargs) -> None:
        """viewflow saves a task whole each time it moves it on: the row's own copy of its
        status goes with that save. A save of chosen fields lists the copy's fields itself."""
        if kwargs.get("update_fields") is None:
            self.copy_status()
        super().save(*args, **kwargs)

    def copy_status(self) -> None:
        """Bring the row's own open, state, holder and finish time in line with viewflow's
        status, owner and finish time."""
        self.open = self.status in OPEN_STATUSES
        self.state = task_state(self.status, self.owner_id)
        self.holder_id = self.owner_id
        self.finished_at = self.finished

    def copy_declaration(self, declaration: Declaration, submitter_id: int | None) -> None:
        """Record what the inbox shows and filters on about the declaration under review."""
        self.unit_id = declaration.reporting_unit_id
        self.department_id = declaration.competent_department_id
        self.fiscal_year = declaration.fiscal_year
        self.budget = declaration.budget
        self.submitter_id = submitter_id
        self.arrived_at = self.created


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


# --- A reviewer's own opinion phrases ------------------------------------------------------------


class OpinionPhrase(models.Model):
    """An opinion a reviewer saved to pick again (常用意见); each person sees only their own."""

    MAX_LENGTH = 500

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="opinion_phrases",
        verbose_name=_("用户"),
    )
    text = models.CharField(_("意见"), max_length=MAX_LENGTH)
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("常用意见")
        verbose_name_plural = _("常用意见")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "text"], name="opinion_phrase_once_per_user")
        ]

    def __str__(self) -> str:
        return self.text[:40]
