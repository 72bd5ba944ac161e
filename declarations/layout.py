"""The printed form: a declaration arranged as the official table layout of its kind."""

import calendar
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.utils import timezone

from declarations.content import content_digest
from declarations.formatting import plain_number
from declarations.models import (
    Declaration,
    DeclarationKind,
    DeclarationStatus,
    FundingSource,
    Horizon,
    Indicator,
    Nature,
    Stage,
    Stamp,
)
from declarations.stages import REVIEW_STAGES, stage_index

FISCAL_SOURCES = [
    FundingSource.CENTRAL,
    FundingSource.PROVINCIAL,
    FundingSource.MUNICIPAL,
    FundingSource.LOCAL,
]
# The review boxes each kind's paper form has: seed 000 closes with the competent department's,
# seed 001 with the finance bureau's two sections. Other stamps print as notes under the table.
FORM_OPINION_STAGES: dict[str, tuple[Stage, ...]] = {
    DeclarationKind.PROJECT: (Stage.DEPARTMENT,),
    DeclarationKind.SPECIAL_FUND: (Stage.FINANCE, Stage.PERFORMANCE),
}
# The boxes of 专项属性 on seed 001.
SPECIAL_FUND_NATURES = (Nature.NEW, Nature.CONTINUING)
OPINION_TITLES = {
    Stage.UNIT_HEAD: "单位负责人审核意见",
    Stage.DEPARTMENT: "主管部门审核意见",
    Stage.FINANCE: "财政部门业务股室审核意见",
    Stage.PERFORMANCE: "财政部门监督绩效股审核意见",
}


@dataclass
class IndicatorRow:
    indicator: Indicator
    number: int  # 指标N within its level-2 group
    code: str  # 年度目标01 … within its horizon
    level1_span: int = 0  # rows the level-1 cell spans; 0 when merged into the row above
    level2_span: int = 0


@dataclass
class IndicatorBlock:
    horizon: str
    title: str
    rows: list[IndicatorRow] = field(default_factory=list)


@dataclass
class Opinion:
    stage: str
    title: str
    stamp: Stamp | None
    matches_current: bool | None


def period_display(declaration: Declaration) -> str:
    """As the forms write it: 2020年元月-12月 for a whole year, else the two dates."""
    start, end = declaration.period_start, declaration.period_end
    if not start and not end:
        return ""
    if start and end and start.year == end.year and start.day == 1 and _is_month_end(end):
        first = "元" if start.month == 1 else str(start.month)
        return f"{start.year}年{first}月-{end.month}月"
    return "—".join(f"{d.year}年{d.month}月{d.day}日" if d else "" for d in (start, end))


def _is_month_end(day) -> bool:
    # Not day + 1 day: that overflows on 9999-12-31, which old drafts may hold.
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _spans(rows: list[IndicatorRow]) -> None:
    for _, level1_group in groupby(rows, key=lambda r: r.indicator.level1):
        level1_rows = list(level1_group)
        level1_rows[0].level1_span = len(level1_rows)
        for _, level2_group in groupby(level1_rows, key=lambda r: r.indicator.level2):
            level2_rows = list(level2_group)
            level2_rows[0].level2_span = len(level2_rows)


def indicator_blocks(declaration: Declaration) -> list[IndicatorBlock]:
    indicators = list(declaration.indicators.all())
    blocks = []
    for horizon in (Horizon.ANNUAL, Horizon.LONG_TERM):
        own = [i for i in indicators if i.horizon == horizon]
        if not own:
            continue
        rows: list[IndicatorRow] = []
        for code_number, indicator in enumerate(own, start=1):
            previous = rows[-1] if rows else None
            if previous is not None and previous.indicator.level2 == indicator.level2:
                number = previous.number + 1  # the next of its level-2 group
            else:
                number = 1
            rows.append(
                IndicatorRow(indicator, number, f"{Horizon(horizon).label}{code_number:02d}")
            )
        _spans(rows)
        blocks.append(IndicatorBlock(horizon, str(Horizon(horizon).label), rows))
    return blocks


def _passed(declaration: Declaration, stage: str, current_round: list[Stamp]) -> bool:
    """Whether the declaration's current round has gone past this stage with its approval."""
    status = declaration.status
    if status == DeclarationStatus.APPROVED:
        return True
    if status == DeclarationStatus.SUBMITTED:
        return stage_index(stage) < stage_index(declaration.stage)
    if status == DeclarationStatus.REJECTED:
        reached = max((stage_index(s.stage) for s in current_round), default=0)
        return stage_index(stage) <= reached
    return False  # draft, returned, withdrawn: back with the preparer, no approval stands


