"""The rulebook: the one place that decides who may see and do what.

- Scopes (`declaration_scope`, `task_scope`, `audit_scope`, …) filter every list, export and API
  collection.
- `access_declaration_by_id` and `access_task_by_id` fetch one object for an action and return
  the membership that allows it, so that no caller guesses in which role somebody acts. They raise
  the same NotFound whether the object is missing or hidden.
- `actions_for` says what a person may do to an object: the pages show those buttons, the API
  lists them as `allowed_actions`, and the services check the same rules through `require`.

A refusal is recorded here, once, on the actor's own audit trail (never on a declaration the
actor may not see), and survives the rollback of the change it refused.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.http import Http404

from audit.log import record_refusal
from audit.models import AuditAction
from declarations.models import EDITABLE_STATUSES, Declaration, DeclarationStatus
from declarations.stages import REVIEWER_ROLES, Stage, previous_stage, stage_index
from organisations.memo import remember
from organisations.models import JURISDICTION_ROLES, Membership, Organisation, Role
from organisations.names import display_name
from organisations.selectors import active_memberships, members_with_role
from review.errors import AlreadyHandled
from review.models import OpinionPhrase, ReviewProcess, ReviewTask

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NOTHING = Q(pk__in=[])
EVERYTHING = ~NOTHING
Action = AuditAction  # an action is named as the audit log names it

# Actions on a declaration, and on a review task.
DECLARATION_ACTIONS = (
    Action.VIEW,
    Action.EDIT,
    Action.SUBMIT,
    Action.COPY,
    Action.WITHDRAW,
    Action.URGE,
    Action.COMMENT,
)
TASK_ACTIONS = (
    Action.CLAIM,
    Action.RELEASE,
    Action.APPROVE,
    Action.RETURN,
    Action.REJECT,
    Action.HAND_OVER,
    Action.REASSIGN,
)
DECIDE = (Action.APPROVE, Action.RETURN, Action.REJECT)
# Return to the previous stage: a second, narrower right than returning to the preparer.
RETURN_PREVIOUS = "return_previous"
# Seeing refused attempts in a declaration's history.
VIEW_REFUSALS = "view_refusals"

# Where a reviewer's role lets them see declarations: once these have reached their stage.
REVIEWER_SEES_FROM = {
    Role.DEPARTMENT_REVIEWER: stage_index(Stage.DEPARTMENT),
    Role.FINANCE_REVIEWER: stage_index(Stage.FINANCE),
    Role.PERFORMANCE_REVIEWER: stage_index(Stage.PERFORMANCE),
}


class NotAllowed(PermissionDenied):
    """The actor may see the object but not do this to it (HTTP 403)."""

    def __init__(self, message: str = "您无权执行此操作。"):
        super().__init__(message)
        self.message = message


class NotFound(Http404):
    """Missing or hidden: the same answer either way (HTTP 404)."""

    def __init__(self, message: str = "未找到。"):
        super().__init__(message)
        self.message = message


# --- Who the user is ---------------------------------------------------------------------------


def site_administrator() -> Membership:
    """The grant a superuser acts under: administrator of every jurisdiction (never saved)."""
    return Membership(role=Role.ADMINISTRATOR, organisation=None, jurisdiction=None)


def _memberships(user) -> list[Membership]:
    if not user or not user.is_authenticated or not user.is_active:
        return []
    memberships = list(active_memberships(user))
    if user.is_superuser:
        memberships.append(site_administrator())
    return memberships


def _in_organisation(membership: Membership, *roles: str, organisation_id) -> bool:
    return membership.role in roles and membership.organisation_id == organisation_id


def _oversees(membership: Membership, jurisdiction_id, *roles: str) -> bool:
    """An auditor or administrator whose jurisdiction (or all of them) covers this one."""
    return membership.role in (roles or JURISDICTION_ROLES) and membership.jurisdiction_id in (
        None,
        jurisdiction_id,
    )


def units_prepared_by(user) -> list[Organisation]:
    """The reporting units the user may create declarations for."""
    return [
        m.organisation for m in _memberships(user) if m.role == Role.PREPARER and m.organisation
    ]


def unit_to_prepare_for(user, unit_id: int | None) -> Organisation:
    """The unit a new declaration is for: the one asked for, or the user's only unit. Whether
    the user may prepare for it is decided when the declaration is created (require_preparer)."""
    if unit_id is not None:
        unit = Organisation.objects.filter(pk=unit_id).first()
        if unit is None:  # the same answer as for a unit the user does not prepare for
            message = "只有本单位的填报人可以为该单位填报申报表。"
            _refused(user, Action.CREATE, message, requested={"unit": unit_id})
            raise NotAllowed(message)
        return unit
    units = require_some_unit(user)
    if len(units) == 1:
        return units[0]
    raise ValidationError({"unit": ["您在多个单位任填报人，请指定 unit。"]})


def preparer_grant(user, unit: Organisation) -> Membership | None:
    """The membership that lets the user prepare declarations for this unit."""
    for membership in _memberships(user):
        if _in_organisation(membership, Role.PREPARER, organisation_id=unit.pk):
            return membership
    return None


def home_jurisdiction(user) -> int | None:
    """The one jurisdiction all the user's roles belong to (None: several, or all)."""
    jurisdictions = {m.jurisdiction_id for m in _memberships(user)}
    return jurisdictions.pop() if len(jurisdictions) == 1 else None


