"""Time limits, the working-day calendar, and notifications."""

from django.conf import settings
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


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    EMAIL = "email", _("电子邮件")


class Notification(models.Model):
    """One message to one person about one event; unique per idempotency key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    event = models.CharField(_("事件"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    declaration = models.ForeignKey(
        "approvals.Declaration",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    show_in_app = models.BooleanField(_("站内显示"), default=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.title}"


class Delivery(models.Model):
    """Sending one notification over one channel; failures stay visible to administrators."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class Preference(models.Model):
    """Which channels a person wants notifications on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    in_app = models.BooleanField(_("站内通知"), default=True)
    email = models.BooleanField(_("电子邮件"), default=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.user}"
