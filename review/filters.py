"""One FilterSet per list, shared by its page, its export and its API collection: declarations,
review tasks and audit events. Where the page and the API grew different parameter names, both
spellings work (`q` and `search`; `from`/`to` dates and `since`/`until` times)."""

from datetime import UTC, date, datetime, time

import django_filters
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.ids import MAX_ID
from declarations.models import Declaration, DeclarationStatus
from declarations.stages import REVIEW_STAGES, Stage
from review.models import ReviewTask
from review.selectors import keyset_order

MAX_AMOUNT = 10**10  # 万元: a bound that keeps any typed amount inside the column


class DeclarationFilter(django_filters.FilterSet):
    """Declarations by their own fields, and by what was done to them: who (name or login) did
    which action when. The event filters combine: one event must match all of them."""

    year = django_filters.NumberFilter(
        field_name="fiscal_year", label="年度", help_text="年度", min_value=0, max_value=9999
    )
    unit = django_filters.NumberFilter(
        field_name="reporting_unit",
        label="填报单位",
        help_text="填报单位编号",
        min_value=1,
        max_value=MAX_ID,
    )
    status = django_filters.ChoiceFilter(
        choices=DeclarationStatus.choices, label="状态", help_text="状态"
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label="环节", help_text="当前环节")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="名称", help_text="名称"
    )
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="名称", help_text="名称"
    )
    person = django_filters.CharFilter(
        method="matched_by_events", label="经办人", help_text="经办人姓名（含部分）或账号"
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices,
        method="matched_by_events",
        label="动作",
        help_text="经办人做过的动作",
    )

    class Meta:
        model = Declaration
        fields = ["year", "unit", "status", "stage", "search", "q", "person", "action"]

    def matched_by_events(self, queryset, name, value):
        return queryset  # person, action and the dates are applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not any(data.get(name) not in (None, "") for name in EVENT_FILTERS):
            return queryset
        events = AuditEvent.objects.filter(result=AuditResult.OK, declaration__isnull=False)
        if data.get("person"):
            events = events.filter(person_matches(data["person"]))
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("from"):
            events = events.filter(at__gte=local_day_start(data["from"]))
        if data.get("to"):
            events = events.filter(at__lte=local_day_end(data["to"]))
        return queryset.filter(pk__in=events.values("declaration_id"))


# The task list's sortable columns: the `sort` parameter's names (a leading `-` sorts
# descending) and the task-row field each one sorts on.
TASK_SORTS = {
    "due": "due_at",
    "waiting": "arrived_at",
    "finished": "finished_at",
    "amount": "budget",
    "year": "fiscal_year",
    "stage": "stage",
    "unit": "unit__name",
    "name": "declaration__name",
    "submitter": "submitter__username",
    "holder": "holder__username",
}
# The sorts the task indexes are in (review_task_open_* and review_task_done_holder_*): a page
# count walks them to its cap; in another order it would sort every row first, as the page does.
INDEXED_TASK_SORTS = frozenset({"due_at", "finished_at"})
SORT_CHOICES = [
    (f"{prefix}{name}", f"{name}{'（倒序）' if prefix else ''}")
    for name in TASK_SORTS
    for prefix in ("", "-")
]


def task_count_order(field: str) -> list | None:
    """The order a task list's capped count walks (selectors.capped_count's `along`): its
    page's own index's, when the page is sorted by an indexed field."""
    return keyset_order(field, ascending=True) if field in INDEXED_TASK_SORTS else None


def task_sort(value: str, default: str = "due") -> tuple[str, bool]:
    """The row field a `sort` value names and whether it runs descending (unknown: default)."""
    descending = value.startswith("-")
    field = TASK_SORTS.get(value.lstrip("-"))
    if field is None:
        return task_sort(default)
    return field, descending


class TaskFilter(django_filters.FilterSet):
    """Filters on a list of review tasks (whose tasks: review.selectors.tasks_for), read from
    the task's own row: the same for the inbox page and the API."""

    status = django_filters.ChoiceFilter(
        choices=[("open", "待办"), ("done", "已办")],
        method="filter_status",
        help_text="open 或 done",
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="只看逾期（true）或未逾期（false）"
    )
    q = django_filters.CharFilter(method="filter_search", help_text="申报表名称或填报单位")
    year = django_filters.NumberFilter(
        field_name="fiscal_year", help_text="年度", min_value=0, max_value=9999
    )
    unit = django_filters.NumberFilter(
        field_name="unit", help_text="填报单位编号", min_value=1, max_value=MAX_ID
    )
    department = django_filters.NumberFilter(
        field_name="department", help_text="主管部门编号", min_value=1, max_value=MAX_ID
    )
    stage = django_filters.ChoiceFilter(
        choices=[c for c in Stage.choices if c[0] in REVIEW_STAGES], help_text="环节"
    )
    amount_min = django_filters.NumberFilter(
        field_name="budget",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text="金额下限（万元，含）",
    )
    amount_max = django_filters.NumberFilter(
        field_name="budget",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text="金额上限（万元，含）",
    )
    submitter = django_filters.CharFilter(method="filter_submitter", help_text="提交人姓名或用户名")
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_sort",
        help_text="排序：due、waiting、finished、amount、year、stage、unit、name、submitter、"
        "holder；前加 - 为倒序",
    )

    class Meta:
        model = ReviewTask
        fields = [
            "status",
            "overdue",
            "q",
            "year",
            "unit",
            "department",
            "stage",
            "amount_min",
            "amount_max",
            "submitter",
            "sort",
        ]

    def filter_status(self, queryset, name, value):
        return queryset  # open or done decides whose tasks are listed: tasks_for(view=...)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(declaration__name__icontains=value) | Q(unit__name__icontains=value)
        )

    def filter_submitter(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(submitter__username__iexact=value)
            | Q(submitter__first_name__icontains=value)
            | Q(submitter__last_name__icontains=value)
        )

    def filter_sort(self, queryset, name, value):
        field, descending = task_sort(value)
        # The keyset pages' order (empty values count as the largest), so that ?page=N and the
        # cursor pages list the same rows in the same order.
        return queryset.order_by(*keyset_order(field, ascending=not descending))