# --- Scopes ------------------------------------------------------------------------------------

ALL = None  # oversight of every jurisdiction


def oversight_jurisdictions(user) -> set[int] | None:
    """The jurisdictions the user audits or administers: a set, or ALL (None)."""
    jurisdictions: set[int] = set()
    for membership in _memberships(user):
        if membership.role in JURISDICTION_ROLES:
            if membership.jurisdiction_id is None:
                return ALL
            jurisdictions.add(membership.jurisdiction_id)
    return jurisdictions


def visible_jurisdictions(user) -> set[int] | None:
    """The jurisdictions the user works in or oversees: a set, or ALL (None)."""
    if oversight_jurisdictions(user) is ALL:
        return ALL
    jurisdictions = set()
    for membership in _memberships(user):
        if membership.jurisdiction_id:
            jurisdictions.add(membership.jurisdiction_id)
        elif membership.organisation is not None:
            jurisdictions.add(membership.organisation.jurisdiction_id)
    return jurisdictions


def is_overseer(user) -> bool:
    """Auditors and administrators read the audit log and every task of their jurisdictions."""
    return any(m.role in JURISDICTION_ROLES for m in _memberships(user))


def is_auditor(user) -> bool:
    """Auditors fetch a declaration's audit proof bundle (see `_audit_proof_ruling`)."""
    return any(m.role == Role.AUDITOR for m in _memberships(user))


def _jurisdiction_filter(jurisdictions: set[int] | None, field: str) -> Q:
    return EVERYTHING if jurisdictions is ALL else Q(**{f"{field}__in": sorted(jurisdictions)})


def _membership_scope(membership: Membership) -> Q:
    """Which declarations one role lets its holder see."""
    if membership.role in (Role.PREPARER, Role.UNIT_HEAD):
        return Q(reporting_unit=membership.organisation_id)
    if membership.role == Role.DEPARTMENT_REVIEWER:
        return Q(
            reached_stage__gte=REVIEWER_SEES_FROM[Role.DEPARTMENT_REVIEWER],
            competent_department=membership.organisation_id,
        )
    if membership.role == Role.FINANCE_REVIEWER:
        # The departments the section handles, as ids: filtering through the join walked the
        # whole jurisdiction's list in page order, where the per-department index serves ids.
        departments = Organisation.objects.filter(handled_by=membership.organisation_id)
        return Q(
            reached_stage__gte=REVIEWER_SEES_FROM[Role.FINANCE_REVIEWER],
            competent_department__in=sorted(departments.values_list("pk", flat=True)),
        )
    if membership.role == Role.PERFORMANCE_REVIEWER and membership.organisation is not None:
        return Q(
            reached_stage__gte=REVIEWER_SEES_FROM[Role.PERFORMANCE_REVIEWER],
            reporting_unit__jurisdiction=membership.organisation.jurisdiction_id,
        )
    if membership.role in JURISDICTION_ROLES:
        if membership.jurisdiction_id is None:
            return EVERYTHING
        return Q(reporting_unit__jurisdiction=membership.jurisdiction_id)
    return NOTHING


