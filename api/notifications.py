"""My notifications: list, unread count, mark read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import (
    action,
)
from rest_framework.response import Response

from api import serializers as s
from api.common import ID_LOOKUP
from notifications import services as notification_services
from notifications.models import Notification


@extend_schema_view(
    list=extend_schema(responses={200: s.NotificationSerializer(many=True)}),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My notifications, newest first; `unread=true` for the unread ones."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.NotificationSerializer
    queryset = Notification.objects.none()
    filterset_class = None

    def get_queryset(self):
        notifications = Notification.objects.filter(user=self.request.user, show_in_app=True)
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="只看未读")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = notification_services.notification_mark_read(
            user=request.user, notification_id=pk
        )
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        """Mark all my notifications read."""
        return Response(
            {"marked": notification_services.notifications_mark_all_read(user=request.user)}
        )

    @extend_schema(
        responses={
            200: inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}),
        },
    )
    @action(detail=False, methods=["get"], url_path="unread-count", url_name="unread-count")
    def unread_count(self, request):
        """How many unread notifications I have."""
        return Response(
            {
                "unread": Notification.objects.filter(
                    user=request.user, read_at__isnull=True, show_in_app=True
                ).count()
            }
        )
