"""The audit log in the admin: readable by superusers, changeable by nobody."""

from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and searchable in the admin; changed only through services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


AUDIT_EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "action",
    "result",
    "actor_name",
    "role",
    "organisation_name",
    "declaration_id",
    "stage",
)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = AUDIT_EVENT_COLUMNS
    list_filter = ["action", "result"]
    search_fields = ["actor_name", "organisation_name", "opinion", "chain"]
    date_hierarchy = "at"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "hash"]