def local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def local_day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def person_matches(value: str) -> Q:
    """An event by this person: their login (any case), or part of the name recorded."""
    value = value.strip()
    return Q(actor__username__iexact=value) | Q(actor_name__icontains=value)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time with any offset, compared in UTC (the database refuses odd offsets)."""

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


class LocalDayFilter(django_filters.DateFilter):
    """A calendar day in local time: from its first moment, or up to its last with end=True."""

    def __init__(self, *args, end: bool = False, **kwargs):
        self.end = end
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return super().filter(qs, local_day_end(value) if self.end else local_day_start(value))


class AuditEventFilter(django_filters.FilterSet):
    """The auditor's search: which declarations (by number or name, year, unit, current status),
    at which stage, by whom (name or login), doing what, when."""

    declaration = django_filters.CharFilter(
        method="filter_declaration", label="申报表", help_text="申报表编号，或名称中的文字"
    )
    year = django_filters.NumberFilter(
        field_name="declaration__fiscal_year",
        min_value=0,
        max_value=9999,
        label="年度",
        help_text="申报表年度",
    )
    unit = django_filters.NumberFilter(
        field_name="declaration__reporting_unit",
        min_value=1,
        max_value=MAX_ID,
        label="填报单位",
        help_text="填报单位编号",
    )
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, label="环节", help_text="事件所在环节"
    )
    status = django_filters.ChoiceFilter(
        field_name="declaration__status",
        choices=DeclarationStatus.choices,
        label="申报表状态",
        help_text="申报表当前状态",
    )
    actor = django_filters.CharFilter(
        method="filter_person", label="操作人", help_text="操作人姓名（含部分）或账号"
    )
    person = django_filters.CharFilter(
        method="filter_person", label="操作人", help_text="同 actor：操作人姓名（含部分）或账号"
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label="动作", help_text="动作"
    )
    result = django_filters.ChoiceFilter(
        choices=AuditResult.choices, label="结果", help_text="结果"
    )
    since = UtcDateTimeFilter(
        field_name="at", lookup_expr="gte", label="起始时间", help_text="起始时间（含）"
    )
    until = UtcDateTimeFilter(
        field_name="at", lookup_expr="lte", label="截止时间", help_text="截止时间（含）"
    )

    class Meta:
        model = AuditEvent
        fields = [
            "declaration",
            "year",
            "unit",
            "stage",
            "status",
            "actor",
            "person",
            "action",
            "result",
            "since",
            "until",
        ]

    def filter_declaration(self, queryset, name, value):
        value = value.strip()
        number = value.removeprefix("#")
        if number.isascii() and number.isdigit():
            # A number beyond any id matches nothing (rather than overflowing the database).
            if int(number) > MAX_ID:
                return queryset.none()
            return queryset.filter(declaration_id=int(number))
        return queryset.filter(declaration__name__icontains=value) if value else queryset

    def filter_person(self, queryset, name, value):
        return queryset.filter(person_matches(value)) if value.strip() else queryset


# `from` and `to` (the page's dates) cannot be attribute names: `from` is a Python keyword.
EVENT_FILTERS = ("person", "action", "from", "to")
DeclarationFilter.base_filters["from"] = django_filters.DateFilter(
    method="matched_by_events", label="经办日期从", help_text="经办日期（含）起"
)
DeclarationFilter.base_filters["to"] = django_filters.DateFilter(
    method="matched_by_events", label="经办日期到", help_text="经办日期（含）止"
)
AuditEventFilter.base_filters["from"] = LocalDayFilter(
    field_name="at", lookup_expr="gte", label="起始日期", help_text="起始日期（含）"
)
AuditEventFilter.base_filters["to"] = LocalDayFilter(
    field_name="at", lookup_expr="lte", end=True, label="截止日期", help_text="截止日期（含）"
)


def filter_errors(filters: django_filters.FilterSet) -> list[str]:
    """The filter form's errors as Chinese sentences naming the field, for the page to show."""
    form = filters.form
    return [
        f"{form.fields[field].label if field in form.fields else '筛选条件'}：{message}"
        for field, messages in form.errors.items()
        for message in messages
    ]
