"""The audit log in the admin: readable by superusers, changeable by nobody. viewflow's own
process and task admin pages are replaced by read-only ones: every change goes through services."""

from django.contrib import admin
from viewflow.workflow.models import Process, Task

from approvals.admin import ReadOnlyAdmin
from workflow.models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "at",
        "action",
        "result",
        "actor_name",
        "role",
        "organisation_name",
        "declaration_id",
        "stage",
    ]
    list_filter = ["action", "result"]
    search_fields = ["actor_name", "organisation_name", "opinion", "chain"]
    date_hierarchy = "at"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "hash"]


for model in (Process, Task):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ["id", "flow_class", "status", "created", "finished"]
    list_filter = ["status"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "flow_task", "status", "owner", "created", "finished"]
    list_filter = ["status"]
