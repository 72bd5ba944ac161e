from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        # Subscribing to review's events and registering Celery tasks is what apps.ready is
        # for; the imports wait until the models they reach are loaded.
        from notifications import tasks  # noqa: F401
        from notifications.subscriptions import subscribe_to_review_events

        subscribe_to_review_events()
