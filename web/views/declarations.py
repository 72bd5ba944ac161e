"""Pages for preparers, unit heads, reviewers and auditors. Views read through selectors and
change state only through services; errors from services become pages a person understands."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from audit.models import AuditAction
from declarations import exports
from declarations.attachments import max_bytes
from declarations.content import content_of
from declarations.ids import parse_id
from declarations.layout import printed_form
from declarations.models import DeclarationStatus
from declarations.stages import Stage
from declarations.validation import validate_for_submit
from organisations.models import Organisation
from review import drafts, engine, permissions, selectors, services
from review.errors import ServiceError, StaleDeclaration, SubmitRejected
from review.filters import DeclarationFilter, filter_errors
from review.models import ReviewProcess
from review.permissions import Action, NotAllowed, access_declaration_by_id, actions_for
from review.rounds import changes_since_last_round
from review.timeline import declaration_timeline, latest_return
from web.forms import AttachmentForm, EditForms, NewDeclarationForm

PAGE_SIZE = 50
COUNT_CAP = 999
# The list page's order (the model's own, made unique by id): index declaration_page_order.
LIST_ORDER = ("fiscal_year", "updated_at", "pk")


def refused(request, message: str, status: int = 403):
    """The page that says why an action was refused, with a link back to where it came from."""
    context = {"message": message, "back_url": referring_page(request)}
    return render(request, "approvals/refused.html", context, status=status)


def referring_page(request) -> str | None:
    """The page the request came from, when it is a page of this site."""
    referer = request.META.get("HTTP_REFERER")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def service_errors(view):
    """Turn the rulebook's refusals into 403 pages (it has recorded them already) and the
    services' own errors (conflicts, missing opinions, urging too soon) into a flash message."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotAllowed as refusal:
            return refused(request, refusal.message)
        except ServiceError as problem:
            messages.error(request, problem.message)
            return redirect(request.META.get("HTTP_REFERER") or reverse("approvals:home"))

    return wrapper


# --- Home ------------------------------------------------------------------------------------


@login_required
def home(request):
    memberships = request.user.memberships.active().select_related("organisation", "jurisdiction")
    context = {
        "memberships": memberships,
        "inbox_count": selectors.tasks_for(request.user, view="inbox").count(),
        "queue_count": selectors.tasks_for(request.user, view="queue").count(),
        "can_prepare": bool(permissions.units_prepared_by(request.user)),
        "recent": selectors.declarations_visible_to(request.user)[:10],
    }
    return render(request, "approvals/home.html", context)


# --- Lists -------------------------------------------------------------------------------------


FILTER_CHOICES_SECONDS = 60


def list_filter_choices(user) -> tuple[list[int], list[dict]]:
    """The years and units the list's filters offer: read over every visible declaration, so
    kept for a minute per user rather than read again on each page."""

    def read() -> tuple[list[int], list[dict]]:
        visible = selectors.declarations_visible_to(user)
        years = visible.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct()
        units = Organisation.objects.filter(pk__in=visible.values("reporting_unit"))
        return list(years), list(units.order_by("name").values("pk", "name"))

    return cache.get_or_set(f"declaration-list-choices:{user.pk}", read, FILTER_CHOICES_SECONDS)


def requested_page(request, declarations, *, fields: tuple[str, ...]) -> selectors.KeysetPage:
    """The page a list's link asks for: `?cursor=` (下一页 and 上一页), or page N for the links
    that still name one (`?page=N`, read by offset without counting the list)."""
    number = parse_id(request.GET.get("page"))
    if number is not None and "cursor" not in request.GET:
        return selectors.numbered_page_by(
            declarations, fields=fields, number=number, size=PAGE_SIZE
        )
    cursor = request.GET.get("cursor", "")
    return selectors.keyset_page_by(declarations, fields=fields, cursor=cursor, size=PAGE_SIZE)


