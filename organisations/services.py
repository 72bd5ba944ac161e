"""Granting, changing and revoking roles; every change is audited (who gave whom what, when)."""

from django.db import transaction

from audit.log import record_event
from audit.models import AuditAction
from organisations.models import Membership, Role


def _describe(membership: Membership) -> dict:
    return {
        "user": membership.user.get_username(),
        "role": membership.role,
        "organisation": membership.organisation.name if membership.organisation else "",
        "jurisdiction": membership.jurisdiction.name if membership.jurisdiction else "全部",
        "active": membership.is_active,
    }


def _audit(action: str, actor, membership: Membership, **details) -> None:
    record_event(
        action=action,
        actor=actor,
        role=Role.ADMINISTRATOR if actor is not None and actor.is_superuser else "",
        organisation=membership.organisation,
        details={**_describe(membership), **details},
    )


def membership_save(
    *, actor, membership: Membership, changed: list[str] | None = None
) -> Membership:
    """Grant a role (new membership) or change one, and audit it."""
    with transaction.atomic():
        created = membership.pk is None
        membership.save()
        _audit(
            AuditAction.ROLE_GRANT if created else AuditAction.ROLE_CHANGE,
            actor,
            membership,
            changed=sorted(changed or []),
        )
    return membership


def membership_delete(*, actor, membership: Membership) -> None:
    """Revoke a role, and audit it."""
    with transaction.atomic():
        _audit(AuditAction.ROLE_REVOKE, actor, membership)
        membership.delete()
