"""Scoped reads: every list, page, export and API endpoint gets declarations, tasks and audit
events from here, filtered by the rulebook's scopes."""

import base64
import json
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from audit.models import AuditEvent, AuditResult
from declarations.ids import MAX_ID
from declarations.models import Declaration, DeclarationQuerySet, DeclarationStatus
from review import permissions
from review.models import ReviewTask, ReviewTaskQuerySet
from review.permissions import VIEW_REFUSALS

TASK_VIEWS = ("inbox", "queue", "open", "done", "all")


def declarations_visible_to(user) -> DeclarationQuerySet:
    """All declarations the user may see, with their unit and department loaded."""
    return Declaration.objects.filter(permissions.declaration_scope(user)).with_related()


def tasks_for(user, *, view: str = "open", overdue: bool | None = None) -> ReviewTaskQuerySet:
    """Review tasks for the task list: mine and my queue's (open), mine only (inbox), my queue's
    (queue), those I decided (done), or all I oversee (all). Every filter reads the task's own
    row (its partial indexes), never viewflow's task table."""
    tasks = ReviewTask.objects.reviews()
    # Held tasks count only while the holder still has the role.
    waiting = tasks.filter(permissions.candidate_task_scope(user), open=True)
    mine_or_queue = Q(holder=user.pk) | Q(holder__isnull=True)
    if view == "inbox":
        tasks = waiting.filter(holder=user.pk)
    elif view == "queue":
        tasks = waiting.filter(holder__isnull=True)
    elif view == "done":
        tasks = tasks.filter(permissions.decided_task_scope(user))
    elif view == "all":
        tasks = tasks.filter(
            permissions.oversight_task_scope(user)
            | (permissions.candidate_task_scope(user) & Q(open=True) & mine_or_queue)
        )
    else:
        tasks = waiting.filter(mine_or_queue)
    if overdue is not None:
        tasks = tasks.overdue() if overdue else tasks.not_overdue()
    return tasks.select_related(*TASK_ROW_RELATED).order_by("due_at", "pk")


# What a row of the task list shows (the API's serializer reads the declaration's unit and the
# viewflow owner too).
TASK_ROW_RELATED = (
    "declaration__reporting_unit",
    "unit",
    "department",
    "holder",
    "submitter",
    "candidate_organisation",
    "owner",
)

# What the API's task list reads of each task (api.serializers.TaskSerializer and the rulebook's
# allowed actions): the declaration and its unit, the queue's organisation, viewflow's owner.
TASK_API_RELATED = ("declaration__reporting_unit", "candidate_organisation", "owner")


def task_api_rows(tasks: QuerySet) -> QuerySet:
    """The tasks with only the related rows the API's list shows (not the inbox page's unit,
    department, holder and submitter: four joins and four objects a row fewer)."""
    return tasks.select_related(None).select_related(*TASK_API_RELATED)


# What the inbox page shows of each task: its own row and the names it links to. Reading only
# these keeps viewflow's task table and the declaration's long texts out of the page's query.
INBOX_ROW_FIELDS = (
    "stage",
    "due_at",
    "open",
    "state",
    "outcome",
    "arrived_at",
    "finished_at",
    "fiscal_year",
    "budget",
    "declaration",
    "declaration__name",
    "unit",
    "unit__name",
    "holder",
    "holder__username",
    "holder__first_name",
    "holder__last_name",
    "submitter",
    "submitter__username",
    "submitter__first_name",
    "submitter__last_name",
)


def inbox_rows(tasks: QuerySet) -> QuerySet:
    """The tasks with only what a row of the inbox page shows."""
    return (
        tasks.select_related(None)
        .select_related("declaration", "unit", "holder", "submitter")
        .only(*INBOX_ROW_FIELDS)
    )


BADGE_CAP = 99


def open_task_count(user) -> int:
    """How many tasks wait for the user (mine and my queue's), counted up to BADGE_CAP + 1 so
    the menu's badge costs the same however long the queue is. Counted once per user object
    (one request), however many places show it."""
    cached = getattr(user, "_open_task_count", None)
    if cached is None:
        cached = user._open_task_count = capped_count(tasks_for(user), BADGE_CAP)
    return cached


def badge(count: int) -> str:
    """A menu badge for a capped count: "" for none, "99+" past the cap."""
    return f"{BADGE_CAP}+" if count > BADGE_CAP else (str(count) if count else "")


def open_task_badge(user) -> str:
    """The menu's count of waiting tasks."""
    return badge(open_task_count(user))


# What a row of the declaration list shows: reading only these keeps the long texts (summary,
# basis, measures) out of the list's query.
DECLARATION_ROW_FIELDS = (
    "fiscal_year",
    "name",
    "kind",
    "budget",
    "status",
    "stage",
    "pending_input",
    "updated_at",
    "reporting_unit",
    "reporting_unit__name",
)


def declaration_rows(declarations: QuerySet) -> QuerySet:
    """The declarations with only what a row of the list page shows."""
    return (
        declarations.select_related(None)
        .select_related("reporting_unit")
        .only(*DECLARATION_ROW_FIELDS)
    )


