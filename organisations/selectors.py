"""Who holds which role where: reads that the rulebook and the notifications build on."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from organisations.memo import remembered
from organisations.models import Membership, Organisation


def active_memberships(user) -> list[Membership]:
    """The user's active roles, loaded once per user object."""
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_active_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.active()
            .filter(user=user)
            .select_related("organisation", "organisation__jurisdiction", "jurisdiction")
        )
        user._active_memberships = cached
    return cached


def members_with_role(role: str, organisation: Organisation | None) -> QuerySet:
    """The active users who hold the role, actively, in the organisation."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role=role,
            memberships__organisation=organisation,
        )
        .distinct()
        .order_by("pk")
    )


def role_holders(role: str, organisation: Organisation | None) -> list:
    """members_with_role as a list, read once per memo_scope (a service's transaction)."""
    return remembered(
        ("role_holders", role, organisation.pk if organisation is not None else None),
        lambda: list(members_with_role(role, organisation)),
    )
