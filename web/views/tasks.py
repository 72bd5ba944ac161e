"""The reviewer's inbox and task page, and the auditor's log."""

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditAction, AuditResult
from audit.proofs import newest_checkpoint
from audit.verification import latest_verification
from declarations.ids import parse_id
from declarations.layout import printed_form
from declarations.models import DeclarationStatus
from declarations.stages import REVIEW_STAGES, Stage
from organisations.models import Organisation, OrganisationKind
from review import permissions, selectors, services
from review.filters import (
    AuditEventFilter,
    TaskFilter,
    filter_errors,
    task_count_order,
    task_sort,
)
from review.models import OpinionPhrase
from review.permissions import Action, access_task_by_id, actions_for
from review.rounds import changes_for_round
from review.timeline import declaration_timeline
from web.views.declarations import (
    list_filter_choices,
    referring_page,
    refused,
    requested_page,
    service_errors,
)

PAGE_SIZE = 50
VIEW_TITLES = {
    "open": "待办任务",
    "inbox": "我已认领",
    "queue": "待认领",
    "done": "已办任务",
    "all": "全部任务",
}
# The columns each list can sort on, in the order shown (the sort names of review.filters).
OPEN_COLUMNS = ("name", "unit", "stage", "amount", "submitter", "waiting", "due", "holder")
DONE_COLUMNS = ("name", "unit", "stage", "amount", "finished")
COUNT_CAP = 999
# 我发起的: latest change first (index declaration_unit_api_order within a unit).
STARTED_ORDER = ("updated_at", "pk")


def _task_query(request, *, without: tuple[str, ...]) -> str:
    query = request.GET.copy()
    for name in without:
        query.pop(name, None)
    return query.urlencode()


def _filter_choices(user) -> dict:
    """The units and departments the filter offers: those of the user's jurisdictions."""
    jurisdictions = permissions.visible_jurisdictions(user)
    organisations = Organisation.objects.filter(
        kind__in=(OrganisationKind.UNIT, OrganisationKind.DEPARTMENT)
    ).order_by("name")
    if jurisdictions is not permissions.ALL:
        organisations = organisations.filter(jurisdiction__in=sorted(jurisdictions))
    rows = list(organisations.values_list("pk", "name", "kind"))
    return {
        "units": [(pk, name) for pk, name, kind in rows if kind == OrganisationKind.UNIT],
        "departments": [
            (pk, name) for pk, name, kind in rows if kind == OrganisationKind.DEPARTMENT
        ],
        "stages": [(c.value, c.label) for c in REVIEW_STAGES],
    }


@login_required
def task_list(request):
    """待办 (mine and my queue's), 已办 (what I decided) and the overseer's 全部任务: filtered,
    sorted by any column, read a page at a time by keyset (no count of everything)."""
    view = request.GET.get("view", "open")
    if view not in VIEW_TITLES:
        view = "open"
    filters = TaskFilter(request.GET, queryset=selectors.tasks_for(request.user, view=view))
    if not filters.is_valid():
        messages.error(request, "筛选条件有误：" + _filter_errors(filters))
    done = view == "done"
    sort_value = request.GET.get("sort", "-finished" if done else "due")
    sort_field, descending = task_sort(sort_value, default="-finished" if done else "due")
    page = selectors.keyset_page(
        selectors.inbox_rows(filters.qs),
        sort=sort_field,
        descending=descending,
        cursor=request.GET.get("cursor", ""),
        size=PAGE_SIZE,
    )
    form = filters.form.cleaned_data if filters.is_valid() else {}
    return render(
        request,
        "workflow/task_list.html",
        {
            "page": page,
            "count": selectors.capped_count(
                filters.qs, COUNT_CAP, along=task_count_order(sort_field)
            ),
            "count_cap": COUNT_CAP,
            "view": view,
            "title": VIEW_TITLES[view],
            "views": VIEW_TITLES,
            "done": done,
            "columns": _columns(DONE_COLUMNS if done else OPEN_COLUMNS, sort_value),
            "filters": form,
            # On a phone the filters fold away unless some are applied.
            "filters_applied": any(value not in (None, "") for value in form.values()),
            "choices": _filter_choices(request.user),
            "query": _task_query(request, without=("cursor",)),
            "filter_query": _task_query(request, without=("cursor", "sort")),
            "now": timezone.now(),
            "is_overseer": permissions.is_overseer(request.user),
            "can_batch": view in ("open", "inbox", "queue"),
            "tabs": _tabs(request.user, "done" if done else "open"),
        },
    )


COLUMN_TITLES = {
    "name": "申报表",
    "unit": "填报单位",
    "stage": "环节",
    "amount": "金额（万元）",
    "submitter": "提交人",
    "waiting": "等待时间",
    "due": "办理期限",
    "holder": "办理人",
    "finished": "办理时间",
}