def declarations_started_by(user) -> DeclarationQuerySet:
    """我发起的: every declaration of the units the user prepares for or heads, latest first."""
    return (
        Declaration.objects.filter(reporting_unit__in=permissions.own_units(user))
        .exclude(status=DeclarationStatus.DRAFT, review_round=0)
        .with_related()
        .order_by("-updated_at", "-pk")
    )


def waiting_tasks_of(declarations) -> dict[int, ReviewTask]:
    """The open review task of each declaration (where it stands), by declaration id."""
    tasks = (
        ReviewTask.objects.reviews()
        .filter(declaration__in=[d.pk for d in declarations], open=True)
        .select_related("holder", "candidate_organisation")
    )
    return {task.declaration_id: task for task in tasks if task.declaration_id is not None}


# --- Keyset pagination ---------------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list read by keyset: its rows and the cursors of its neighbours."""

    rows: list
    next_cursor: str = ""
    previous_cursor: str = ""
    first: bool = True


def _plain(value):
    """A sort value as JSON holds it (read back by its field's to_python)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _encode(payload: list) -> str:
    raw = json.dumps(payload, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str):
    """The cursor's JSON; ValueError when it is not base64 JSON."""
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _typed(field, value):
    """A cursor's value as its column holds it, within the column's range (e.g. a smallint
    year); ValidationError otherwise."""
    value = field.to_python(value)
    field.run_validators(value)
    return value


def _cursor(value, pk: int, direction: str) -> str:
    return _encode([direction, _plain(value), pk])


def _read_cursor(cursor: str, field) -> tuple[str, object, int] | None:
    """The cursor's direction, sort value and row id; None when it is not one of ours."""
    try:
        direction, value, pk = _decode(cursor)
        if direction not in ("after", "before") or not isinstance(pk, int):
            return None
        if not 0 < pk <= MAX_ID:  # beyond any id (and any database integer)
            return None
        return direction, (None if value is None else _typed(field, value)), pk
    except (ValueError, TypeError, ValidationError):
        return None


# Empty sort values count as larger than any other, as PostgreSQL orders them: last going up,
# first going down. A descending page is then an ascending one read backwards, so one index in
# either direction serves both (with "nulls last" both ways, a descending page sorted every row
# the filter matched).


def _beyond(name: str, value, pk: int, *, ascending: bool) -> Q:
    """Rows after (value, pk) in `name` order, then by id in the same direction."""
    if not ascending:
        return _before(name, value, pk, ascending=True)
    if value is None:
        return Q(**{f"{name}__isnull": True, "pk__gt": pk})
    return (
        Q(**{f"{name}__gt": value})
        | Q(**{name: value, "pk__gt": pk})
        | Q(**{f"{name}__isnull": True})
    )


def _before(name: str, value, pk: int, *, ascending: bool) -> Q:
    """Rows before (value, pk) in the same order: the mirror of _beyond."""
    if not ascending:
        return _beyond(name, value, pk, ascending=True)
    if value is None:
        return Q(**{f"{name}__isnull": False}) | Q(**{f"{name}__isnull": True, "pk__lt": pk})
    return Q(**{f"{name}__lt": value}) | Q(**{name: value, "pk__lt": pk})


def keyset_order(name: str, *, ascending: bool) -> list:
    if ascending:
        return [F(name).asc(nulls_last=True), "pk"]
    return [F(name).desc(nulls_first=True), "-pk"]


def _value(row, name: str):
    for part in name.split("__"):
        row = getattr(row, part) if row is not None else None
    return row


def keyset_page(
    queryset: QuerySet, *, sort: str, descending: bool, cursor: str, size: int
) -> KeysetPage:
    """A page of `queryset` sorted by the field `sort` (then id) that starts after (or ends
    before) the row named by `cursor`: the database reads only this page, however deep."""
    field = _sort_field(queryset.model, sort)
    position = _read_cursor(cursor, field) if cursor else None
    ascending = not descending
    if position is None:
        rows = page_rows(queryset, keyset_order(sort, ascending=ascending), size + 1)
        has_more, has_less, first = len(rows) > size, False, True
        rows = rows[:size]
    elif position[0] == "after":
        _direction, value, pk = position
        rows = page_rows(
            queryset.filter(_beyond(sort, value, pk, ascending=ascending)),
            keyset_order(sort, ascending=ascending),
            size + 1,
        )
        has_more, has_less, first = len(rows) > size, True, False
        rows = rows[:size]
    else:
        _direction, value, pk = position
        rows = page_rows(
            queryset.filter(_before(sort, value, pk, ascending=ascending)),
            keyset_order(sort, ascending=not ascending),
            size + 1,
        )
        has_less = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_more, first = True, not has_less
    return KeysetPage(
        rows=rows,
        next_cursor=_cursor(_value(rows[-1], sort), rows[-1].pk, "after")
        if rows and has_more
        else "",
        previous_cursor=_cursor(_value(rows[0], sort), rows[0].pk, "before")
        if rows and has_less
        else "",
        first=first,
    )