def declaration_scope(user) -> Q:
    """A filter on declarations for every one the user may see."""
    scope = NOTHING
    for membership in _memberships(user):
        scope |= _membership_scope(membership)
    return scope


def candidate_task_scope(user) -> Q:
    """A filter on review tasks for those whose queue the user belongs to."""
    scope = NOTHING
    for membership in _memberships(user):
        if membership.role in REVIEWER_ROLES and membership.organisation_id:
            scope |= Q(
                candidate_role=membership.role,
                candidate_organisation=membership.organisation_id,
            )
    return scope


def decided_task_scope(user) -> Q:
    """A filter on review tasks for those the user held to the end (decided, or had withdrawn
    from them) in a queue the user still belongs to."""
    if not user or not user.is_authenticated:
        return NOTHING
    return candidate_task_scope(user) & Q(holder=user.pk, open=False)


def own_units(user) -> list[int]:
    """The reporting units whose declarations the user prepares or heads (我发起的)."""
    return sorted(
        {
            m.organisation_id
            for m in _memberships(user)
            if m.role in (Role.PREPARER, Role.UNIT_HEAD) and m.organisation_id
        }
    )


def oversight_task_scope(user) -> Q:
    """A filter on review tasks for all those of the jurisdictions the user oversees."""
    oversight = oversight_jurisdictions(user)
    if oversight is not ALL and not oversight:
        return NOTHING
    return _jurisdiction_filter(oversight, "declaration__reporting_unit__jurisdiction")


def task_scope(user) -> Q:
    """A filter on review tasks for every one the user may see: their queues, their units'
    declarations, and all tasks of the jurisdictions they oversee."""
    scope = candidate_task_scope(user) | oversight_task_scope(user)
    for membership in _memberships(user):
        if membership.role in (Role.PREPARER, Role.UNIT_HEAD):
            scope |= Q(declaration__reporting_unit=membership.organisation_id)
    return scope


def audit_scope(user) -> Q:
    """A filter on audit events: an overseer reads the events of their jurisdictions'
    declarations and their own people's (every event is stamped with its jurisdiction)."""
    oversight = oversight_jurisdictions(user)
    if oversight is not ALL and not oversight:
        return NOTHING
    return _jurisdiction_filter(oversight, "jurisdiction")


def digest_organisation_scope(user) -> Q:
    """A filter on organisations for the weekly digests the user may read: those they review or
    head, and every one of the jurisdictions they oversee."""
    own = {
        m.organisation_id
        for m in _memberships(user)
        if m.organisation_id and m.role not in (Role.PREPARER, *JURISDICTION_ROLES)
    }
    oversight = oversight_jurisdictions(user)
    return Q(pk__in=sorted(own)) | (
        _jurisdiction_filter(oversight, "jurisdiction")
        if oversight is ALL or oversight
        else NOTHING
    )


# --- Rules for one object ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ruling:
    """What the rulebook says about one action: the membership that allows it, or why not."""

    grant: Membership | None = None
    refusal: str = ""
    conflict: str = ""  # allowed in principle, but the object's state says no (HTTP 409)
    hidden: bool = False  # the user may not even see the object (HTTP 404)

    @property
    def allowed(self) -> bool:
        return self.grant is not None