def _columns(names: tuple[str, ...], sort_value: str) -> list[dict]:
    """Each column's title and the sort its header link asks for (the reverse when it is the
    current one)."""
    columns = []
    for name in names:
        current = sort_value.lstrip("-") == name
        descending = sort_value.startswith("-")
        columns.append(
            {
                "name": name,
                "title": COLUMN_TITLES[name],
                "sort": f"-{name}" if current and not descending else name,
                "current": current,
                "arrow": ("↓" if descending else "↑") if current else "",
            }
        )
    return columns


def _filter_errors(filters) -> str:
    return "；".join(
        f"{filters.filters[name].label or name}：{'，'.join(errors)}"
        if name in filters.filters
        else "，".join(errors)
        for name, errors in filters.errors.items()
    )


def _tabs(user, current: str) -> list[dict]:
    """The inbox's four views, with the count of open tasks on 待办 (capped like the menu)."""
    badge = selectors.open_task_badge(user)
    tabs = [
        {"key": "open", "title": "待办", "url": reverse("workflow:task_list"), "badge": badge},
        {"key": "done", "title": "已办", "url": reverse("workflow:task_list") + "?view=done"},
    ]
    if permissions.own_units(user):
        tabs.append({"key": "started", "title": "我发起的", "url": reverse("workflow:started")})
    tabs.append({"key": "copied", "title": "抄送我的", "url": reverse("workflow:copied")})
    for tab in tabs:
        tab["current"] = tab["key"] == current
    return tabs


@login_required
def started_list(request):
    """我发起的: where each declaration of the user's units stands, and who holds it now."""
    declarations = selectors.declarations_started_by(request.user)
    page = requested_page(request, declarations, fields=STARTED_ORDER)
    waiting = selectors.waiting_tasks_of(page.rows)
    rows = [(declaration, waiting.get(declaration.pk)) for declaration in page.rows]
    return render(
        request,
        "workflow/started_list.html",
        {
            "page": page,
            "rows": rows,
            "now": timezone.now(),
            "tabs": _tabs(request.user, "started"),
        },
    )


@login_required
def copied_list(request):
    """抄送我的: declarations copied to the user (none until copies exist)."""
    return render(request, "workflow/copied_list.html", {"tabs": _tabs(request.user, "copied")})


MAX_BATCH_FIELD = 20  # characters of one submitted task id: more is not an id


@login_required
@require_POST
def tasks_batch_approve_view(request):
    """批量同意: approve the ticked tasks with one opinion, then list what failed and why."""
    raw = request.POST.getlist("tasks")
    task_ids = [parse_id(value[:MAX_BATCH_FIELD]) for value in raw]
    if not raw:
        messages.error(request, "请先勾选要批量同意的任务。")
        return redirect("workflow:task_list")
    if any(task_id is None for task_id in task_ids):
        messages.error(request, "任务编号有误，请刷新页面后重新勾选。")
        return redirect("workflow:task_list")
    if len(raw) > services.BATCH_APPROVE_MAX_TASKS:
        messages.error(request, f"一次最多批量同意 {services.BATCH_APPROVE_MAX_TASKS} 项任务。")
        return redirect("workflow:task_list")
    outcomes = services.tasks_batch_approve(
        user=request.user,
        task_ids=[task_id for task_id in task_ids if task_id is not None],
        opinion=request.POST.get("opinion", "")[:2000],
    )
    approved = [o for o in outcomes if o.status == services.BatchStatus.APPROVED]
    failed = [o for o in outcomes if o.status != services.BatchStatus.APPROVED]
    if approved:
        messages.success(request, f"已同意并盖章 {len(approved)} 项。")
    for outcome in failed:
        messages.error(request, f"任务 {outcome.task} 未能同意：{outcome.detail}")
    return redirect("workflow:task_list")


@login_required
def task_detail(request, pk):
    task, _grant = access_task_by_id(request.user, pk)
    declaration = task.declaration
    actions = actions_for(request.user, task)
    can_move = Action.HAND_OVER in actions or Action.REASSIGN in actions
    can_view_declaration = Action.VIEW in actions_for(request.user, declaration)
    can_claim = Action.CLAIM in actions and task.owner_id is None
    can_decide = Action.APPROVE in actions
    return render(
        request,
        "workflow/task_detail.html",
        {
            "task": task,
            "declaration": declaration,
            "review_round": task.process.coerced.round,
            "form": printed_form(declaration),
            "is_open": task.is_open,
            "actions": actions,
            "can_decide": can_decide,
            "can_return_previous": permissions.RETURN_PREVIOUS in actions,
            "can_claim": can_claim,
            "can_release": Action.RELEASE in actions,
            "can_hand_over": Action.HAND_OVER in actions,
            "can_reassign": Action.REASSIGN in actions,
            "bar_actions": can_claim or can_decide or Action.RELEASE in actions,
            "colleagues": permissions.colleagues_for(task) if can_move else [],
            "can_view_declaration": can_view_declaration,
            "attachments": declaration.attachments.all() if can_view_declaration else [],
            "timeline": declaration_timeline(request.user, declaration),
            "changes": changes_for_round(declaration, task.process.coerced.round),
            "phrases": OpinionPhrase.objects.filter(permissions.phrase_scope(request.user)),
            "overdue": task.is_open and task.due_at and task.due_at < timezone.now(),
        },
    )