@login_required
def declaration_list(request):
    """Every declaration the user may see, filtered, newest year and latest change first, read
    a page at a time by keyset (cursor links to the next and previous pages); `?page=N` links
    still open page N. The count stops at COUNT_CAP rather than counting everything."""
    visible = selectors.declarations_visible_to(request.user)
    filters = DeclarationFilter(request.GET, queryset=visible)
    errors = filter_errors(filters) if not filters.is_valid() else []
    # A filter that cannot be read lists nothing: showing everything would pass it off as applied.
    found = filters.qs if not errors else visible.none()
    page = requested_page(request, selectors.declaration_rows(found), fields=LIST_ORDER)
    years, units = list_filter_choices(request.user)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    return render(
        request,
        "approvals/declaration_list.html",
        {
            "page": page,
            "count": selectors.capped_count(found, COUNT_CAP),
            "count_cap": COUNT_CAP,
            "errors": errors,
            "filters": filters.form.cleaned_data,
            "typed": request.GET,
            "actions": AuditAction.choices,
            "years": years,
            "units": units,
            "statuses": DeclarationStatus.choices,
            "stages": Stage.choices,
            "query": query.urlencode(),
            "can_prepare": bool(permissions.units_prepared_by(request.user)),
        },
    )


@login_required
def declaration_list_export(request):
    visible = selectors.declarations_visible_to(request.user)
    declarations = DeclarationFilter(request.GET, queryset=visible).qs
    return exports.xlsx_response(exports.declarations_workbook(declarations), "申报表清单.xlsx")


# --- Create and copy -------------------------------------------------------------------------


