"""Notifications: who hears about what, urging, and marking read."""

from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from approvals.permissions import NotAllowed
from approvals.review import AlreadyHandled, lock_declaration
from approvals.selectors import declaration_for
from approvals.services import acting_for_unit, refusals_audited
from notifications.events import publish
from notifications.models import Notification
from workflow import engine
from workflow.audit import record_event
from workflow.models import AuditAction, AuditEvent, AuditResult

URGE_INTERVAL = timedelta(hours=24)


class UrgeTooSoon(Exception):
    """The current stage was urged less than 24 hours ago (HTTP 429)."""

    def __init__(self, next_allowed):
        local = timezone.localtime(next_allowed)
        super().__init__(f"24小时内已催办过，请于 {local:%Y-%m-%d %H:%M} 之后再催办。")
        self.message = str(self)
        self.retry_after = max(1, int((next_allowed - timezone.now()).total_seconds()))


def notify_event(*, event: str, payload: dict) -> int:
    """Create the notifications an event calls for; returns how many were created."""
    return 0


def declaration_urge(*, actor, declaration_id: int) -> None:
    """The submitter urges (催办) the stage now holding the declaration, once per 24 hours."""
    with (
        refusals_audited(actor=actor, action=AuditAction.URGE, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration_for(actor, declaration_id)
        declaration = lock_declaration(declaration_id)
        process = engine.current_process(declaration)
        if process is None or process.submitted_by_id != actor.pk:
            raise NotAllowed("只有提交人可以催办。")
        task = engine.open_task(process)
        if task is None:
            raise AlreadyHandled("申报表当前没有待办的审核环节。")
        last = (
            AuditEvent.objects.filter(
                declaration_id=declaration.pk, action=AuditAction.URGE, result=AuditResult.OK
            )
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        if last and timezone.now() - last < URGE_INTERVAL:
            raise UrgeTooSoon(last + URGE_INTERVAL)
        acting = acting_for_unit(actor, declaration.reporting_unit)
        record_event(
            action=AuditAction.URGE,
            actor=actor,
            declaration=declaration,
            stage=task.stage,
            role=acting.role,
            organisation=acting.organisation,
            details={"task": task.pk},
        )
        publish("urge", task_id=task.pk, actor_id=actor.pk)


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise Http404("通知不存在。")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark all the user's notifications read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
