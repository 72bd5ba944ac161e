"""The audit log, for auditors and administrators of its jurisdictions."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from api import serializers as s
from api.common import CSV_RESPONSE, ID_LOOKUP, XLSX_RESPONSE
from audit.models import AuditEvent
from declarations import exports
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

    @extend_schema(
        operation_id="audit_events_export_xlsx",
        responses={(200, exports.XLSX): XLSX_RESPONSE},
        filters=True,
    )
    def export_xlsx(self, request):
        """The filtered events (the list's filters) as an Excel workbook, all pages."""
        return exports.audit_events_xlsx_response(self._filtered(), "审计日志.xlsx")

    @extend_schema(
        operation_id="audit_events_export_csv",
        responses={(200, "text/csv"): CSV_RESPONSE},
        filters=True,
    )
    def export_csv(self, request):
        """The filtered events (the list's filters) as CSV (UTF-8 with a BOM), all pages."""
        return exports.audit_events_csv_response(self._filtered(), "审计日志.csv")

    def _filtered(self):
        return self.filter_queryset(self.get_queryset()).order_by("at", "pk")

    def get_queryset(self):
        permissions.require_overseer(self.request.user)
        return (
            selectors.audit_events_for(self.request.user)
            .select_related("actor")
            .order_by("-at", "-pk")
        )