def _refuse(message: str) -> Ruling:
    return Ruling(refusal=message)


def _first(memberships, test: Callable[[Membership], bool]) -> Membership | None:
    return next((m for m in memberships if test(m)), None)


HIDDEN_DECLARATION = Ruling(refusal="申报表不存在。", hidden=True)
HIDDEN_TASK = Ruling(refusal="任务不存在。", hidden=True)


def _sees(membership: Membership, declaration: Declaration) -> bool:
    """Whether this one role lets its holder see the declaration: the scope's own rule."""
    return (
        Declaration.objects.filter(pk=declaration.pk).filter(_membership_scope(membership)).exists()
    )


def _viewer(memberships, declaration: Declaration) -> Membership | None:
    """The membership through which the user sees the declaration."""
    return _first(memberships, lambda m: _sees(m, declaration))


def _declaration_ruling(user, action: str, declaration: Declaration, memberships=None) -> Ruling:
    memberships = _memberships(user) if memberships is None else memberships
    viewer = _viewer(memberships, declaration)
    if viewer is None:
        return HIDDEN_DECLARATION
    if action in (Action.VIEW, Action.EXPORT):
        return Ruling(viewer)
    if action == Action.AUDIT_PROOF:
        return _audit_proof_ruling(memberships, declaration)
    if action == VIEW_REFUSALS:
        overseer = _first(
            memberships, lambda m: _oversees(m, declaration.reporting_unit.jurisdiction_id)
        )
        return (
            Ruling(overseer) if overseer else _refuse("只有审计人员和管理员可以查看被拒绝的操作。")
        )
    preparer = _first(
        memberships,
        lambda m: _in_organisation(m, Role.PREPARER, organisation_id=declaration.reporting_unit_id),
    )
    if action == Action.COPY:
        return Ruling(preparer) if preparer else _refuse("只有本单位的填报人可以复制申报表。")
    if action in (Action.EDIT, Action.SUBMIT, Action.ATTACH, Action.DETACH):
        if preparer is None:
            return _refuse("只有本单位的填报人可以修改草稿或退回的申报表。")
        if declaration.status not in EDITABLE_STATUSES:
            return _refuse(f"申报表当前状态为“{declaration.get_status_display()}”，不能修改。")
        return Ruling(preparer)
    if action in (Action.WITHDRAW, Action.URGE):
        return _submitter_ruling(user, action, declaration, memberships)
    if action == Action.COMMENT:
        commenter = _first(memberships, lambda m: m.role != Role.AUDITOR and _sees(m, declaration))
        return Ruling(commenter) if commenter else _refuse("审计人员只能查看，不能评论。")
    raise ValueError(f"not an action on a declaration: {action}")


def _audit_proof_ruling(memberships, declaration: Declaration) -> Ruling:
    """The proof bundle of a declaration's history: for its jurisdiction's auditors and its own
    unit; hidden (404) from everyone else, as if the declaration did not exist."""
    jurisdiction_id = declaration.reporting_unit.jurisdiction_id
    unit_id = declaration.reporting_unit_id
    grant = _first(
        memberships,
        lambda m: (
            _oversees(m, jurisdiction_id, Role.AUDITOR)
            or _in_organisation(m, Role.PREPARER, Role.UNIT_HEAD, organisation_id=unit_id)
        ),
    )
    return Ruling(grant) if grant else HIDDEN_DECLARATION


