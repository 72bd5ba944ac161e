"""Filters for the inbox: how long a task has waited and how long it has left, in words."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


def _span(delta: timedelta) -> str:
    """A duration as days and hours (or minutes under an hour), e.g. 2天3小时."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时"
    return f"{minutes}分钟"


@register.filter
def waited(since: datetime | None) -> str:
    """How long since the task arrived: 3天2小时."""
    if since is None:
        return ""
    return _span(timezone.now() - since)


@register.filter
def time_left(due: datetime | None) -> str:
    """剩余 1天4小时, or 逾期 2小时 once the due time has passed."""
    if due is None:
        return ""
    left = due - timezone.now()
    if left.total_seconds() < 0:
        return f"逾期 {_span(-left)}"
    return f"剩余 {_span(left)}"
