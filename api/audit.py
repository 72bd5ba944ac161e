"""The audit log, for auditors and administrators of its jurisdictions."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from api import serializers as s
from api.common import ID_LOOKUP
from audit.models import AuditEvent
from review import permissions, selectors
from review.filters import AuditEventFilter


@extend_schema_view(
    list=extend_schema(responses={200: s.AuditEventSerializer(many=True)}),
    retrieve=extend_schema(responses={200: s.AuditEventSerializer}),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log, for auditors and administrators (read-only for everyone)."""

    lookup_value_regex = ID_LOOKUP

    serializer_class = s.AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.none()

    def get_queryset(self):
        permissions.require_overseer(self.request.user)
        return (
            selectors.audit_events_for(self.request.user)
            .select_related("actor")
            .order_by("-at", "-pk")
        )
