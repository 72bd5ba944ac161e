"""The reviewer's inbox and task page, and the auditor's log."""

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditAction, AuditResult
from declarations.ids import parse_id
from declarations.layout import printed_form
from review import permissions, selectors, services
from review.filters import AuditEventFilter, TaskFilter
from review.permissions import Action, access_task_by_id, actions_for
from web.views.declarations import refused, service_errors

PAGE_SIZE = 50
VIEW_TITLES = {
    "open": "待办任务",
    "inbox": "我已认领",
    "queue": "待认领",
    "done": "已办任务",
    "all": "全部任务",
}


@login_required
def task_list(request):
    view = request.GET.get("view", "open")
    if view not in VIEW_TITLES:
        view = "open"
    filters = TaskFilter(request.GET, queryset=selectors.tasks_for(request.user, view=view))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    overdue = filters.form.cleaned_data.get("overdue")
    search = filters.form.cleaned_data.get("q") or ""
    return render(
        request,
        "workflow/task_list.html",
        {
            "page": page,
            "view": view,
            "views": VIEW_TITLES,
            "overdue": overdue,
            "search": search,
            "now": timezone.now(),
            "is_overseer": permissions.is_overseer(request.user),
        },
    )


@login_required
def task_detail(request, pk):
    task, _grant = access_task_by_id(request.user, pk)
    declaration = task.declaration
    actions = actions_for(request.user, task)
    can_move = Action.HAND_OVER in actions or Action.REASSIGN in actions
    return render(
        request,
        "workflow/task_detail.html",
        {
            "task": task,
            "declaration": declaration,
            "form": printed_form(declaration),
            "is_open": task.is_open,
            "actions": actions,
            "can_decide": Action.APPROVE in actions,
            "can_return_previous": permissions.RETURN_PREVIOUS in actions,
            "can_claim": Action.CLAIM in actions and task.owner_id is None,
            "can_release": Action.RELEASE in actions,
            "can_hand_over": Action.HAND_OVER in actions,
            "can_reassign": Action.REASSIGN in actions,
            "colleagues": permissions.colleagues_for(task) if can_move else [],
            "history": selectors.declaration_history(request.user, declaration),
            "overdue": task.is_open and task.due_at and task.due_at < timezone.now(),
        },
    )


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
    events = selectors.audit_events_for(request.user).order_by("-at", "-pk")
    events = AuditEventFilter(get, queryset=events).qs
    cursor = get.get("before", "")
    rows = list(_older_than(events, cursor)[: AUDIT_PAGE + 1])
    query = get.copy()
    query.pop("before", None)
    query.pop("page", None)
    return render(
        request,
        "workflow/audit_log.html",
        {
            "page": {"object_list": rows[:AUDIT_PAGE]},
            "newest": bool(cursor),
            "older": _cursor_of(rows[AUDIT_PAGE - 1]) if len(rows) > AUDIT_PAGE else "",
            "actions": AuditAction.choices,
            "results": AuditResult.choices,
            "query": query.urlencode(),
            "filters": get,
        },
    )
