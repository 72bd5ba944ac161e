"""The rules a declaration must meet before it is submitted; every error reported at once.

Errors are in Chinese and attached to what they concern: a field of the declaration, a whole
table (funding, indicators, goals) or one row of a table, by its index in display order.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from declarations.formatting import plain_number
from declarations.models import (
    LEVEL2_PARENT,
    Declaration,
    DeclarationKind,
    Horizon,
    IndicatorLevel1,
    IndicatorLevel2,
)

COMMON_REQUIRED = ["name", "nature", "basis", "budget"]
# Keyed by str: looked up with the stored kind.
REQUIRED_BY_KIND: dict[str, list[str]] = {
    DeclarationKind.PROJECT: [*COMMON_REQUIRED, "category"],
    DeclarationKind.SPECIAL_FUND: [
        *COMMON_REQUIRED,
        "unit_head_name",
        "period_start",
        "period_end",
        "owner",
        "contact_name",
        "contact_phone",
        "summary",
        "measures",
    ],
}
CHOICE_FIELDS = {"nature"}
# Where the special-fund form names a field differently from the project form.
SPECIAL_FUND_LABELS = {
    "name": "专项名称",
    "nature": "专项属性",
    "budget": "本年度预计投入（万元）",
}


def field_label(kind: str, name: str) -> str:
    """The field's label on the paper form of this kind."""
    if kind == DeclarationKind.SPECIAL_FUND and name in SPECIAL_FUND_LABELS:
        return SPECIAL_FUND_LABELS[name]
    model_field = Declaration._meta.get_field(name)
    # get_field also finds reverse relations, which have no label; the forms name fields only.
    return str(model_field.verbose_name) if isinstance(model_field, models.Field) else name


# The years a declaration's fiscal year and its period may lie in (as Declaration.fiscal_year).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
MSG_DATE_RANGE = f"日期须在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间。"


def is_reasonable_year(year: int) -> bool:
    """Whether a fiscal year or a period's year lies between 2000 and 2100."""
    return EARLIEST_YEAR <= year <= LATEST_YEAR


def validate_period_date(value: date | None) -> None:
    """Refuse a period date outside the years a declaration can cover (edit form and API)."""
    if value is not None and not is_reasonable_year(value.year):
        raise ValidationError(MSG_DATE_RANGE, code="date_out_of_range")


MOBILE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$")
LANDLINE = re.compile(r"^(\(0\d{2,3}\)|0\d{2,3}[- ]?)?[2-9]\d{6,7}([-转]\d{1,6})?$")
PHONE_SEPARATORS = re.compile(r"[、,，;；/]")

MSG_PHONE = "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。"
MSG_PERIOD = "结束时间须晚于开始时间。"
MSG_NO_FUNDING = "请至少填写一项资金来源。"
MSG_FUNDING_SUM = "资金来源合计 {total} 万元，与项目预算 {budget} 万元不一致。"
MSG_AMOUNT_MISSING = "请填写金额。"
MSG_SOURCE_MISSING = "请选择资金来源。"
MSG_LEVEL1_MISSING = "请选择一级指标。"
MSG_LEVEL2_MISSING = "请选择二级指标。"
MSG_NO_INDICATORS = "请至少填写一项绩效指标。"
MSG_MISSING_LEVEL1 = "至少需要一项“{level1}”。"
MSG_LEVEL2_PARENT = "二级指标“{level2}”不属于一级指标“{level1}”。"
MSG_NAME_MISSING = "请填写三级指标。"
MSG_VALUE_MISSING = "定量指标请填写数值。"
MSG_UNIT_MISSING = "定量指标请填写计量单位。"
MSG_TARGET_MISSING = "请填写指标值：选择比较符号并填写数值和单位，或填写定性指标值。"
MSG_TARGET_BOTH = "定量指标值与定性指标值只能填写一种。"
MSG_COST_OVER_BUDGET = "成本指标 {value} 万元超过项目预算 {budget} 万元。"
MSG_NO_GOALS = {
    Horizon.LONG_TERM: "请至少填写一条中长期绩效目标。",
    Horizon.ANNUAL: "请至少填写一条年度绩效目标。",
}
MSG_PENDING_INPUT = "有未保存成功的修改（格式有误），请先修正并保存草稿。"


@dataclass
class SubmitErrors:
    """Errors by field, by table and by table row; empty means the declaration may be submitted."""

    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tables: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, dict[int, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.general or self.count)

    @property
    def count(self) -> int:
        return (
            len(self.general)
            + sum(len(v) for v in self.fields.values())
            + sum(len(v) for v in self.tables.values())
            + sum(len(m) for rows in self.rows.values() for m in rows.values())
        )

    def messages(self) -> list[str]:
        """Every message, flattened, for the API and for summaries."""
        result = list(self.general)
        for messages in self.fields.values():
            result.extend(messages)
        for messages in self.tables.values():
            result.extend(messages)
        for rows in self.rows.values():
            for messages in rows.values():
                result.extend(messages)
        return result

    def as_dict(self) -> dict:
        return {
            "general": list(self.general),
            "fields": {k: list(v) for k, v in self.fields.items() if v},
            "tables": {k: list(v) for k, v in self.tables.items() if v},
            "rows": {
                table: cleaned
                for table, rows in self.rows.items()
                if (cleaned := {index: list(m) for index, m in rows.items() if m})
            },
        }


