"""Refused requests (403, and 404 for objects outside the caller's scope) are audited, whether
a service refused them (it audits itself and marks the exception) or a view refused before any
service ran. One function decides what the attempt was and writes the event."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from audit.models import AuditAction
from review.drafts import record_refusal
from review.models import ReviewTask

# url name (pages and API) -> what the caller was attempting
URL_ACTIONS = {
    "declaration_edit": AuditAction.EDIT,
    "declaration_submit": AuditAction.SUBMIT,
    "declaration_discard": AuditAction.EDIT,
    "declaration_copy": AuditAction.COPY,
    "declaration_withdraw": AuditAction.WITHDRAW,
    "declaration_comment": AuditAction.COMMENT,
    "declaration_urge": AuditAction.URGE,
    "declaration_export": AuditAction.EXPORT,
    "attachment_upload": AuditAction.ATTACH,
    "attachment_delete": AuditAction.DETACH,
    "declaration-submit": AuditAction.SUBMIT,
    "declaration-withdraw": AuditAction.WITHDRAW,
    "declaration-urge": AuditAction.URGE,
    "declaration-export": AuditAction.EXPORT,
    "declaration-detail": AuditAction.VIEW,
    "task-claim": AuditAction.CLAIM,
    "task-release": AuditAction.RELEASE,
    "task-approve": AuditAction.APPROVE,
    "task-return": AuditAction.RETURN,
    "task-reject": AuditAction.REJECT,
    "task-hand-over": AuditAction.HAND_OVER,
    "task-reassign": AuditAction.REASSIGN,
}
TASK_ACTIONS = {
    "claim": AuditAction.CLAIM,
    "release": AuditAction.RELEASE,
    "approve": AuditAction.APPROVE,
    "return": AuditAction.RETURN,
    "reject": AuditAction.REJECT,
    "hand_over": AuditAction.HAND_OVER,
    "reassign": AuditAction.REASSIGN,
}


def _target(match) -> tuple[str, int | None, dict]:
    """(action, declaration id, details) for the URL that was refused."""
    name = match.url_name or ""
    pk = match.kwargs.get("pk")
    pk = int(pk) if str(pk or "").isdigit() else None
    if name.startswith("task") and pk is not None:
        action = TASK_ACTIONS.get(
            match.kwargs.get("action", ""), URL_ACTIONS.get(name, AuditAction.VIEW)
        )
        declaration_id = (
            ReviewTask.objects.filter(pk=pk).values_list("declaration_id", flat=True).first()
        )
        return action, declaration_id, {"task": pk}
    return URL_ACTIONS.get(name, AuditAction.VIEW), pk, {}


def audit_refused_request(request, exception) -> None:
    """Audit a refused request unless a service already did."""
    if getattr(exception, "audited", False) or not isinstance(
        exception, Http404 | PermissionDenied
    ):
        return
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or match is None:
        return
    action, declaration_id, details = _target(match)
    if declaration_id is None and not details:
        return  # nothing of ours was addressed (an unknown URL)
    record_refusal(
        actor=user,
        action=action,
        refusal=exception,
        declaration_id=declaration_id,
        details={"method": request.method, "path": request.path[:300], **details},
    )
