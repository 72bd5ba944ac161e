from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        # Subscribing to review's events is what apps.ready is for; the import waits until the
        # models it reaches are loaded.
        from notifications.subscriptions import subscribe_to_review_events

        subscribe_to_review_events()
