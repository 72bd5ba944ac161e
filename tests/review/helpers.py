"""Helpers for the review tests: the demo's people by jurisdiction, driving a
declaration through its stages, reading the audit log and the printed form."""

import re
from dataclasses import dataclass
from html import unescape

from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.models import AuditEvent
from declarations.models import Declaration, DeclarationStatus, Stage
from review import services as review
from review.models import OPEN_STATUSES, ReviewTask

PASSWORD = "Demo@2026"
EZ_PROJECT = "市综治中心专项工作经费"
NY_MOVE = "区综治中心搬迁、网络租赁及综治中心日常维护经费"
NY_GRID = "网格化管理工作经费"
SEED_NAMES = [EZ_PROJECT, NY_MOVE, NY_GRID]
REVIEW_STAGES = [Stage.UNIT_HEAD, Stage.DEPARTMENT, Stage.FINANCE, Stage.PERFORMANCE]
OPINION_TITLES = {
    Stage.UNIT_HEAD: "单位负责人审核意见",
    Stage.DEPARTMENT: "主管部门审核意见",
    Stage.FINANCE: "财政部门业务股室审核意见",
    Stage.PERFORMANCE: "财政部门监督绩效股审核意见",
}
STALE_MARK = "盖章时的内容与当前内容不同"


@dataclass(frozen=True)
class People:
    """The demo accounts and seals of one jurisdiction."""

    prefix: str
    unit: str
    department: str
    department_seal: str
    finance: str
    performance: str

    @property
    def preparer(self) -> str:
        return f"{self.prefix}_preparer"

    @property
    def reviewers(self) -> dict[str, str]:
        """Username of the single demo reviewer of each stage."""
        return {
            Stage.UNIT_HEAD: f"{self.prefix}_head",
            Stage.DEPARTMENT: f"{self.prefix}_dept",
            Stage.FINANCE: f"{self.prefix}_finance",
            Stage.PERFORMANCE: f"{self.prefix}_perf",
        }

    @property
    def seals(self) -> dict[str, str]:
        """The seal each stage's stamp must carry."""
        return {
            Stage.SUBMISSION: self.unit,
            Stage.UNIT_HEAD: self.unit,
            Stage.DEPARTMENT: self.department_seal,
            Stage.FINANCE: self.finance,
            Stage.PERFORMANCE: self.performance,
        }


EZ = People(
    prefix="ez",
    unit="鄂州市综治中心（市网格化管理服务中心）",
    department="中共鄂州市委政法委员会",
    department_seal="市委政法委",
    finance="鄂州市财政局行政政法股",
    performance="鄂州市财政局监督绩效股",
)
NY = People(
    prefix="ny",
    unit="南岳区社会治理和网格信息化服务中心",
    department="中共南岳区委政法委员会",
    department_seal="区委政法委",
    finance="南岳区财政局行政政法股",
    performance="南岳区财政局监督绩效股",
)


def people_of(declaration: Declaration) -> People:
    return EZ if declaration.reporting_unit.jurisdiction.code == "ezhou" else NY


# --- Lookups -------------------------------------------------------------------------------


def user(username: str):
    """A fresh user object (roles are cached per object, so never reuse one across changes)."""
    return get_user_model().objects.get(username=username)


def seed(name: str) -> Declaration:
    return Declaration.objects.get(name=name)


def fresh(declaration: Declaration) -> Declaration:
    return Declaration.objects.with_related().get(pk=declaration.pk)


def open_task(declaration: Declaration) -> ReviewTask | None:
    """The review task currently waiting on this declaration, if any."""
    return (
        ReviewTask.objects.filter(
            declaration=declaration, status__in=OPEN_STATUSES, stage__in=REVIEW_STAGES
        )
        .order_by("-pk")
        .first()
    )


def open_tasks(declaration: Declaration) -> list[ReviewTask]:
    return list(
        ReviewTask.objects.filter(
            declaration=declaration, status__in=OPEN_STATUSES, stage__in=REVIEW_STAGES
        )
    )


def events_after(last_pk: int, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=last_pk, **filters).order_by("pk"))


def last_event_pk() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def cn_date(moment) -> str:
    """A stamp's date as the printed form writes it, from its local date."""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


# --- Driving the flow through the services ----------------------------------------------------


def submit(declaration: Declaration) -> Declaration:
    review.declaration_submit(
        actor=user(people_of(declaration).preparer), declaration_id=declaration.pk
    )
    return fresh(declaration)


def reviewer_of(task: ReviewTask) -> str:
    """Who acts on the task: its holder, or the demo reviewer of its stage."""
    if task.owner_id:
        return task.owner.get_username()
    return people_of(task.declaration).reviewers[task.stage]


def approve(declaration: Declaration, opinion: str = "同意") -> ReviewTask:
    """Approve the declaration's open task as the reviewer who holds it."""
    task = open_task(declaration)
    assert task is not None, f"no open task on {declaration}"
    return review.task_approve(actor=user(reviewer_of(task)), task_id=task.pk, opinion=opinion)


def advance_to(declaration: Declaration, stage: str) -> ReviewTask:
    """Submit the declaration if needed and approve it up to `stage`; returns that stage's task."""
    declaration = fresh(declaration)
    if declaration.status != DeclarationStatus.SUBMITTED:
        declaration = submit(declaration)
    while declaration.stage != stage:
        assert declaration.status == DeclarationStatus.SUBMITTED, declaration.status
        approve(declaration)
        declaration = fresh(declaration)
    task = open_task(declaration)
    assert task is not None
    assert task.stage == stage
    return task


def approve_to_end(declaration: Declaration) -> Declaration:
    declaration = fresh(declaration)
    while declaration.status == DeclarationStatus.SUBMITTED:
        approve(declaration)
        declaration = fresh(declaration)
    return declaration


# --- Web helpers ---------------------------------------------------------------------------


def login(client, username: str) -> None:
    client.logout()
    assert client.login(username=username, password=PASSWORD), username


def task_ids_on_page(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/tasks/(\d+)/"', html)}


def opinion_cell(html: str, stage: str) -> str:
    """The text of one stage's opinion box on the printed form (entities decoded)."""
    title = re.escape(OPINION_TITLES[stage])
    match = re.search(
        rf'<td class="label"[^>]*>{title}</td><td[^>]*>(.*?)</td></tr>', html, flags=re.S
    )
    assert match, f"no opinion box {OPINION_TITLES[stage]} on the printed form"
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return re.sub(r"\s+", " ", unescape(text).replace("\xa0", " "))


def page_text(response) -> str:
    return response.content.decode()