@login_required
@require_POST
@service_errors
def phrase_save(request):
    services.opinion_phrase_save(actor=request.user, text=request.POST.get("text", ""))
    messages.success(request, "已保存为常用意见。")
    return redirect(referring_page(request) or "workflow:task_list")


@login_required
@require_POST
@service_errors
def phrase_delete(request, pk):
    services.opinion_phrase_delete(actor=request.user, phrase_id=pk)
    messages.success(request, "已删除常用意见。")
    return redirect(referring_page(request) or "workflow:task_list")


@login_required
def _after(request, task, message):
    messages.success(request, message)
    if request.POST.get("next") == "list":
        return redirect("workflow:task_list")
    return redirect("workflow:task_detail", pk=task.pk)


@login_required
@require_POST
@service_errors
def task_action(request, pk, action):
    user, post = request.user, request.POST
    opinion = post.get("opinion", "")
    if action == "claim":
        task = services.task_claim(actor=user, task_id=pk)
        return _after(request, task, "已认领，可以开始审核。")
    if action == "release":
        task = services.task_release(actor=user, task_id=pk)
        return _after(request, task, "已释放，任务回到待认领队列。")
    if action == "approve":
        task = services.task_approve(actor=user, task_id=pk, opinion=opinion)
        messages.success(request, "已同意并盖章。")
        return redirect("workflow:task_list")
    if action == "return":
        to = "previous" if post.get("to") == "previous" else "preparer"
        services.task_return(actor=user, task_id=pk, opinion=opinion, to=to)
        messages.success(request, "已退回修改。")
        return redirect("workflow:task_list")
    if action == "reject":
        services.task_reject(actor=user, task_id=pk, opinion=opinion)
        messages.success(request, "已作出不予通过的决定。")
        return redirect("workflow:task_list")
    if action in ("hand_over", "reassign"):
        target = post.get("to_user", "")
        service = services.task_hand_over if action == "hand_over" else services.task_reassign
        task = service(
            actor=user,
            task_id=pk,
            to_user_id=parse_id(target),
            reason=post.get("reason", ""),
        )
        return _after(request, task, "已转交。")
    return refused(request, "未知操作。", status=404)


AUDIT_PAGE = 100


def _cursor_of(event) -> str:
    return f"{event.at.astimezone(UTC).isoformat()}_{event.pk}"


def _older_than(events, cursor: str):
    """Keyset paging (no count of the whole log, no OFFSET): the events after the last one
    shown, in the page's order, newest first. A mangled cursor starts from the newest."""
    stamp, _, pk = cursor.rpartition("_")
    try:
        at, after = datetime.fromisoformat(stamp), int(pk)
    except ValueError:
        return events
    if at.tzinfo is None:
        return events
    return events.filter(Q(at__lt=at) | Q(at=at, pk__lt=after))


@login_required
@service_errors
def audit_log(request):
    permissions.require_overseer(request.user)
    get = request.GET
    events = selectors.audit_events_for(request.user).select_related("declaration")
    filters = AuditEventFilter(get, queryset=events.order_by("-at", "-pk"))
    errors = filter_errors(filters) if not filters.is_valid() else []
    # A filter that cannot be read lists nothing: showing everything would pass it off as applied.
    found = filters.qs if not errors else events.none()
    cursor = get.get("before", "")
    rows = list(_older_than(found, cursor)[: AUDIT_PAGE + 1])
    query = get.copy()
    query.pop("before", None)
    query.pop("page", None)
    years, units = list_filter_choices(request.user)
    return render(
        request,
        "workflow/audit_log.html",
        {
            "page": {"object_list": rows[:AUDIT_PAGE]},
            "newest": bool(cursor),
            "older": _cursor_of(rows[AUDIT_PAGE - 1]) if len(rows) > AUDIT_PAGE else "",
            "errors": errors,
            "actions": AuditAction.choices,
            "results": AuditResult.choices,
            "stages": Stage.choices,
            "statuses": DeclarationStatus.choices,
            "years": years,
            "units": units,
            "query": query.urlencode(),
            "filters": get,
            "filters_applied": any(query.values()),
            "checkpoint": newest_checkpoint(),
            "verification": latest_verification(),
            "proof_links": permissions.is_auditor(request.user),
        },
    )