def _submitter_ruling(user, action: str, declaration: Declaration, memberships) -> Ruling:
    process = ReviewProcess.objects.current_for(declaration)
    if declaration.status != DeclarationStatus.SUBMITTED or process is None:
        return Ruling(
            conflict="申报表当前不在审核中，无法撤回。"
            if action == Action.WITHDRAW
            else "申报表当前不在审核中，没有可催办的环节。"
        )
    if process.submitted_by_id != user.pk:
        return _refuse(
            "只有提交人可以撤回申报表。" if action == Action.WITHDRAW else "只有提交人可以催办。"
        )
    grant = _first(
        memberships,
        lambda m: _in_organisation(
            m, Role.PREPARER, Role.UNIT_HEAD, organisation_id=declaration.reporting_unit_id
        ),
    ) or _viewer(memberships, declaration)
    tasks = ReviewTask.objects.reviews().filter(process=process)
    if action == Action.WITHDRAW and tasks.filter(status="DONE").exists():
        return Ruling(conflict="审核人已处理该申报表，不能撤回。")
    if action == Action.URGE and not tasks.open().exists():
        return Ruling(conflict="申报表当前不在审核中，没有可催办的环节。")
    return Ruling(grant)


def _candidate(memberships, task: ReviewTask) -> Membership | None:
    return _first(
        memberships,
        lambda m: _in_organisation(
            m, task.candidate_role, organisation_id=task.candidate_organisation_id
        ),
    )


def _task_viewer(memberships, task: ReviewTask) -> Membership | None:
    declaration = task.declaration
    if declaration is None:  # one of the flow's own tasks, not a review: nobody sees it
        return None
    jurisdiction_id = declaration.reporting_unit.jurisdiction_id
    return _candidate(memberships, task) or _first(
        memberships,
        lambda m: (
            _in_organisation(
                m, Role.PREPARER, Role.UNIT_HEAD, organisation_id=declaration.reporting_unit_id
            )
            or _oversees(m, jurisdiction_id)
        ),
    )


def _holder_name(task: ReviewTask) -> str:
    return display_name(task.owner)


def _task_ruling(user, action: str, task: ReviewTask, memberships=None) -> Ruling:
    memberships = _memberships(user) if memberships is None else memberships
    viewer = _task_viewer(memberships, task)
    declaration = task.declaration
    if viewer is None or declaration is None:  # (a task without a declaration has no viewer)
        return HIDDEN_TASK
    if action == Action.VIEW:
        return Ruling(viewer)
    if not task.is_open:
        return Ruling(conflict="该任务已被处理，请刷新查看最新状态。")
    candidate = _candidate(memberships, task)
    administrator = _first(
        memberships,
        lambda m: _oversees(m, declaration.reporting_unit.jurisdiction_id, Role.ADMINISTRATOR),
    )
    held_by_user = task.owner_id == user.pk
    if action == Action.CLAIM:
        if candidate is None:
            return _refuse("您不是该环节的审核人，无权认领此任务。")
        if task.owner_id and not held_by_user:
            return Ruling(conflict=f"该任务已由{_holder_name(task)}认领。")
        return Ruling(candidate)
    if action in (*DECIDE, RETURN_PREVIOUS):
        if candidate is None:
            return _refuse("您不是该环节的审核人，无权处理此任务。")
        if task.owner_id and not held_by_user:
            return _refuse(f"该任务已由{_holder_name(task)}认领，请先由其释放或转交。")
        if action == RETURN_PREVIOUS and previous_stage(task.stage) is None:
            return _refuse("该环节是第一个审核环节，只能退回填报单位。")
        return Ruling(candidate)
    if action == Action.RELEASE:
        if task.owner_id is None:
            return Ruling(conflict="该任务当前无人认领，无需释放。")
        if held_by_user and candidate is not None:
            return Ruling(candidate)
        return (
            Ruling(administrator) if administrator else _refuse("只有认领人或管理员可以释放任务。")
        )
    if action == Action.HAND_OVER:
        if held_by_user and candidate is not None:
            return Ruling(candidate)
        return _refuse("只能移交自己认领的任务。")
    if action == Action.REASSIGN:
        return Ruling(administrator) if administrator else _refuse("只有管理员可以转交任务。")
    raise ValueError(f"not an action on a task: {action}")


def ruling(user, action: str, obj, memberships=None) -> Ruling:
    """What the rulebook says about `user` doing `action` to a declaration or a review task."""
    if isinstance(obj, ReviewTask):
        return _task_ruling(user, action, obj, memberships)
    return _declaration_ruling(user, action, obj, memberships)


