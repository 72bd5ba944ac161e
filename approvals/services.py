"""Every change of state of a declaration, one function each.

Each service checks the actor's right (approvals.permissions), locks the declaration, changes
it, writes the audit event(s) and schedules side effects on commit. A refused attempt is
audited after its transaction has rolled back, so the refusal itself is never lost.
"""

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from approvals.attachments import check_upload
from approvals.content import DECLARATION_FIELDS, DeclarationContent, content_of
from approvals.models import (
    Attachment,
    Declaration,
    DeclarationKind,
    FundingLine,
    Goal,
    Horizon,
    Indicator,
    Nature,
    Organisation,
    Role,
)
from approvals.permissions import (
    NotAllowed,
    active_memberships,
    require_can_edit,
    require_can_prepare_for,
)
from approvals.selectors import declaration_for
from approvals.validation import SubmitErrors, is_reasonable_year, validate_for_submit
from workflow.audit import record_event
from workflow.models import AuditAction, AuditResult


class StaleDeclaration(Exception):
    """Someone saved the declaration since this form was opened."""

    def __init__(self, current_version: int):
        super().__init__(
            f"申报表已被他人修改（当前版本 {current_version}），您的输入已暂存，请核对后再保存。"
        )
        self.current_version = current_version


class SubmitRejected(Exception):
    """The declaration does not meet the submission rules; `errors` says where."""

    def __init__(self, errors: SubmitErrors):
        super().__init__(f"申报表有 {errors.count} 处需要修改，未能提交。")
        self.errors = errors


@dataclass(frozen=True)
class Acting:
    """The role and organisation an actor acts in, as the audit log records them."""

    role: str = ""
    organisation: Organisation | None = None


def acting_for_unit(actor, unit: Organisation | None) -> Acting:
    """The actor's role in a reporting unit, or their first role, for the audit record."""
    memberships = active_memberships(actor)
    for membership in memberships:
        if unit is not None and membership.organisation_id == unit.pk:
            return Acting(membership.role, membership.organisation)
    if memberships:
        return Acting(memberships[0].role, memberships[0].organisation)
    if actor is not None and actor.is_superuser:
        return Acting(Role.ADMINISTRATOR, None)
    return Acting()


def record_refusal(
    *, actor, action: str, refusal: Exception, declaration_id=None, stage=None, details=None
) -> None:
    """Audit one refused attempt, and mark the exception so that nobody audits it again."""
    declaration = (
        Declaration.objects.filter(pk=declaration_id).select_related("reporting_unit").first()
        if declaration_id
        else None
    )
    acting = acting_for_unit(actor, declaration.reporting_unit if declaration else None)
    if stage is None:
        # A 404 was an attempt on something outside the actor's scope: record which object,
        # but not where it stands, since the actor's own auditors read this event.
        visible = declaration is not None and not isinstance(refusal, Http404)
        stage = declaration.stage if visible else ""
    reason = str(getattr(refusal, "message", "") or refusal) or "not found"
    record_event(
        action=action,
        actor=actor,
        result=AuditResult.REFUSED,
        declaration=declaration,
        stage=stage,
        role=acting.role,
        organisation=acting.organisation,
        details={
            "reason": reason,
            **(details or {}),
        },
    )
    refusal.audited = True


@contextmanager
def refusals_audited(
    *, actor, action: str, declaration_id=None, stage: str = "", details: dict | None = None
) -> Iterator[None]:
    """Audit a refused attempt (403 or out-of-scope 404) after the service's rollback."""
    try:
        yield
    except (NotAllowed, Http404) as refusal:
        record_refusal(
            actor=actor,
            action=action,
            refusal=refusal,
            declaration_id=declaration_id,
            stage=stage,
            details=details,
        )
        raise


def _audit(action: str, actor, declaration: Declaration, **fields) -> None:
    acting = acting_for_unit(actor, declaration.reporting_unit)
    record_event(
        action=action,
        actor=actor,
        declaration=declaration,
        role=fields.pop("role", acting.role),
        organisation=fields.pop("organisation", acting.organisation),
        **fields,
    )


