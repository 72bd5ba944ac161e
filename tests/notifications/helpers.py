"""Constants and helpers for the notification, deadline and digest tests, and `Flow`, which
drives the review services committing each call as a request would."""

import re
import time
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from declarations.models import Declaration
from notifications import delivery, digest, sweeps
from notifications.models import Channel, Delivery, Notification
from review import services as review
from review.models import OPEN_STATUSES, ReviewTask
from review.services import declaration_submit
from tests import factories

PASSWORD = "Demo@2026"
SHANGHAI = ZoneInfo("Asia/Shanghai")
EZ_PROJECT = "市综治中心专项工作经费"
NY_MOVE = "区综治中心搬迁、网络租赁及综治中心日常维护经费"
NY_GRID = "网格化管理工作经费"
EZ_UNIT = "鄂州市综治中心（市网格化管理服务中心）"
NY_UNIT = "南岳区社会治理和网格信息化服务中心"
NY_DEPARTMENT = "中共南岳区委政法委员会"
EZ_DEPARTMENT = "中共鄂州市委政法委员会"
REVIEW_STAGES = ("unit_head", "department", "finance", "performance")
NY_REVIEWERS = {
    "unit_head": "ny_head",
    "department": "ny_dept",
    "finance": "ny_finance",
    "performance": "ny_perf",
}
EZ_REVIEWERS = {
    "unit_head": "ez_head",
    "department": "ez_dept",
    "finance": "ez_finance",
    "performance": "ez_perf",
}


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Beijing time (the project's TIME_ZONE)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# The weekly digest's Friday 17:00 in the test week, and the next one.
FRIDAY = at(2026, 3, 6, 17)
NEXT_FRIDAY = at(2026, 3, 13, 17)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def user(username: str):
    """A fresh user object (roles are cached per object)."""
    return get_user_model().objects.get(username=username)


def seed(name: str) -> Declaration:
    return Declaration.objects.get(name=name)


def fresh(declaration: Declaration) -> Declaration:
    return Declaration.objects.get(pk=declaration.pk)


def reviewers_of(declaration: Declaration) -> dict[str, str]:
    code = declaration.reporting_unit.jurisdiction.code
    return EZ_REVIEWERS if code == "ezhou" else NY_REVIEWERS


def preparer_of(declaration: Declaration) -> str:
    code = declaration.reporting_unit.jurisdiction.code
    return "ez_preparer" if code == "ezhou" else "ny_preparer"


def open_task(declaration: Declaration) -> ReviewTask | None:
    """The review task now waiting on the declaration, if any."""
    return (
        ReviewTask.objects.filter(
            declaration=declaration,
            status__in=OPEN_STATUSES,
            stage__in=REVIEW_STAGES,
        )
        .order_by("-pk")
        .first()
    )


def task(pk: int) -> ReviewTask:
    return ReviewTask.objects.get(pk=pk)


def notifications(username: str | None = None, event: str | None = None) -> list[Notification]:
    rows = Notification.objects.order_by("pk")
    if username is not None:
        rows = rows.filter(user__username=username)
    if event is not None:
        rows = rows.filter(event=event)
    return list(rows)


def recipients(event: str, declaration: Declaration | None = None) -> list[str]:
    """Usernames notified of an event, one entry per notification (duplicates stay visible)."""
    rows = Notification.objects.filter(event=event)
    if declaration is not None:
        rows = rows.filter(declaration=declaration)
    return sorted(rows.values_list("user__username", flat=True))


def email_deliveries(status: str | None = None) -> list[Delivery]:
    rows = Delivery.objects.filter(channel=Channel.EMAIL).order_by("pk")
    if status is not None:
        rows = rows.filter(status=status)
    return list(rows)


def audit_events(action: str, declaration: Declaration | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(action=action).order_by("pk")
    if declaration is not None:
        rows = rows.filter(declaration=declaration)
    return list(rows)


def text_of(response) -> str:
    """A page's visible text: tags stripped, entities decoded, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text)


def header_badge(response) -> int | None:
    """The unread count the navigation shows next to 通知, or None when it shows none."""
    html = response.content.decode()
    match = re.search(r'<header class="top">(.*?)</header>', html, flags=re.S)
    assert match, "no navigation header on the page"
    link = re.search(r'href="/notifications/"[^>]*>(.*?)</a>', match.group(1), flags=re.S)
    assert link, "no 通知 link in the navigation"
    badge = re.search(r'<span class="badge[^"]*">\s*(\d+)\s*</span>', link.group(1))
    return int(badge.group(1)) if badge else None


def wait_for(condition, timeout: float = 20.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def timed(call):
    """(what call() returned, the seconds it took)."""
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def member(username: str, role: str, organisation=None, jurisdiction=None):
    """A new account with the demo password and one membership; returns the user."""
    account = factories.UserFactory(username=username, first_name=username)
    account.set_password(PASSWORD)
    account.save()
    return factories.MembershipFactory(
        user=account, role=role, organisation=organisation, jurisdiction=jurisdiction
    ).user


class Flow:
    """The review services, each call committed as a request would be."""

    def __init__(self, capture):
        self._capture = capture

    def commit(self, fn, *args, **kwargs):
        """Call fn and then run the on_commit callbacks it registered, as a commit would."""
        with self._capture(execute=True):
            return fn(*args, **kwargs)

    def submit(self, declaration, username: str | None = None):
        """Submit as the unit's preparer; returns the first review task."""
        self.commit(
            declaration_submit,
            actor=user(username or preparer_of(declaration)),
            declaration_id=declaration.pk,
        )
        return open_task(declaration)

    def _actor_of(self, declaration, username):
        current = open_task(declaration)
        assert current is not None, f"no open task on {declaration}"
        if username is None:
            username = (
                current.owner.get_username()
                if current.owner_id
                else reviewers_of(declaration)[current.stage]
            )
        return current, user(username)

    def approve(self, declaration, username: str | None = None, opinion: str = "同意"):
        """Approve the open task; returns the next open task (None once the review ended)."""
        current, actor = self._actor_of(declaration, username)
        self.commit(review.task_approve, actor=actor, task_id=current.pk, opinion=opinion)
        return open_task(declaration)

    def return_(self, declaration, opinion: str = "请补充绩效指标的确定依据", to: str = "preparer"):
        current, actor = self._actor_of(declaration, None)
        self.commit(review.task_return, actor=actor, task_id=current.pk, opinion=opinion, to=to)
        return current

    def reject(self, declaration, opinion: str = "不符合专项资金支持范围"):
        current, actor = self._actor_of(declaration, None)
        self.commit(review.task_reject, actor=actor, task_id=current.pk, opinion=opinion)
        return current

    def urge(self, declaration, username: str | None = None):
        self.commit(
            review.declaration_urge,
            actor=user(username or preparer_of(declaration)),
            declaration_id=declaration.pk,
        )

    def sweep(self, now=None):
        return self.commit(sweeps.sweep_deadlines, now)

    def deliver_due(self, now=None):
        return self.commit(delivery.deliver_due, now)

    def send_digest(self, now=None):
        return self.commit(digest.send_weekly_digest, now)
