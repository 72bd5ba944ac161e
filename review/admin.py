"""viewflow's process and task admin pages, replaced by read-only ones (every change goes through
services), and the time limits and calendar that administrators edit."""

from django.contrib import admin
from viewflow.workflow.models import Process, Task

from audit.admin import AUDIT_EVENT_COLUMNS, AuditEventAdmin, ReadOnlyAdmin
from audit.models import AuditEvent
from declarations.labels import role_label, stage_label
from review.models import CalendarDay, ReviewTask, StageTimeLimit

for model in (Process, Task):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class LabelledAuditEventAdmin(AuditEventAdmin):
    """The audit package lies below the stages and roles, so their words are added here."""

    # The audit package's columns, with its codes in words.
    list_display = tuple(
        {"role": "role_text", "stage": "stage_text"}.get(column, column)
        for column in AUDIT_EVENT_COLUMNS
    )

    @admin.display(description="角色", ordering="role")
    def role_text(self, event: AuditEvent) -> str:
        return role_label(event.role)

    @admin.display(description="环节", ordering="stage")
    def stage_text(self, event: AuditEvent) -> str:
        return stage_label(event.stage)


admin.site.unregister(AuditEvent)
admin.site.register(AuditEvent, LabelledAuditEventAdmin)


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ["id", "flow_class", "status", "created", "finished"]
    list_filter = ["status"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "flow_task", "status", "owner", "created", "finished"]
    list_filter = ["status"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    """Review tasks as the inbox sees them: their own stage and state in words (a withdrawn
    task reads 已撤回, not open)."""

    list_display = [
        "id",
        "declaration",
        "stage_label",
        "state",
        "holder",
        "arrived_at",
        "finished_at",
    ]
    list_filter = ["state", "stage"]
    list_select_related = ["declaration", "holder"]
    search_fields = ["declaration__name"]

    @admin.display(description="环节", ordering="stage")
    def stage_label(self, task: ReviewTask) -> str:
        return task.stage_label


@admin.register(StageTimeLimit)
class StageTimeLimitAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "stage", "working_days", "escalate_after_days"]
    list_filter = ["jurisdiction", "stage"]
    list_editable = ["working_days", "escalate_after_days"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