def actions_for(user, obj) -> frozenset[str]:
    """Every action the user may take on this declaration or task right now."""
    if isinstance(obj, ReviewTask):
        actions: tuple[str, ...] = (Action.VIEW, *TASK_ACTIONS, RETURN_PREVIOUS)
    else:
        actions = (*DECLARATION_ACTIONS, VIEW_REFUSALS)
    if isinstance(obj, ReviewTask) and obj.owner_id:
        # Claiming a task one holds already is harmless (the service does nothing), not an offer.
        actions = tuple(action for action in actions if action != Action.CLAIM)
    memberships = _memberships(user)
    return frozenset(
        str(action) for action in actions if ruling(user, action, obj, memberships).allowed
    )


# --- Enforcing ---------------------------------------------------------------------------------


def _refused(user, action: str, message: str, *, obj=None, requested: dict | None = None):
    """Record the refusal on the actor's own trail. The object, its stage and the role in which
    the actor sees it only if they may see it (callers pass obj=None when it is hidden); what
    they asked for always."""
    declaration, viewer = None, None
    if obj is not None:
        if isinstance(obj, ReviewTask):
            declaration, viewer = obj.declaration, _task_viewer(_memberships(user), obj)
        else:
            declaration, viewer = obj, _viewer(_memberships(user), obj)
    record_refusal(
        actor=user,
        action=str(action),
        reason=message,
        jurisdiction_id=home_jurisdiction(user),
        declaration_id=declaration.pk if declaration is not None else None,
        stage=obj.stage if declaration is not None else "",
        grant=viewer,
        details={**(requested or {})},
    )


def require(user, action: str, obj, *, requested: dict | None = None) -> Membership:
    """The membership that lets the user do this; else the refusal is recorded and raised
    (NotAllowed, or NotFound when the object is hidden, or AlreadyHandled for a state conflict)."""
    decision = ruling(user, action, obj)
    if decision.grant is not None:
        return decision.grant
    if decision.conflict:
        raise AlreadyHandled(decision.conflict)
    _refused(
        user, action, decision.refusal, obj=None if decision.hidden else obj, requested=requested
    )
    if decision.hidden:
        raise NotFound(decision.refusal)
    raise NotAllowed(decision.refusal)


def require_overseer(user) -> None:
    """Only auditors and administrators read the audit log (the refusal is recorded)."""
    if not is_overseer(user):
        message = "只有审计人员和管理员可以查看审计日志。"
        _refused(user, Action.VIEW, message, requested={"audit_log": True})
        raise NotAllowed(message)


def require_some_unit(user) -> list[Organisation]:
    """The units the user prepares for; a refusal (recorded) when there are none."""
    units = units_prepared_by(user)
    if not units:
        message = "只有填报单位的填报人可以新建申报表。"
        _refused(user, Action.CREATE, message)
        raise NotAllowed(message)
    return units


def require_preparer(user, unit: Organisation) -> Membership:
    """The membership that lets the user prepare declarations for this unit (or a refusal)."""
    grant = preparer_grant(user, unit)
    if grant is None:
        message = "只有本单位的填报人可以为该单位填报申报表。"
        _refused(user, Action.CREATE, message, requested={"unit": unit.pk})
        raise NotAllowed(message)
    return grant


def require_colleague(user, action: str, task: ReviewTask, target: "User | None") -> "User":
    """A task handed over or reassigned goes to an active user who may take it at its stage:
    that user, or the refusal is recorded and raised."""
    if target is None:
        message = "找不到要转交的用户。"
    elif _candidate(_memberships(target), task) is None:
        message = (
            "只能移交给同一组织中具有相同审核角色的同事。"
            if action == Action.HAND_OVER
            else "只能转交给该环节组织中具有相应审核角色的人员。"
        )
    else:
        return target
    requested = {"to": target.get_username()} if target is not None else {}
    _refused(user, action, message, obj=task, requested=requested)
    raise NotAllowed(message)


