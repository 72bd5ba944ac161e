"""The one place that decides who may see and do what. Services and selectors both ask here."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from declarations.models import Declaration
from organisations.models import Membership, Organisation, Role

NOTHING = Q(pk__in=[])


class NotAllowed(PermissionDenied):
    """The actor may see the object but not do this to it (HTTP 403)."""

    def __init__(self, message: str = "您无权执行此操作。"):
        super().__init__(message)
        self.message = message


def active_memberships(user) -> list[Membership]:
    """The user's active roles, loaded once per user object."""
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_active_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.active()
            .filter(user=user)
            .select_related("organisation", "organisation__jurisdiction", "jurisdiction")
        )
        user._active_memberships = cached
    return cached


def organisations_where(user, *roles: str) -> list[Organisation]:
    return [m.organisation for m in active_memberships(user) if m.role in roles and m.organisation]


def has_role(user, role: str) -> bool:
    return any(m.role == role for m in active_memberships(user))


def _membership_scope(membership: Membership) -> Q:
    """Which declarations one role lets its holder see."""
    # Reviewers see a declaration once it has reached their stage, and from then on.
    org = membership.organisation
    if membership.role in (Role.PREPARER, Role.UNIT_HEAD):
        return Q(reporting_unit=org)
    if membership.role == Role.DEPARTMENT_REVIEWER:
        return Q(reached_stage__gte=2, competent_department=org)
    if membership.role == Role.FINANCE_REVIEWER:
        return Q(reached_stage__gte=3, competent_department__handled_by=org)
    if membership.role == Role.PERFORMANCE_REVIEWER:
        return Q(reached_stage__gte=4, reporting_unit__jurisdiction=org.jurisdiction_id)
    if membership.role in (Role.AUDITOR, Role.ADMINISTRATOR):
        if membership.jurisdiction_id is None:
            return ~NOTHING
        return Q(reporting_unit__jurisdiction=membership.jurisdiction_id)
    return NOTHING


def declaration_scope(user) -> Q:
    """A filter for every declaration the user may see."""
    if not user or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return ~NOTHING
    scope = NOTHING
    for membership in active_memberships(user):
        scope |= _membership_scope(membership)
    return scope


def can_prepare_for(user, unit: Organisation) -> bool:
    return any(
        m.role == Role.PREPARER and m.organisation_id == unit.pk for m in active_memberships(user)
    )


def can_edit_declaration(user, declaration: Declaration) -> bool:
    return declaration.is_editable and can_prepare_for(user, declaration.reporting_unit)


def require_can_prepare_for(user, unit: Organisation) -> None:
    if not can_prepare_for(user, unit):
        raise NotAllowed("只有本单位的填报人可以为该单位填报申报表。")


def require_can_edit(user, declaration: Declaration) -> None:
    if not can_prepare_for(user, declaration.reporting_unit):
        raise NotAllowed("只有本单位的填报人可以修改申报表。")
    if not declaration.is_editable:
        raise NotAllowed(f"申报表当前状态为“{declaration.get_status_display()}”，不能修改。")


# --- Review tasks ------------------------------------------------------------------------------

STAGE_ROLE = {
    "unit_head": Role.UNIT_HEAD,
    "department": Role.DEPARTMENT_REVIEWER,
    "finance": Role.FINANCE_REVIEWER,
    "performance": Role.PERFORMANCE_REVIEWER,
}


class ReviewNotConfigured(Exception):
    """The organisation that should review a stage is missing; an administrator must set it."""


def stage_organisation(declaration: Declaration, stage: str) -> Organisation:
    """The organisation whose members review this declaration at this stage."""
    unit = declaration.reporting_unit
    department = declaration.competent_department
    if stage == "unit_head":
        return unit
    if department is None:
        raise ReviewNotConfigured(f"填报单位“{unit}”没有主管部门，请联系管理员。")
    if stage == "department":
        return department
    if stage == "finance":
        if department.handled_by is None:
            raise ReviewNotConfigured(f"主管部门“{department}”未配置对口业务股室，请联系管理员。")
        return department.handled_by
    if stage == "performance":
        section = Organisation.objects.filter(
            jurisdiction=unit.jurisdiction_id, kind="performance_section", is_active=True
        ).first()
        if section is None:
            raise ReviewNotConfigured(f"{unit.jurisdiction}财政局未设置监督绩效股，请联系管理员。")
        return section
    raise ValueError(f"not a review stage: {stage}")


