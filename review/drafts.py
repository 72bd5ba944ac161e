"""What preparers do to a declaration before it goes to review: create, copy, save (even
incomplete, even unparsable input), attach and detach files.

Each service asks the rulebook (review.permissions), locks the declaration, changes it and
writes its audit event in one transaction (review.transaction.service).
"""

import calendar
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.log import record_event
from audit.models import AuditAction
from declarations.attachments import check_upload
from declarations.content import DeclarationContent, content_of, write_content
from declarations.models import Attachment, Declaration, DeclarationKind, Nature
from declarations.validation import is_reasonable_year
from organisations.models import Organisation, Role
from organisations.names import user_full_name
from review import permissions
from review.errors import StaleDeclaration
from review.permissions import Action, NotFound
from review.transaction import service


def _unit_head_name(unit: Organisation) -> str:
    head = (
        unit.memberships.active()
        .filter(role=Role.UNIT_HEAD)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return user_full_name(head.user) if head else ""


def _shift_years(value: date | None, years: int) -> date | None:
    """The same day `years` later (28 February for 29 February in a common year); None when
    that year lies outside those a period may cover, so the copy asks for the date again."""
    if value is None or not is_reasonable_year(value.year + years):
        return None
    year = value.year + years
    return value.replace(year=year, day=min(value.day, calendar.monthrange(year, value.month)[1]))


# --- Creating --------------------------------------------------------------------------------


@service
def declaration_create(
    *, actor, unit: Organisation, fiscal_year: int, kind: str, name: str = ""
) -> Declaration:
    """Start an empty draft for a unit the actor prepares for."""
    grant = permissions.require_preparer(actor, unit)
    if kind not in DeclarationKind.values:
        raise ValidationError({"kind": "请选择申报表类型。"})
    declaration = Declaration.objects.create(
        reporting_unit=unit,
        competent_department=unit.competent_department,
        fiscal_year=fiscal_year,
        kind=kind,
        name=name,
        unit_head_name=_unit_head_name(unit),
        contact_name=user_full_name(actor),
        created_by=actor,
    )
    record_event(
        action=AuditAction.CREATE,
        actor=actor,
        grant=grant,
        declaration=declaration,
        details={"fiscal_year": fiscal_year},
    )
    return declaration


@service
def declaration_copy(*, actor, source_id: int, fiscal_year: int | None = None) -> Declaration:
    """Copy a declaration into a new draft for another year (continuing projects recur yearly)."""
    source, grant = permissions.access_declaration_by_id(actor, source_id, action=Action.COPY)
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
    copy = Declaration.objects.create(
        reporting_unit=source.reporting_unit,
        competent_department=source.reporting_unit.competent_department,
        kind=source.kind,
        fiscal_year=year,
        copied_from=source,
        created_by=actor,
    )
    write_content(copy, content)
    copy.save()
    record_event(
        action=AuditAction.COPY,
        actor=actor,
        grant=grant,
        declaration=copy,
        details={"from": source.pk, "from_year": source.fiscal_year},
    )
    return copy


# --- Editing ---------------------------------------------------------------------------------


@service
def declaration_save(
    *,
    actor,
    declaration_id: int,
    content: DeclarationContent,
    expected_version: int | None = None,
) -> Declaration:
    """Save a draft as typed, complete or not; refuse to overwrite a newer version."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.EDIT, lock=True
    )
    if expected_version is not None and expected_version != declaration.version:
        raise StaleDeclaration(declaration.version)
    write_content(declaration, content)
    declaration.pending_input = None
    declaration.version += 1
    declaration.save()
    record_event(
        action=AuditAction.EDIT,
        actor=actor,
        grant=grant,
        declaration=declaration,
        details={"version": declaration.version},
    )
    return declaration


@service
def declaration_stash_input(*, actor, declaration_id: int, raw: dict) -> Declaration:
    """Keep input that could not be parsed, exactly as typed, until the preparer fixes it."""
    declaration, _grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.EDIT, lock=True
    )
    declaration.pending_input = raw
    declaration.save(update_fields=["pending_input", "updated_at"])
    return declaration


@service
def declaration_discard_stash(*, actor, declaration_id: int) -> Declaration:
    """Drop stashed input and go back to the last saved draft."""
    declaration, _grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.EDIT, lock=True
    )
    declaration.pending_input = None
    declaration.save(update_fields=["pending_input", "updated_at"])
    return declaration


# --- Attachments -----------------------------------------------------------------------------


@service
def attachment_add(*, actor, declaration_id: int, upload, description: str = "") -> Attachment:
    """Attach a PDF, Word, Excel or image file after checking what its content really is."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.ATTACH, lock=True
    )
    checked = check_upload(upload)
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
    record_event(
        action=AuditAction.ATTACH,
        actor=actor,
        grant=grant,
        declaration=declaration,
        details={"name": attachment.original_name, "sha256": checked.sha256},
    )
    return attachment


@service
def attachment_remove(*, actor, declaration_id: int, attachment_id: int) -> None:
    """Remove an attachment from a declaration that is still being prepared."""
    declaration, grant = permissions.access_declaration_by_id(
        actor, declaration_id, action=Action.DETACH, lock=True
    )
    attachment = declaration.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("附件不存在。")
    name, digest = attachment.original_name, attachment.sha256
    stored = attachment.file.name
    attachment.delete()
    declaration.version += 1
    declaration.save(update_fields=["version", "updated_at"])
    record_event(
        action=AuditAction.DETACH,
        actor=actor,
        grant=grant,
        declaration=declaration,
        details={"name": name, "sha256": digest},
    )
    storage = Attachment._meta.get_field("file").storage
    transaction.on_commit(lambda: storage.delete(stored))