def colleagues_for(task: ReviewTask):
    """Who may take over the task: the stage's candidates other than its holder."""
    if task.candidate_organisation is None:  # only review tasks have candidates
        return get_user_model().objects.none()
    return members_with_role(task.candidate_role, task.candidate_organisation).exclude(
        pk=task.owner_id
    )


# --- Fetching one object for an action --------------------------------------------------------


def bound_lock_wait() -> None:
    """Wait at most DATABASE_LOCK_TIMEOUT for row locks in this transaction (PostgreSQL; SQLite
    has its busy timeout); past it the request answers 503 with Retry-After (config.busy)."""
    if connection.vendor != "postgresql":
        return
    milliseconds = max(1, round(settings.DATABASE_LOCK_TIMEOUT * 1000))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])


def lock_declaration(declaration_id: int) -> Declaration:
    """Lock the declaration row; every change to it or its tasks happens under this lock."""
    bound_lock_wait()
    declaration = (
        Declaration.objects.select_for_update(of=("self",)).with_related().get(pk=declaration_id)
    )
    # The flow's nodes read the declaration again (review.nodes): they get this row, locked.
    return remember(("declaration", declaration.pk), declaration)


def _not_found(user, action: str, kind: str, object_id) -> NotFound:
    message = "申报表不存在。" if kind == "declaration" else "任务不存在。"
    _refused(user, action, message, requested={kind: object_id})
    return NotFound(message)


def find_declaration(user, declaration_id, *, action: str = Action.VIEW) -> Declaration:
    """The declaration if the user may see it; else the same NotFound whether it is missing or
    hidden, recorded as a refused `action`."""
    declaration = Declaration.objects.with_related().filter(pk=declaration_id).first()
    if declaration is None or _viewer(_memberships(user), declaration) is None:
        raise _not_found(user, action, "declaration", declaration_id)
    return declaration


def access_declaration_by_id(
    user, declaration_id, *, action: str = Action.VIEW, lock: bool = False
) -> tuple[Declaration, Membership]:
    """The declaration and the membership that lets the user do `action` to it. The same
    NotFound whether it is missing or hidden; with lock=True the row is locked first."""
    declaration = find_declaration(user, declaration_id, action=action)
    if lock:
        declaration = lock_declaration(declaration.pk)
    return declaration, require(user, action, declaration)


def access_task_by_id(
    user, task_id, *, action: str = Action.VIEW, lock: bool = False
) -> tuple[ReviewTask, Membership]:
    """The review task (with its declaration) and the membership that lets the user do `action`
    to it. With lock=True the declaration is locked first and the task read again under it."""
    task = (
        ReviewTask.objects.reviews()
        .select_related(
            "declaration__reporting_unit__jurisdiction", "owner", "candidate_organisation"
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None or _task_viewer(_memberships(user), task) is None:
        raise _not_found(user, action, "task", task_id)
    if lock:
        task.declaration = lock_declaration(task.declaration_id)
        task.refresh_from_db(fields=["status", "owner", "assigned", "finished"])
    return task, require(user, action, task)


# --- Opinion phrases -----------------------------------------------------------------------------


def phrase_scope(user) -> Q:
    """The opinion phrases a person may pick and delete: their own, nobody else's."""
    return Q(user_id=user.pk) if user is not None and user.is_authenticated else NOTHING


def access_phrase_by_id(user, phrase_id, *, lock: bool = False) -> OpinionPhrase:
    """One of the user's own phrases; another person's is as missing as one never saved."""
    phrases = OpinionPhrase.objects.filter(phrase_scope(user), pk=phrase_id)
    phrase = (phrases.select_for_update() if lock else phrases).first()
    if phrase is None:
        raise NotFound("常用意见不存在。")
    return phrase
