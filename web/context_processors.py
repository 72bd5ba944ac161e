from notifications.models import Notification
from review.permissions import is_overseer


def roles(request):
    """What the navigation shows: the audit log link and the unread notification count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_overseer": is_overseer(user),
        "unread_notifications": Notification.objects.filter(
            user=user, read_at__isnull=True, show_in_app=True
        ).count(),
    }
