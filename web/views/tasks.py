"""The reviewer's inbox and task page, and the auditor's log."""

from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditAction, AuditResult
from declarations.ids import parse_id
from declarations.layout import printed_form
from review import services as review
from review import workflow_selectors as selectors
from review.permissions import (
    candidates_for_stage,
    is_administrator_of,
    is_candidate,
    require_can_decide,
)
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
    overdue = {"1": True, "true": True, "0": False, "false": False}.get(
        request.GET.get("overdue", "")
    )
    tasks = selectors.tasks_for(request.user, view=view, overdue=overdue)
    search = request.GET.get("q", "").strip()
    if search:
        tasks = tasks.filter(declaration__name__icontains=search)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
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
            "is_overseer": selectors.is_overseer(request.user),
        },
    )


@login_required
def task_detail(request, pk):
    task = selectors.task_for(request.user, pk)
    declaration = task.declaration
    is_open = task.status in ("NEW", "ASSIGNED", "STARTED")
    can_decide = False
    if is_open:
        try:
            require_can_decide(request.user, task)
            can_decide = True
        except review.NotAllowed:
            can_decide = False
    colleagues = []
    if is_open and (
        task.owner_id == request.user.pk or is_administrator_of(request.user, declaration)
    ):
        colleagues = candidates_for_stage(task.candidate_role, task.candidate_organisation).exclude(
            pk=task.owner_id
        )
    return render(
        request,
        "workflow/task_detail.html",
        {
            "task": task,
            "declaration": declaration,
            "form": printed_form(declaration),
            "is_open": is_open,
            "can_decide": can_decide,
            "can_claim": is_open and task.owner_id is None and is_candidate(request.user, task),
            "can_release": is_open
            and task.owner_id is not None
            and (
                task.owner_id == request.user.pk or is_administrator_of(request.user, declaration)
            ),
            "can_hand_over": is_open and task.owner_id == request.user.pk,
            "can_reassign": is_open and is_administrator_of(request.user, declaration),
            "colleagues": colleagues,
            "history": selectors.declaration_history(request.user, declaration),
            "overdue": is_open and task.due_at and task.due_at < timezone.now(),
        },
    )


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
        task = review.task_claim(actor=user, task_id=pk)
        return _after(request, task, "已认领，可以开始审核。")
    if action == "release":
        task = review.task_release(actor=user, task_id=pk)
        return _after(request, task, "已释放，任务回到待认领队列。")
    if action == "approve":
        task = review.task_approve(actor=user, task_id=pk, opinion=opinion)
        messages.success(request, "已同意并盖章。")
        return redirect("workflow:task_list")
    if action == "return":
        to = "previous" if post.get("to") == "previous" else "preparer"
        review.task_return(actor=user, task_id=pk, opinion=opinion, to=to)
        messages.success(request, "已退回修改。")
        return redirect("workflow:task_list")
    if action == "reject":
        review.task_reject(actor=user, task_id=pk, opinion=opinion)
        messages.success(request, "已作出不予通过的决定。")
        return redirect("workflow:task_list")
    if action in ("hand_over", "reassign"):
        target = post.get("to_user", "")
        service = review.task_hand_over if action == "hand_over" else review.task_reassign
        task = service(
            actor=user,
            task_id=pk,
            to_user_id=parse_id(target),
            reason=post.get("reason", ""),
        )
        return _after(request, task, "已转交。")
    return refused(request, "未知操作。", status=404)


def _date(value: str, end: bool = False):
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
def audit_log(request):
    if not selectors.is_overseer(request.user):
        return refused(request, "只有审计人员和管理员可以查看审计日志。")
    events = selectors.audit_events_for(request.user).order_by("-at", "-pk")
    get = request.GET
    if (declaration_id := parse_id(get.get("declaration"))) is not None:
        events = events.filter(declaration_id=declaration_id)
    if get.get("actor"):
        events = events.filter(actor__username=get["actor"])
    if get.get("action") in AuditAction.values:
        events = events.filter(action=get["action"])
    if get.get("result") in AuditResult.values:
        events = events.filter(result=get["result"])
    if (start := _date(get.get("from", ""))) is not None:
        events = events.filter(at__gte=start)
    if (end := _date(get.get("to", ""), end=True)) is not None:
        events = events.filter(at__lte=end)
    page = Paginator(events, 100).get_page(get.get("page"))
    query = get.copy()
    query.pop("page", None)
    return render(
        request,
        "workflow/audit_log.html",
        {
            "page": page,
            "actions": AuditAction.choices,
            "results": AuditResult.choices,
            "query": query.urlencode(),
            "filters": get,
        },
    )
