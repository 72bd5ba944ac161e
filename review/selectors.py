"""Scoped reads: every list, page, export and API endpoint gets declarations from here."""

from django.http import Http404

from declarations.models import Declaration, DeclarationQuerySet
from organisations.models import Organisation, Role
from review.permissions import active_memberships, declaration_scope


def declarations_visible_to(user) -> DeclarationQuerySet:
    """All declarations the user may see, with their unit and department loaded."""
    return Declaration.objects.filter(declaration_scope(user)).with_related()


def declaration_for(user, pk, *, lock: bool = False) -> Declaration:
    """One declaration the user may see; 404 whether it is missing or outside their scope."""
    queryset = declarations_visible_to(user)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=pk)
    except (Declaration.DoesNotExist, ValueError, TypeError):
        raise Http404("申报表不存在。") from None


def units_prepared_by(user) -> list[Organisation]:
    """The reporting units the user may create declarations for."""
    return [
        m.organisation
        for m in active_memberships(user)
        if m.role == Role.PREPARER and m.organisation is not None
    ]


def filter_declarations(queryset, *, year=None, status=None, unit=None, stage=None, search=None):
    """Apply the list filters that the pages, the export and the API share."""
    if year:
        queryset = queryset.filter(fiscal_year=year)
    if status:
        queryset = queryset.filter(status=status)
    if unit:
        queryset = queryset.filter(reporting_unit=unit)
    if stage:
        queryset = queryset.filter(stage=stage)
    if search:
        queryset = queryset.filter(name__icontains=search)
    return queryset
