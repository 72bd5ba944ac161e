"""Scoped reads: every list, page, export and API endpoint gets declarations, tasks and audit
events from here, filtered by the rulebook's scopes."""

from django.db.models import QuerySet

from audit.models import AuditEvent, AuditResult
from declarations.models import Declaration, DeclarationQuerySet
from review import permissions
from review.models import OPEN_STATUSES, ReviewTask, ReviewTaskQuerySet
from review.permissions import VIEW_REFUSALS

TASK_VIEWS = ("inbox", "queue", "open", "done", "all")


def declarations_visible_to(user) -> DeclarationQuerySet:
    """All declarations the user may see, with their unit and department loaded."""
    return Declaration.objects.filter(permissions.declaration_scope(user)).with_related()


def tasks_for(user, *, view: str = "open", overdue: bool | None = None) -> ReviewTaskQuerySet:
    """Review tasks for the task list: mine, my queue's, done by me, or all I oversee."""
    tasks = ReviewTask.objects.reviews()
    candidate = permissions.candidate_task_scope(user)
    # Held tasks count only while the holder still has the role; done tasks only while the
    # declaration is still within the user's scope.
    mine = tasks.open().filter(candidate, owner=user)
    queue = tasks.filter(candidate, status="NEW", owner__isnull=True)
    if view == "inbox":
        tasks = mine
    elif view == "queue":
        tasks = queue
    elif view == "done":
        tasks = (
            tasks.filter(owner=user)
            .exclude(status__in=OPEN_STATUSES)
            .filter(declaration__in=Declaration.objects.filter(permissions.declaration_scope(user)))
        )
    elif view == "all":
        tasks = tasks.filter(permissions.oversight_task_scope(user)) | mine | queue
    else:
        tasks = mine | queue
    if overdue is not None:
        tasks = tasks.overdue() if overdue else tasks.not_overdue()
    return tasks.select_related(
        "declaration__reporting_unit", "candidate_organisation", "owner"
    ).order_by("due_at", "pk")


def declaration_history(user, declaration: Declaration) -> QuerySet:
    """The declaration's audit events; refused attempts only for auditors and administrators."""
    events = AuditEvent.objects.filter(declaration=declaration).order_by("at", "pk")
    if not permissions.ruling(user, VIEW_REFUSALS, declaration).allowed:
        events = events.exclude(result=AuditResult.REFUSED)
    return events


def stamps_for(declaration: Declaration) -> QuerySet:
    return declaration.stamps.select_related("organisation").order_by("stamped_at", "pk")


def audit_events_for(user) -> QuerySet:
    """The audit events an auditor or administrator may read: their jurisdictions'."""
    return AuditEvent.objects.filter(permissions.audit_scope(user))
