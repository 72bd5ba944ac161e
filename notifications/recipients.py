"""Who is told about what."""

from django.contrib.auth import get_user_model

from declarations.models import Declaration
from organisations.memo import remembered
from organisations.models import Organisation, OrganisationKind, Role
from organisations.selectors import role_holders

User = get_user_model()


def task_people(task) -> list:
    """The holder of a claimed task (while they still have the role), else its candidates."""
    candidates = list(role_holders(task.candidate_role, task.candidate_organisation))
    if task.owner_id and any(c.pk == task.owner_id for c in candidates):
        return [task.owner]
    return candidates


def task_candidates(task) -> list:
    return list(role_holders(task.candidate_role, task.candidate_organisation))


def _members(role: str, **membership) -> list:
    """Active users holding an active membership with this role and these attributes."""
    lookups = {f"memberships__{name}": value for name, value in membership.items()}
    return list(
        User.objects.filter(
            is_active=True, memberships__is_active=True, memberships__role=role, **lookups
        ).distinct()
    )


def organisation_heads(organisation: Organisation | None) -> list:
    """The heads of an organisation; a unit's head is its 单位负责人; sections fall back to the
    finance bureau's heads. No organisation, no heads. Read once per memo_scope."""
    if organisation is None:
        return []
    return remembered(("heads", organisation.pk), lambda: _heads(organisation))


def _heads(organisation: Organisation) -> list:
    role = Role.UNIT_HEAD if organisation.kind == OrganisationKind.UNIT else Role.ORGANISATION_HEAD
    heads = _members(role, organisation=organisation)
    if not heads and organisation.parent_id and organisation.kind != OrganisationKind.UNIT:
        return organisation_heads(organisation.parent)
    return heads


def jurisdiction_administrators(jurisdiction) -> list:
    """Administrators of the jurisdiction, or the site-wide ones when it has none (read once per
    memo_scope)."""
    return remembered(
        ("administrators", jurisdiction.pk),
        lambda: (
            _members(Role.ADMINISTRATOR, jurisdiction=jurisdiction)
            or _members(Role.ADMINISTRATOR, jurisdiction__isnull=True)
        ),
    )


def declaration_owners(declaration: Declaration, submitter=None) -> list:
    """Who prepared the declaration: its submitter, else the unit's preparers."""
    preparers = _members(Role.PREPARER, organisation=declaration.reporting_unit)
    if submitter is not None and any(p.pk == submitter.pk for p in preparers):
        return [submitter]
    return preparers


def unique(users) -> list:
    seen, result = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result
