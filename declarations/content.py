"""A declaration's content as plain data: what is saved, copied, exported and digested."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models

from declarations.formatting import plain_number
from declarations.models import Declaration, FundingLine, Goal, Horizon, Indicator

# The declaration's own fields a preparer edits, in form order.
DECLARATION_FIELDS = [
    "fiscal_year",
    "name",
    "category",
    "nature",
    "period_start",
    "period_end",
    "unit_head_name",
    "owner",
    "contact_name",
    "contact_phone",
    "summary",
    "basis",
    "budget",
    "measures",
    "remarks",
]
FUNDING_FIELDS = ["source", "amount"]
INDICATOR_FIELDS = [
    "horizon",
    "level1",
    "level2",
    "name",
    "operator",
    "value",
    "unit",
    "target_text",
    "basis",
]


@dataclass
class DeclarationContent:
    """Everything a preparer types, as one value: fields, funding lines, indicators, goals."""

    fields: dict = field(default_factory=dict)
    funding_lines: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    long_term_goals: list[str] = field(default_factory=list)
    annual_goals: list[str] = field(default_factory=list)

    def goals(self, horizon: str) -> list[str]:
        return self.long_term_goals if horizon == Horizon.LONG_TERM else self.annual_goals


def content_of(declaration: Declaration) -> DeclarationContent:
    """Read a saved declaration back into a DeclarationContent."""
    goals = list(declaration.goals.all())
    return DeclarationContent(
        fields={name: getattr(declaration, name) for name in DECLARATION_FIELDS},
        funding_lines=[
            {name: getattr(line, name) for name in FUNDING_FIELDS}
            for line in declaration.funding_lines.all()
        ],
        indicators=[
            {name: getattr(row, name) for name in INDICATOR_FIELDS}
            for row in declaration.indicators.all()
        ],
        long_term_goals=[g.text for g in goals if g.horizon == Horizon.LONG_TERM],
        annual_goals=[g.text for g in goals if g.horizon == Horizon.ANNUAL],
    )


def _canonical_value(value):
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_content(declaration: Declaration) -> dict:
    """The content that a stamp binds: every field, row and attachment, in a stable form."""
    content = content_of(declaration)

    def clean(mapping: dict) -> dict:
        return {key: _canonical_value(value) for key, value in sorted(mapping.items())}

    return {
        "id": declaration.pk,
        "kind": declaration.kind,
        "reporting_unit": declaration.reporting_unit_id,
        "competent_department": declaration.competent_department_id,
        "fields": clean(content.fields),
        "funding_lines": [clean(line) for line in content.funding_lines],
        "indicators": [clean(row) for row in content.indicators],
        "long_term_goals": content.long_term_goals,
        "annual_goals": content.annual_goals,
        "attachments": sorted([a.original_name, a.sha256] for a in declaration.attachments.all()),
    }


def content_digest(declaration: Declaration) -> str:
    """SHA-256 of the canonical content, as hex."""
    payload = json.dumps(
        canonical_content(declaration), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def write_content(declaration: Declaration, content: DeclarationContent) -> None:
    """Replace the declaration's fields and rows with the given content (the row itself is not
    saved: the caller saves it with its version)."""
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
    model_field = Declaration._meta.get_field(name)
    return isinstance(model_field, models.Field) and model_field.get_internal_type() in (
        "CharField",
        "TextField",
    )


def _blank_to_empty(row: dict) -> dict:
    return {k: ("" if v is None and k != "value" else v) for k, v in row.items()}