@login_required
@service_errors
def declaration_new(request):
    units = Organisation.objects.filter(
        pk__in=[u.pk for u in permissions.require_some_unit(request.user)]
    )
    form = NewDeclarationForm(
        request.POST or None,
        units=units,
        initial={"fiscal_year": timezone.localdate().year + 1, "unit": units.first()},
    )
    if request.method == "POST" and form.is_valid():
        declaration = drafts.declaration_create(
            actor=request.user,
            unit=form.cleaned_data["unit"],
            fiscal_year=form.cleaned_data["fiscal_year"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, "已新建草稿，请填写申报表。")
        return redirect("approvals:declaration_edit", pk=declaration.pk)
    return render(request, "approvals/declaration_new.html", {"form": form})


@login_required
@require_POST
@service_errors
def declaration_copy(request, pk):
    try:
        copy = drafts.declaration_copy(
            actor=request.user, source_id=pk, fiscal_year=parse_id(request.POST.get("fiscal_year"))
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("approvals:declaration_detail", pk=pk)
    messages.success(request, f"已复制为{copy.fiscal_year}年度的新草稿，请核对后修改。")
    return redirect("approvals:declaration_edit", pk=copy.pk)


# --- Detail, edit, submit ------------------------------------------------------------------------


def _declaration(request, pk, action: str = Action.VIEW):
    declaration, _grant = access_declaration_by_id(request.user, pk, action=action)
    return declaration


@login_required
def declaration_detail(request, pk):
    declaration = _declaration(request, pk)
    process = ReviewProcess.objects.current_for(declaration)
    actions = actions_for(request.user, declaration)
    return render(
        request,
        "approvals/declaration_detail.html",
        {
            "declaration": declaration,
            "form": printed_form(declaration),
            "attachments": declaration.attachments.all(),
            "attachment_form": AttachmentForm(),
            "timeline": declaration_timeline(request.user, declaration),
            "returned": _return_opinion(declaration),
            "changes": changes_since_last_round(declaration),
            "actions": actions,
            "can_edit": Action.EDIT in actions,
            "can_copy": Action.COPY in actions,
            "can_urge": Action.URGE in actions,
            "can_withdraw": Action.WITHDRAW in actions,
            "can_comment": Action.COMMENT in actions,
            "open_task": engine.open_task(process) if process else None,
        },
    )


def _return_opinion(declaration):
    """The latest return opinion, for as long as the declaration is back with its preparer."""
    if declaration.status != DeclarationStatus.RETURNED:
        return None
    return latest_return(declaration)


def _edit_page(request, declaration, forms, *, status=200, checked=False):
    return render(
        request,
        "approvals/declaration_edit.html",
        {
            "declaration": declaration,
            "returned": _return_opinion(declaration),
            "changes": changes_since_last_round(declaration),
            "forms": forms,
            "checked": checked,
            "attachments": declaration.attachments.all(),
            "attachment_form": AttachmentForm(),
            "attachment_limit": max_bytes(),
        },
        status=status,
    )


def _unbound_forms(declaration):
    return EditForms(declaration, content=content_of(declaration))


def _current_forms(declaration):
    """The saved draft, or the input still waiting for a fix when there is some."""
    if not declaration.pending_input:
        return _unbound_forms(declaration)
    forms = EditForms(declaration, data=MultiValueDict(declaration.pending_input["data"]))
    forms.is_valid()
    return forms


@login_required
@service_errors
def declaration_edit(request, pk):
    declaration = permissions.find_declaration(request.user, pk, action=Action.EDIT)
    try:
        permissions.require(request.user, Action.EDIT, declaration)
    except NotAllowed as refusal:
        if request.method == "POST" and permissions.preparer_grant(
            request.user, declaration.reporting_unit
        ):
            return _too_late_to_edit(request, declaration, refusal)
        raise
    if request.method == "GET":
        if declaration.pending_input:
            messages.warning(request, "以下是上次未能保存的输入（格式有误），请修正后保存。")
        return _edit_page(request, declaration, _current_forms(declaration))
    return _save_and_act(request, declaration)


def _too_late_to_edit(request, declaration, refusal: NotAllowed):
    """The declaration was submitted while this preparer was editing: the save is refused, but
    everything they typed is shown again so that nothing is lost (they can copy it into a later
    revision)."""
    messages.error(
        request,
        f"申报表已{declaration.get_status_display()}，不能再修改。"
        "以下是您刚才输入但未保存的内容，请复制留存，退回修改后可再填入。",
    )
    forms = EditForms(declaration, data=request.POST)
    forms.is_valid()
    return _edit_page(request, declaration, forms, status=409)


def _raw_post(request) -> dict:
    return {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}


def _save_and_act(request, declaration):
    action = request.POST.get("action", "save")
    forms = EditForms(declaration, data=request.POST)
    if not forms.is_valid():
        drafts.declaration_stash_input(
            actor=request.user, declaration_id=declaration.pk, raw={"data": _raw_post(request)}
        )
        messages.error(
            request,
            f"有 {forms.error_count} 处格式错误。已暂存您输入的全部内容，修正后再保存或提交。",
        )
        return _edit_page(request, declaration, forms, status=400)
    version = request.POST.get("version", "")
    try:
        declaration = drafts.declaration_save(
            actor=request.user,
            declaration_id=declaration.pk,
            content=forms.content(),
            expected_version=parse_id(version),
        )
    except StaleDeclaration as stale:
        drafts.declaration_stash_input(
            actor=request.user, declaration_id=declaration.pk, raw={"data": _raw_post(request)}
        )
        messages.error(request, str(stale))
        return _edit_page(request, declaration, forms, status=409)
    if action == "save":
        messages.success(request, "草稿已保存。")
        return redirect("approvals:declaration_edit", pk=declaration.pk)
    if action == "submit":
        return _submit(request, declaration)
    return _check(request, declaration)


def _with_errors(declaration, errors):
    declaration.refresh_from_db()
    forms = _current_forms(declaration)
    forms.apply_errors(errors)
    return forms


def _check(request, declaration):
    errors = validate_for_submit(declaration)
    if errors:
        messages.error(request, f"草稿已保存。检查发现 {errors.count} 处需要修改，见下方标注。")
        return _edit_page(request, declaration, _with_errors(declaration, errors), checked=True)
    messages.success(request, "草稿已保存。检查通过，可以提交。")
    return _edit_page(request, declaration, _unbound_forms(declaration), checked=True)


def _submit(request, declaration):
    try:
        services.declaration_submit(actor=request.user, declaration_id=declaration.pk)
    except SubmitRejected as rejected:
        messages.error(request, f"未能提交：有 {rejected.errors.count} 处需要修改，见下方标注。")
        return _edit_page(
            request,
            declaration,
            _with_errors(declaration, rejected.errors),
            status=400,
            checked=True,
        )
    messages.success(request, "已提交，等待单位负责人审核。")
    return redirect("approvals:declaration_detail", pk=declaration.pk)


@login_required
@require_POST
@service_errors
def declaration_submit(request, pk):
    return _submit(request, _declaration(request, pk, Action.SUBMIT))


@login_required
@require_POST
@service_errors
def declaration_discard(request, pk):
    drafts.declaration_discard_stash(actor=request.user, declaration_id=pk)
    messages.info(request, "已放弃未保存的输入，显示上次保存的草稿。")
    return redirect("approvals:declaration_edit", pk=pk)


@login_required
@require_POST
@service_errors
def declaration_withdraw_view(request, pk):
    services.declaration_withdraw(actor=request.user, declaration_id=pk)
    messages.success(request, "已撤回，可以修改后重新提交。")
    return redirect("approvals:declaration_detail", pk=pk)


@login_required
@require_POST
@service_errors
def declaration_urge_view(request, pk):
    services.declaration_urge(actor=request.user, declaration_id=pk)
    messages.success(request, "已催办，当前环节的审核人会收到通知。")
    return redirect("approvals:declaration_detail", pk=pk)


@login_required
@require_POST
@service_errors
def declaration_comment_view(request, pk):
    services.declaration_comment(
        actor=request.user, declaration_id=pk, text=request.POST.get("text", "")
    )
    messages.success(request, "评论已记录。")
    return redirect("approvals:declaration_detail", pk=pk)


# --- Printed form, export, history -------------------------------------------------------------


@login_required
def declaration_print(request, pk):
    declaration = _declaration(request, pk)
    return render(
        request,
        "approvals/declaration_print.html",
        {"declaration": declaration, "form": printed_form(declaration)},
    )


@login_required
def declaration_export(request, pk):
    declaration = _declaration(request, pk, Action.EXPORT)
    filename = f"{declaration.fiscal_year}-{declaration.name or declaration.pk}.xlsx"
    return exports.xlsx_response(exports.declaration_workbook(declaration), filename)


@login_required
def declaration_history_view(request, pk):
    declaration = _declaration(request, pk)
    return render(
        request,
        "approvals/declaration_history.html",
        {
            "declaration": declaration,
            "events": selectors.declaration_history(request.user, declaration),
            "stamps": selectors.stamps_for(declaration),
            "can_export_events": permissions.is_overseer(request.user),
        },
    )


# --- Attachments ---------------------------------------------------------------------------------


@login_required
@require_POST
@service_errors
def attachment_upload(request, pk):
    declaration = permissions.find_declaration(request.user, pk, action=Action.ATTACH)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件。")
        return redirect("approvals:declaration_edit", pk=declaration.pk)
    try:
        drafts.attachment_add(
            actor=request.user,
            declaration_id=declaration.pk,
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("approvals:declaration_edit", pk=declaration.pk)
    messages.success(request, "附件已上传。")
    return redirect("approvals:declaration_edit", pk=declaration.pk)


@login_required
def attachment_download(request, pk, attachment_id):
    declaration = _declaration(request, pk)
    attachment = declaration.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("附件不存在。")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
@service_errors
def attachment_delete(request, pk, attachment_id):
    drafts.attachment_remove(actor=request.user, declaration_id=pk, attachment_id=attachment_id)
    messages.success(request, "附件已删除。")
    return redirect("approvals:declaration_edit", pk=pk)
