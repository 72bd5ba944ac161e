"""The review chain, declared once: the stages a declaration passes, in order, who reviews each,
and which organisation that is for a given declaration. The flow, the scopes, the printed form
and the deadlines all read it from here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation, OrganisationKind, Role


class Stage(models.TextChoices):
    """The five places a declaration is stamped, in order."""

    SUBMISSION = "submission", _("填报单位")
    UNIT_HEAD = "unit_head", _("单位负责人")
    DEPARTMENT = "department", _("主管部门")
    FINANCE = "finance", _("财政部门业务股室")
    PERFORMANCE = "performance", _("财政部门监督绩效股")


# The review stages in order, each with the role that reviews it.
REVIEW_CHAIN: tuple[tuple[Stage, str], ...] = (
    (Stage.UNIT_HEAD, Role.UNIT_HEAD),
    (Stage.DEPARTMENT, Role.DEPARTMENT_REVIEWER),
    (Stage.FINANCE, Role.FINANCE_REVIEWER),
    (Stage.PERFORMANCE, Role.PERFORMANCE_REVIEWER),
)
REVIEW_STAGES: tuple[Stage, ...] = tuple(stage for stage, _role in REVIEW_CHAIN)
STAGE_ROLE: dict[str, str] = dict(REVIEW_CHAIN)
REVIEWER_ROLES = frozenset(STAGE_ROLE.values())


def stage_index(stage: str) -> int:
    """1 for the unit head up to 4 for performance supervision; 0 for anything else."""
    return REVIEW_STAGES.index(stage) + 1 if stage in REVIEW_STAGES else 0


def next_stage(stage: str) -> Stage | None:
    """The stage after this one, or None after the last."""
    index = stage_index(stage)
    return REVIEW_STAGES[index] if 0 < index < len(REVIEW_STAGES) else None


def previous_stage(stage: str) -> Stage | None:
    """The stage before this one, or None for the first."""
    index = stage_index(stage)
    return REVIEW_STAGES[index - 2] if index > 1 else None


def opinion_title(stage: str) -> str:
    """The heading of the stage's box on the paper form, e.g. 主管部门审核意见."""
    return f"{Stage(stage).label}审核意见"


class ReviewNotConfigured(Exception):
    """The organisation that should review a stage is missing; an administrator must set it."""


def stage_organisation(declaration, stage: str) -> Organisation:
    """The organisation whose members review this declaration at this stage."""
    unit = declaration.reporting_unit
    department = declaration.competent_department
    if stage == Stage.UNIT_HEAD:
        return unit
    if department is None:
        raise ReviewNotConfigured(f"填报单位“{unit}”没有主管部门，请联系管理员。")
    if stage == Stage.DEPARTMENT:
        return department
    if stage == Stage.FINANCE:
        if department.handled_by is None:
            raise ReviewNotConfigured(f"主管部门“{department}”未配置对口业务股室，请联系管理员。")
        return department.handled_by
    if stage == Stage.PERFORMANCE:
        section = Organisation.objects.filter(
            jurisdiction=unit.jurisdiction_id,
            kind=OrganisationKind.PERFORMANCE_SECTION,
            is_active=True,
        ).first()
        if section is None:
            raise ReviewNotConfigured(f"{unit.jurisdiction}财政局未设置监督绩效股，请联系管理员。")
        return section
    raise ValueError(f"not a review stage: {stage}")