def stage_candidates(declaration: Declaration, stage: str) -> tuple[str, Organisation]:
    return STAGE_ROLE[stage], stage_organisation(declaration, stage)


def candidates_for_stage(role: str, organisation: Organisation):
    """The active users who hold the role in the organisation."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role=role,
            memberships__organisation=organisation,
        )
        .distinct()
        .order_by("pk")
    )


def is_candidate(user, task) -> bool:
    """Whether the user holds the role the task's stage needs, in the task's organisation."""
    return any(
        m.role == task.candidate_role and m.organisation_id == task.candidate_organisation_id
        for m in active_memberships(user)
    )


def candidate_task_scope(user) -> Q:
    """A filter on review tasks for those whose queue the user belongs to."""
    scope = NOTHING
    for membership in active_memberships(user):
        if membership.role in STAGE_ROLE.values() and membership.organisation_id:
            scope |= Q(
                candidate_role=membership.role,
                candidate_organisation=membership.organisation_id,
            )
    return scope


def is_administrator_of(user, declaration: Declaration) -> bool:
    if user.is_superuser:
        return True
    return any(
        m.role == Role.ADMINISTRATOR
        and m.jurisdiction_id in (None, declaration.reporting_unit.jurisdiction_id)
        for m in active_memberships(user)
    )


def is_auditor_of(user, declaration: Declaration) -> bool:
    return any(
        m.role == Role.AUDITOR
        and m.jurisdiction_id in (None, declaration.reporting_unit.jurisdiction_id)
        for m in active_memberships(user)
    )


def require_can_decide(user, task) -> None:
    """Approve, return or reject: a candidate of the stage, and the holder if it is claimed."""
    if not is_candidate(user, task):
        raise NotAllowed("您不是该环节的审核人，无权处理此任务。")
    if task.owner_id and task.owner_id != user.pk:
        raise NotAllowed(
            f"该任务已由{task.owner.get_full_name() or task.owner}认领，请先由其释放或转交。"
        )


def require_can_claim(user, task) -> None:
    if not is_candidate(user, task):
        raise NotAllowed("您不是该环节的审核人，无权认领此任务。")


def require_can_release(user, task) -> None:
    holder = task.owner_id == user.pk and is_candidate(user, task)
    if not holder and not is_administrator_of(user, task.declaration):
        raise NotAllowed("只有认领人或管理员可以释放任务。")


def require_can_hand_over(user, task, target) -> None:
    if task.owner_id != user.pk or not is_candidate(user, task):
        raise NotAllowed("只能移交自己认领的任务。")
    if not is_candidate(target, task):
        raise NotAllowed("只能移交给同一组织中具有相同审核角色的同事。")


def require_can_reassign(user, task, target) -> None:
    if not is_administrator_of(user, task.declaration):
        raise NotAllowed("只有管理员可以转交任务。")
    if not is_candidate(target, task):
        raise NotAllowed("只能转交给该环节组织中具有相应审核角色的人员。")


def require_can_withdraw(user, declaration: Declaration, process) -> None:
    if process is None or process.submitted_by_id != user.pk:
        raise NotAllowed("只有提交人可以撤回申报表。")


def can_see_task(user, task) -> bool:
    """Candidates, the holder, the declaring unit's own people, and administrators and
    auditors of the jurisdiction see a task; nobody else learns that it exists."""
    # The holder sees it as a candidate: someone who lost the role loses the task with it.
    unit_id = task.declaration.reporting_unit_id
    return (
        is_candidate(user, task)
        or any(
            m.role in (Role.PREPARER, Role.UNIT_HEAD) and m.organisation_id == unit_id
            for m in active_memberships(user)
        )
        or is_administrator_of(user, task.declaration)
        or is_auditor_of(user, task.declaration)
    )