def page_rows(queryset: QuerySet, order: list, limit: int, offset: int = 0) -> list:
    """`limit` rows of `queryset` in `order` from `offset`, read in two steps: the page's ids
    from the list's own table (its filters and the sort column only), then those rows by id
    with what they show (the queryset's select_related and only). The joins then cost one
    page, whatever plan the database picks for the filters."""
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    # No order: the ids give it (a model's default order may join another table to sort).
    rows = queryset.model._default_manager.filter(pk__in=ids).order_by()
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    by_id = rows.in_bulk()
    return [by_id[pk] for pk in ids if pk in by_id]


def _row_cursor(values: list, direction: str) -> str:
    return _encode([direction, [_plain(value) for value in values]])


def _read_row_cursor(cursor: str, fields: list) -> tuple[str, list] | None:
    """The cursor's direction and row values; None when it is not one of ours."""
    try:
        direction, values = _decode(cursor)
        if direction not in ("after", "before") or not isinstance(values, list):
            return None
        if len(values) != len(fields) or None in values:
            return None
        return direction, [_typed(f, v) for f, v in zip(fields, values, strict=True)]
    except (ValueError, TypeError, ValidationError):
        return None


class RowCompare(Func):
    """`(a, b, c) < (x, y, z)`: the rows before (or, with ">", after) one row in the order of
    those columns. One row comparison, which an index in the same order answers directly
    (PostgreSQL; SQLite compares row values too)."""

    output_field = BooleanField()

    def __init__(self, names, model_fields, values, operator: str):
        self.operator = operator
        super().__init__(
            *(F(name) for name in names),
            *(
                Value(value, output_field=field)
                for value, field in zip(values, model_fields, strict=True)
            ),
        )

    def as_sql(
        self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context
    ):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        half = len(sqls) // 2
        columns, values = ", ".join(sqls[:half]), ", ".join(sqls[half:])
        return f"({columns}) {self.operator} ({values})", params


def keyset_page_by(
    queryset: QuerySet, *, fields: tuple[str, ...], cursor: str, size: int
) -> KeysetPage:
    """A page of `queryset` newest first by several columns that are never empty, the last one
    unique (e.g. year, update time, id): the rows after (or before) the cursor's row are found
    by one row comparison, which the index in the same order answers directly, however deep."""
    model_fields = [
        queryset.model._meta.pk if name == "pk" else _sort_field(queryset.model, name)
        for name in fields
    ]
    position = _read_row_cursor(cursor, model_fields) if cursor else None
    newest_first = [F(name).desc() for name in fields]
    if position is None:
        rows = page_rows(queryset, newest_first, size + 1)
        has_more, has_less = len(rows) > size, False
        rows = rows[:size]
    elif position[0] == "after":
        rows = page_rows(
            queryset.filter(RowCompare(fields, model_fields, position[1], "<")),
            newest_first,
            size + 1,
        )
        has_more, has_less = len(rows) > size, True
        rows = rows[:size]
    else:
        rows = page_rows(
            queryset.filter(RowCompare(fields, model_fields, position[1], ">")),
            [F(name).asc() for name in fields],
            size + 1,
        )
        has_less = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_more = True
    first = position is None or (position[0] == "before" and not has_less)
    return _row_page(rows, fields, has_more=has_more, has_less=has_less, first=first)


MAX_PAGE_NUMBER = 10**9


def numbered_page_by(
    queryset: QuerySet, *, fields: tuple[str, ...], number: int, size: int
) -> KeysetPage:
    """Page `number` of the same order, for links that still name pages by number: read by
    offset, without counting the list, its neighbours linked by cursor like keyset pages."""
    # A number past any list still reads as an empty page (rather than overflowing OFFSET).
    offset = (min(max(number, 1), MAX_PAGE_NUMBER) - 1) * size
    rows = page_rows(queryset, [F(name).desc() for name in fields], size + 1, offset)
    has_more = len(rows) > size
    return _row_page(rows[:size], fields, has_more=has_more, has_less=offset > 0, first=offset == 0)


def _row_page(
    rows: list, fields: tuple[str, ...], *, has_more: bool, has_less: bool, first: bool
) -> KeysetPage:
    return KeysetPage(
        rows=rows,
        next_cursor=_row_cursor([_value(rows[-1], f) for f in fields], "after")
        if rows and has_more
        else "",
        previous_cursor=_row_cursor([_value(rows[0], f) for f in fields], "before")
        if rows and has_less
        else "",
        first=first,
    )


def _sort_field(model, name: str):
    """The model field at the end of a `a__b` path (to read a cursor's value back)."""
    field = None
    for part in name.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def capped_count(queryset: QuerySet, cap: int, *, along: list | None = None) -> int:
    """The number of rows up to cap + 1: enough to say “cap+”, never a count of everything.
    `along` (a list's keyset order) has the count walk the index the list's page walks; left
    to itself the planner may pick an index that must read far more rows than the cap."""
    return queryset.order_by(*(along or []))[: cap + 1].count()


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