def standing_stamps(declaration: Declaration, stamps: list[Stamp] | None = None) -> dict:
    """The stamps that stand now, by stage: those of the current round for the stages it has
    passed (a stage the round entered after, by the jurisdiction's rule, keeps its stamp from an
    earlier round). Every other stamp is history: a returned, withdrawn or re-reviewed round's
    stamps no longer stand."""
    if stamps is None:
        stamps = list(declaration.stamps.order_by("stamped_at", "pk"))
    current_round = [s for s in stamps if s.round == declaration.review_round]
    standing: dict[str, Stamp] = {}
    if declaration.status in (
        DeclarationStatus.SUBMITTED,
        DeclarationStatus.APPROVED,
        DeclarationStatus.REJECTED,
    ):
        for stamp in current_round:
            if stamp.stage == Stage.SUBMISSION:
                standing[Stage.SUBMISSION] = stamp
    for stage in REVIEW_STAGES:
        if not _passed(
            declaration, stage, [s for s in current_round if s.stage != Stage.SUBMISSION]
        ):
            continue
        own = [s for s in current_round if s.stage == stage]
        earlier = [s for s in stamps if s.stage == stage and s.round < declaration.review_round]
        chosen = own or earlier
        if chosen:
            standing[stage] = chosen[-1]
    return standing


def opinions(declaration: Declaration, stamps: list[Stamp] | None = None) -> list[Opinion]:
    """Every review stage's box, with the stamp that stands for it (if any)."""
    latest = standing_stamps(declaration, stamps)
    current = content_digest(declaration) if latest else None
    return [
        Opinion(
            stage=stage,
            title=str(OPINION_TITLES[stage]),
            stamp=latest.get(stage),
            matches_current=(latest[stage].digest == current) if stage in latest else None,
        )
        for stage in REVIEW_STAGES
    ]


def _nature_boxes(declaration: Declaration) -> list[tuple[str, bool]]:
    """专项属性 as seed 001 prints it: 新增项目 and 延续项目, each with its box."""
    return [(str(nature.label), declaration.nature == nature) for nature in SPECIAL_FUND_NATURES]


def printed_form(declaration: Declaration) -> dict:
    """Everything the printed form shows, arranged for the template of its kind."""
    lines = list(declaration.funding_lines.all())
    by_source = {
        source: sum(
            (line.amount or Decimal(0) for line in lines if line.source == source), Decimal(0)
        )
        for source in FundingSource.values
    }
    has_source = {line.source for line in lines}
    goals = list(declaration.goals.all())
    stamps = list(declaration.stamps.order_by("stamped_at", "pk"))
    boxes = opinions(declaration, stamps)
    on_form = FORM_OPINION_STAGES[declaration.kind]
    blocks = indicator_blocks(declaration)
    return {
        "declaration": declaration,
        "is_special_fund": declaration.kind == DeclarationKind.SPECIAL_FUND,
        "natures": _nature_boxes(declaration),
        "nature_outside_boxes": (
            declaration.get_nature_display()
            if declaration.nature and declaration.nature not in SPECIAL_FUND_NATURES
            else ""
        ),
        "title": declaration.form_title,
        "period": period_display(declaration),
        "funding": [
            {
                "label": FundingSource(source).label,
                "amount": plain_number(by_source[source]) if source in has_source else "",
            }
            for source in FISCAL_SOURCES
        ],
        "funding_other": (
            plain_number(by_source[FundingSource.OTHER])
            if FundingSource.OTHER in has_source
            else ""
        ),
        "long_term_goals": [g.text for g in goals if g.horizon == Horizon.LONG_TERM],
        "annual_goals": [g.text for g in goals if g.horizon == Horizon.ANNUAL],
        "goal_rows": 1 + sum(1 for g in goals),
        "indicator_blocks": blocks,
        "long_term_block": next((b for b in blocks if b.horizon == Horizon.LONG_TERM), None),
        "opinions": boxes,
        "form_opinions": [box for box in boxes if box.stage in on_form],
        "other_stamps": [box for box in boxes if box.stage not in on_form and box.stamp],
        "submission": standing_stamps(declaration, stamps).get(Stage.SUBMISSION),
        "printed_at": timezone.localtime(),
    }
