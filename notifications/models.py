"""Notifications, their deliveries and each person's choice of channels."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    EMAIL = "email", _("电子邮件")


# What each notice is about, as the operator's lists name it (the event is stored as its code).
EVENT_LABELS = {
    "task_created": _("新的审核任务"),
    "urge": _("催办"),
    "reminder": _("到期提醒"),
    "escalation": _("逾期提醒"),
    "escalation_admin": _("逾期升级至管理员"),
    "task_withdrawn": _("任务已撤回"),
    "declaration_approved": _("申报表审批通过"),
    "declaration_rejected": _("申报表未通过"),
    "declaration_returned": _("申报表被退回"),
    "weekly_digest": _("每周待办摘要"),
}


def event_label(code: str) -> str:
    """A notice's event in words; an unknown code reads 其他通知, never the code."""
    return str(EVENT_LABELS.get(code, _("其他通知")))


class Notification(models.Model):
    """One message to one person about one event; unique per idempotency key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
        db_index=False,  # the (user, read_at) index leads with it
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
    # The review task the notice asks someone to act on; its notices are settled (read) once
    # nobody they reached needs to act any more.
    task = models.ForeignKey(
        "approval_workflow.ReviewTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核任务"),
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    show_in_app = models.BooleanField(_("站内显示"), default=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            # A person's list, newest first: an administrator told of every escalation had
            # 33,306, sorted on every page (46 ms; a page of the index instead).
            models.Index(
                fields=["user", "-created_at", "-id"],
                condition=models.Q(show_in_app=True),
                name="notification_user_latest",
            ),
        ]

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