def _unit_head_name(unit: Organisation) -> str:
    head = (
        unit.memberships.active()
        .filter(role=Role.UNIT_HEAD)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return head.user.get_full_name() if head else ""


# --- Creating --------------------------------------------------------------------------------


def declaration_create(
    *, actor, unit: Organisation, fiscal_year: int, kind: str, name: str = ""
) -> Declaration:
    """Start an empty draft for a unit the actor prepares for."""
    with refusals_audited(actor=actor, action=AuditAction.CREATE):
        require_can_prepare_for(actor, unit)
        if kind not in DeclarationKind.values:
            raise ValidationError({"kind": "请选择申报表类型。"})
        with transaction.atomic():
            declaration = Declaration.objects.create(
                reporting_unit=unit,
                competent_department=unit.competent_department,
                fiscal_year=fiscal_year,
                kind=kind,
                name=name,
                unit_head_name=_unit_head_name(unit),
                contact_name=actor.get_full_name(),
                created_by=actor,
            )
            _audit(AuditAction.CREATE, actor, declaration, details={"fiscal_year": fiscal_year})
    return declaration


def declaration_copy(*, actor, source_id: int, fiscal_year: int | None = None) -> Declaration:
    """Copy a declaration into a new draft for another year (continuing projects recur yearly)."""
    with refusals_audited(actor=actor, action=AuditAction.COPY, declaration_id=source_id):
        source = declaration_for(actor, source_id)
        require_can_prepare_for(actor, source.reporting_unit)
        year = fiscal_year or source.fiscal_year + 1
        if not is_reasonable_year(year):
            raise ValidationError("年度须在 2000 至 2100 之间。")
        duplicate = Declaration.objects.filter(
            reporting_unit=source.reporting_unit, fiscal_year=year, name=source.name
        ).exclude(name="")
        if duplicate.exists():
            raise ValidationError(f"本单位{year}年度已有同名申报表“{source.name}”，未重复复制。")
        content = content_of(source)
        shift = year - source.fiscal_year
        content.fields.update(
            fiscal_year=year,
            period_start=_shift_years(content.fields["period_start"], shift),
            period_end=_shift_years(content.fields["period_end"], shift),
            nature=Nature.CONTINUING if source.nature == Nature.NEW else source.nature,
        )
        with transaction.atomic():
            copy = Declaration.objects.create(
                reporting_unit=source.reporting_unit,
                competent_department=source.reporting_unit.competent_department,
                kind=source.kind,
                fiscal_year=year,
                copied_from=source,
                created_by=actor,
            )
            _write_content(copy, content)
            copy.save()
            _audit(
                AuditAction.COPY,
                actor,
                copy,
                details={"from": source.pk, "from_year": source.fiscal_year},
            )
    return copy


def _shift_years(value, years: int):
    """The same day `years` later (28 February for 29 February in a common year); None when
    that year lies outside those a period may cover, so the copy asks for the date again."""
    if value is None or not is_reasonable_year(value.year + years):
        return None
    year = value.year + years
    return value.replace(year=year, day=min(value.day, calendar.monthrange(year, value.month)[1]))


# --- Editing ---------------------------------------------------------------------------------


def _write_content(declaration: Declaration, content: DeclarationContent) -> None:
    """Replace the declaration's fields and rows with the given content (no save of the row)."""
    for name in DECLARATION_FIELDS:
        if name in content.fields:
            value = content.fields[name]
            setattr(declaration, name, "" if value is None and _is_text(name) else value)
    declaration.funding_lines.all().delete()
    declaration.indicators.all().delete()
    declaration.goals.all().delete()
    FundingLine.objects.bulk_create(
        FundingLine(declaration=declaration, position=i, **line)
        for i, line in enumerate(content.funding_lines)
    )
    Indicator.objects.bulk_create(
        Indicator(declaration=declaration, position=i, **_blank_to_empty(row))
        for i, row in enumerate(content.indicators)
    )
    Goal.objects.bulk_create(
        Goal(declaration=declaration, horizon=horizon, position=i, text=text)
        for horizon in (Horizon.LONG_TERM, Horizon.ANNUAL)
        for i, text in enumerate(content.goals(horizon))
    )


def _is_text(name: str) -> bool:
    return Declaration._meta.get_field(name).get_internal_type() in ("CharField", "TextField")


def _blank_to_empty(row: dict) -> dict:
    return {k: ("" if v is None and k != "value" else v) for k, v in row.items()}


def _lock_editable(actor, declaration_id: int) -> Declaration:
    declaration = declaration_for(actor, declaration_id, lock=True)
    require_can_edit(actor, declaration)
    return declaration


def declaration_save(
    *,
    actor,
    declaration_id: int,
    content: DeclarationContent,
    expected_version: int | None = None,
) -> Declaration:
    """Save a draft as typed, complete or not; refuse to overwrite a newer version."""
    with (
        refusals_audited(actor=actor, action=AuditAction.EDIT, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration = _lock_editable(actor, declaration_id)
        if expected_version is not None and expected_version != declaration.version:
            raise StaleDeclaration(declaration.version)
        _write_content(declaration, content)
        declaration.pending_input = None
        declaration.version += 1
        declaration.save()
        _audit(AuditAction.EDIT, actor, declaration, details={"version": declaration.version})
    return declaration


def declaration_stash_input(*, actor, declaration_id: int, raw: dict) -> Declaration:
    """Keep input that could not be parsed, exactly as typed, until the preparer fixes it."""
    with (
        refusals_audited(actor=actor, action=AuditAction.EDIT, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration = _lock_editable(actor, declaration_id)
        declaration.pending_input = raw
        declaration.save(update_fields=["pending_input", "updated_at"])
    return declaration


def declaration_discard_stash(*, actor, declaration_id: int) -> Declaration:
    """Drop stashed input and go back to the last saved draft."""
    with transaction.atomic():
        declaration = _lock_editable(actor, declaration_id)
        declaration.pending_input = None
        declaration.save(update_fields=["pending_input", "updated_at"])
    return declaration


# --- Submitting ------------------------------------------------------------------------------


def declaration_submit(*, actor, declaration_id: int) -> Declaration:
    """Validate and submit a draft: it locks and enters review at the unit head."""
    with (
        refusals_audited(actor=actor, action=AuditAction.SUBMIT, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration = _lock_editable(actor, declaration_id)
        errors = validate_for_submit(declaration)
        if errors:
            raise SubmitRejected(errors)
        from approvals.review import begin_review  # review builds on these services

        begin_review(declaration=declaration, actor=actor)
    return declaration


# --- Attachments -----------------------------------------------------------------------------


def attachment_add(*, actor, declaration_id: int, upload, description: str = "") -> Attachment:
    """Attach a PDF, Word, Excel or image file after checking what its content really is."""
    with refusals_audited(actor=actor, action=AuditAction.ATTACH, declaration_id=declaration_id):
        checked = check_upload(upload)
        with transaction.atomic():
            declaration = _lock_editable(actor, declaration_id)
            attachment = Attachment(
                declaration=declaration,
                original_name=upload.name[:255],
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                description=description[:200],
                uploaded_by=actor,
            )
            attachment.file.save(upload.name, upload, save=False)
            attachment.save()
            # Attachments are part of the content that stamps bind.
            declaration.version += 1
            declaration.save(update_fields=["version", "updated_at"])
            _audit(
                AuditAction.ATTACH,
                actor,
                declaration,
                details={"name": attachment.original_name, "sha256": checked.sha256},
            )
    return attachment


def attachment_remove(*, actor, declaration_id: int, attachment_id: int) -> None:
    """Remove an attachment from a declaration that is still being prepared."""
    with (
        refusals_audited(actor=actor, action=AuditAction.DETACH, declaration_id=declaration_id),
        transaction.atomic(),
    ):
        declaration = _lock_editable(actor, declaration_id)
        attachment = declaration.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404("附件不存在。")
        name, digest = attachment.original_name, attachment.sha256
        stored = attachment.file.name
        attachment.delete()
        declaration.version += 1
        declaration.save(update_fields=["version", "updated_at"])
        _audit(AuditAction.DETACH, actor, declaration, details={"name": name, "sha256": digest})
        storage = Attachment._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(stored))
