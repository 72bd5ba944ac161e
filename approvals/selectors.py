"""Scoped reads: every list, page, export and API endpoint gets declarations from here."""

from django.conf import settings
from django.db import connection
from django.http import Http404

from approvals.models import Declaration, Organisation, Role
from approvals.models.declarations import DeclarationQuerySet
from approvals.permissions import active_memberships, declaration_scope


def declarations_visible_to(user) -> DeclarationQuerySet:
    """All declarations the user may see, with their unit and department loaded."""
    return Declaration.objects.filter(declaration_scope(user)).with_related()


def bound_lock_wait() -> None:
    """Wait at most DATABASE_LOCK_TIMEOUT for row locks in this transaction (PostgreSQL; SQLite
    has its busy timeout); past it the request answers 503 with Retry-After (config.busy)."""
    if connection.vendor != "postgresql":
        return
    milliseconds = max(1, round(settings.DATABASE_LOCK_TIMEOUT * 1000))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])


def declaration_for(user, pk, *, lock: bool = False) -> Declaration:
    """One declaration the user may see; 404 whether it is missing or outside their scope."""
    queryset = declarations_visible_to(user)
    if lock:
        bound_lock_wait()
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
