from notifications.models import Notification
from review.permissions import is_overseer
from review.selectors import BADGE_CAP, badge, capped_count, open_task_badge


def roles(request):
    """What the navigation shows: the audit log link, the waiting tasks and the unread
    notification count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_overseer": is_overseer(user),
        # The menu's count of waiting tasks: capped, so it costs the same for any queue.
        "open_tasks_badge": open_task_badge(user),
        "unread_notifications": _unread_badge(user),
    }


def _unread_badge(user) -> str:
    """The menu's count of unread notices, capped like the tasks' ("99+"): counting a busy
    reviewer's ten thousand unread notices on every page cost more than the page's list."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True, show_in_app=True)
    return badge(capped_count(unread, BADGE_CAP))
