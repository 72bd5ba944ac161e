"""Scoped reads of tasks and of the audit log."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent, AuditResult
from declarations.models import Declaration
from organisations.models import Role
from review.engine import OPEN_STATUSES, REVIEW_NODES
from review.models import ReviewTask
from review.permissions import (
    NOTHING,
    active_memberships,
    candidate_task_scope,
    declaration_scope,
    is_administrator_of,
    is_auditor_of,
)

TASK_VIEWS = ("inbox", "queue", "open", "done", "all")


def _oversight_scope(user) -> Q:
    """Auditors and administrators see every task of their jurisdiction(s)."""
    if user.is_superuser:
        return ~NOTHING
    scope = NOTHING
    for m in active_memberships(user):
        if m.role in (Role.AUDITOR, Role.ADMINISTRATOR):
            scope |= (
                ~NOTHING
                if m.jurisdiction_id is None
                else Q(declaration__reporting_unit__jurisdiction=m.jurisdiction_id)
            )
    return scope


def tasks_for(user, *, view: str = "open", overdue: bool | None = None) -> QuerySet:
    """Review tasks for the task list: mine, my queue's, done by me, or all I oversee."""
    tasks = ReviewTask.objects.filter(stage__in=REVIEW_NODES, declaration__isnull=False)
    open_ = Q(status__in=OPEN_STATUSES)
    candidate = candidate_task_scope(user)
    # Held tasks count only while the holder still has the role; done tasks only while the
    # declaration is still within the user's scope.
    mine = Q(owner=user) & candidate
    done = (
        Q(owner=user)
        & ~open_
        & Q(declaration__in=Declaration.objects.filter(declaration_scope(user)))
    )
    queue = Q(status="NEW", owner__isnull=True) & candidate
    if view == "inbox":
        tasks = tasks.filter(open_ & mine)
    elif view == "queue":
        tasks = tasks.filter(queue)
    elif view == "done":
        tasks = tasks.filter(done)
    elif view == "all":
        tasks = tasks.filter(_oversight_scope(user) | mine | queue)
    else:
        tasks = tasks.filter((open_ & mine) | queue)
    if overdue is not None:
        now = timezone.now()
        late = Q(due_at__lt=now) & open_
        tasks = tasks.filter(late) if overdue else tasks.exclude(late)
    return tasks.select_related(
        "declaration__reporting_unit", "candidate_organisation", "owner"
    ).order_by("due_at", "pk")


def task_for(user, pk) -> ReviewTask:
    from django.http import Http404

    from review.permissions import can_see_task

    task = (
        ReviewTask.objects.filter(pk=pk, declaration__isnull=False, stage__in=REVIEW_NODES)
        .select_related("declaration__reporting_unit", "candidate_organisation", "owner")
        .first()
    )
    if task is None or not can_see_task(user, task):
        raise Http404("任务不存在。")
    return task


def declaration_history(user, declaration: Declaration) -> QuerySet:
    """The declaration's audit events; refused attempts only for auditors and administrators."""
    events = AuditEvent.objects.filter(declaration=declaration).order_by("at", "pk")
    if not (is_auditor_of(user, declaration) or is_administrator_of(user, declaration)):
        events = events.exclude(result=AuditResult.REFUSED)
    return events


def stamps_for(declaration: Declaration) -> QuerySet:
    return declaration.stamps.select_related("organisation").order_by("stamped_at", "pk")


def audit_events_for(user) -> QuerySet:
    """The audit events an auditor or administrator may read: all of their jurisdictions'."""
    if not is_overseer(user):
        return AuditEvent.objects.none()
    if user.is_superuser or any(
        m.role in (Role.AUDITOR, Role.ADMINISTRATOR) and m.jurisdiction_id is None
        for m in active_memberships(user)
    ):
        return AuditEvent.objects.all()
    jurisdictions = [
        m.jurisdiction_id
        for m in active_memberships(user)
        if m.role in (Role.AUDITOR, Role.ADMINISTRATOR)
    ]
    return AuditEvent.objects.filter(
        Q(declaration__reporting_unit__jurisdiction__in=jurisdictions)
        | Q(organisation__jurisdiction__in=jurisdictions)
    )


def is_overseer(user) -> bool:
    return user.is_superuser or any(
        m.role in (Role.AUDITOR, Role.ADMINISTRATOR) for m in active_memberships(user)
    )