def is_valid_phone(value: str) -> bool:
    """A Chinese mobile or landline number; several may be separated by 、 or a comma."""
    parts = [part.strip() for part in PHONE_SEPARATORS.split(value) if part.strip()]
    return bool(parts) and all(
        MOBILE.match(part.replace(" ", "")) or LANDLINE.match(part) for part in parts
    )


def validate_for_submit(declaration: Declaration) -> SubmitErrors:
    """Check a saved declaration and all its rows against every submission rule."""
    errors = SubmitErrors()
    if declaration.pending_input:
        errors.general.append(MSG_PENDING_INPUT)
    _check_required(declaration, errors)
    _check_period(declaration, errors)
    _check_phone(declaration, errors)
    _check_funding(declaration, errors)
    _check_goals(declaration, errors)
    _check_indicators(declaration, errors)
    return errors


def _check_required(declaration: Declaration, errors: SubmitErrors) -> None:
    for name in REQUIRED_BY_KIND[declaration.kind]:
        value = getattr(declaration, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            label = field_label(declaration.kind, name)
            verb = "请选择" if name in CHOICE_FIELDS else "请填写"
            errors.fields[name].append(f"{verb}{label}。")


def _check_period(declaration: Declaration, errors: SubmitErrors) -> None:
    start, end = declaration.period_start, declaration.period_end
    if start and end and end <= start:
        errors.fields["period_end"].append(MSG_PERIOD)


def _check_phone(declaration: Declaration, errors: SubmitErrors) -> None:
    phone = declaration.contact_phone.strip()
    if phone and not is_valid_phone(phone):
        errors.fields["contact_phone"].append(MSG_PHONE)


def _check_funding(declaration: Declaration, errors: SubmitErrors) -> None:
    lines = list(declaration.funding_lines.all())
    if not lines:
        if declaration.kind == DeclarationKind.SPECIAL_FUND:
            errors.tables["funding"].append(MSG_NO_FUNDING)
        return
    for index, line in enumerate(lines):
        if not line.source:
            errors.rows["funding"][index].append(MSG_SOURCE_MISSING)
        if line.amount is None:
            errors.rows["funding"][index].append(MSG_AMOUNT_MISSING)
    if declaration.budget is None:
        return
    total = sum((line.amount or Decimal(0) for line in lines), Decimal(0))
    if total != declaration.budget:
        errors.tables["funding"].append(
            MSG_FUNDING_SUM.format(
                total=plain_number(total), budget=plain_number(declaration.budget)
            )
        )


def _check_goals(declaration: Declaration, errors: SubmitErrors) -> None:
    horizons = {goal.horizon for goal in declaration.goals.all() if goal.text.strip()}
    for horizon, message in MSG_NO_GOALS.items():
        if horizon not in horizons:
            errors.tables[f"{horizon}_goals"].append(message)


def _check_indicators(declaration: Declaration, errors: SubmitErrors) -> None:
    indicators = list(declaration.indicators.all())
    if not indicators:
        errors.tables["indicators"].append(MSG_NO_INDICATORS)
        return
    present = {indicator.level1 for indicator in indicators}
    for level1 in IndicatorLevel1:
        if level1 not in present:
            errors.tables["indicators"].append(MSG_MISSING_LEVEL1.format(level1=level1.label))
    for index, indicator in enumerate(indicators):
        errors.rows["indicators"][index].extend(_indicator_errors(indicator, declaration.budget))


def level_pair_error(level1: str, level2: str) -> str:
    """What is wrong when a level-2 indicator is not one of the chosen level 1's; else ""."""
    if level1 not in IndicatorLevel1.values or level2 not in IndicatorLevel2.values:
        return ""
    if LEVEL2_PARENT[IndicatorLevel2(level2)] == level1:
        return ""
    return MSG_LEVEL2_PARENT.format(
        level2=IndicatorLevel2(level2).label, level1=IndicatorLevel1(level1).label
    )


def _indicator_errors(indicator, budget: Decimal | None) -> list[str]:
    messages = []
    if not indicator.level1:
        messages.append(MSG_LEVEL1_MISSING)
    if not indicator.level2:
        messages.append(MSG_LEVEL2_MISSING)
    else:
        mismatch = level_pair_error(indicator.level1, indicator.level2)
        if mismatch:
            messages.append(mismatch)
    if not indicator.name.strip():
        messages.append(MSG_NAME_MISSING)
    if indicator.operator:
        if indicator.value is None:
            messages.append(MSG_VALUE_MISSING)
        if not indicator.unit.strip():
            messages.append(MSG_UNIT_MISSING)
        if indicator.target_text.strip():
            messages.append(MSG_TARGET_BOTH)
        if (
            indicator.level2 == IndicatorLevel2.COST
            and indicator.unit.strip() == "万元"
            and indicator.value is not None
            and budget is not None
            and indicator.value > budget
        ):
            messages.append(
                MSG_COST_OVER_BUDGET.format(
                    value=plain_number(indicator.value), budget=plain_number(budget)
                )
            )
    elif not indicator.target_text.strip():
        messages.append(MSG_TARGET_MISSING)
    return messages
