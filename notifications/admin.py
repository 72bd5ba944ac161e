from django.contrib import admin, messages

from audit.admin import ReadOnlyAdmin
from notifications.delivery import delivery_resend
from notifications.models import EVENT_LABELS, Delivery, Notification, Preference, event_label


class EventFilter(admin.SimpleListFilter):
    title = "事件"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return list(EVENT_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "event_text", "title", "read_at"]
    list_filter = [EventFilter]
    search_fields = ["user__username", "title"]

    @admin.display(description="事件", ordering="event")
    def event_text(self, notification: Notification) -> str:
        return event_label(notification.event)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "notification",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["notification__user__username", "notification__title", "last_error"]
    actions = ["resend"]

    @admin.action(description="重新发送所选的失败通知")
    def resend(self, request, queryset):
        failed = queryset.filter(status=Delivery.Status.FAILED)
        for delivery in failed:
            delivery_resend(delivery_id=delivery.pk)
        messages.success(request, f"已重新排队 {failed.count()} 条。")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "in_app", "email"]
    search_fields = ["user__username"]
