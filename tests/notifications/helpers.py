"""Constants and small helpers for the notification, deadline and digest acceptance tests."""

import re
import time
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from declarations.models import Declaration
from notifications.models import Channel, Delivery, Notification
from review.models import OPEN_STATUSES, ReviewTask

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
