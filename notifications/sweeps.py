"""The deadline sweep: reminders, overdue marking and escalation, each level once per task.

State-based: it looks for due work in the database, so a sweep after an outage catches up, and
it locks each task with skip_locked and re-checks the level's flag, so two sweeps at once (two
beat processes, several workers, a retried task) never notify twice.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.log import record_event
from audit.models import AuditAction
from declarations.labels import stage_label
from notifications import recipients
from notifications.services import notify
from review.models import OPEN_STATUSES, ReviewTask


@dataclass
class SweepReport:
    reminded: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: len(v) for k, v in self.__dict__.items()}


# level name -> (the time field that says when, the flag field that says it fired)
LEVELS = {
    "remind": ("remind_at", "reminded_at"),
    "overdue": ("due_at", "overdue_at"),
    "escalate": ("escalate_at", "escalated_at"),
}


def _due_ids(level: str, now) -> list[int]:
    when, flag = LEVELS[level]
    return list(
        ReviewTask.objects.reviews()
        .open()
        .filter(**{f"{when}__lte": now, f"{flag}__isnull": True})
        .order_by(when)
        .values_list("pk", flat=True)[:1000]
    )


def _claim_level(task_id: int, level: str, now) -> ReviewTask | None:
    """Lock the task and mark the level fired; None if another sweep has it or did it."""
    _, flag = LEVELS[level]
    task = (
        ReviewTask.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=task_id, status__in=OPEN_STATUSES, **{f"{flag}__isnull": True})
        .select_related(
            "declaration__reporting_unit__jurisdiction", "owner", "candidate_organisation"
        )
        .first()
    )
    if task is None:
        return None
    setattr(task, flag, now)
    task.save(update_fields=[flag])
    return task


def _context(task: ReviewTask) -> dict:
    declaration = task.declaration
    return {
        "task": task,
        "declaration": declaration,
        "stage": stage_label(task.stage),
        "due": timezone.localtime(task.due_at) if task.due_at else None,
    }


def _fire(task: ReviewTask, level: str, now) -> bool:
    """Notify for one level and audit it; False when a missed reminder is skipped."""
    declaration = task.declaration
    if declaration is None:  # _due_ids finds review tasks only, and each has one
        return False
    path = reverse("workflow:task_detail", args=[task.pk])
    if level == "remind":
        if task.due_at and task.due_at <= now:
            # Missed while the sweep was down and already overdue: the overdue notice says it all.
            record_event(
                action=AuditAction.REMIND,
                declaration=declaration,
                stage=task.stage,
                details={"task": task.pk, "skipped": "already overdue"},
            )
            return False
        people, event = recipients.task_people(task), "reminder"
        action = AuditAction.REMIND
    elif level == "overdue":
        people = recipients.task_candidates(task) + recipients.task_people(task)
        people += recipients.organisation_heads(task.candidate_organisation)
        event, action = "escalation", AuditAction.ESCALATE
    else:
        people = recipients.jurisdiction_administrators(declaration.reporting_unit.jurisdiction)
        event, action = "escalation_admin", AuditAction.ESCALATE
    notified = notify(
        people,
        event=event,
        key=f"{level}:{task.pk}",
        context=_context(task),
        declaration=declaration,
        task=task,
        path=path,
    )
    record_event(
        action=action,
        declaration=declaration,
        stage=task.stage,
        details={
            "task": task.pk,
            "level": level,
            "notified": sorted(n.user.get_username() for n in notified),
        },
    )
    return True


def sweep_deadlines(now=None) -> SweepReport:
    """Fire every reminder and escalation level that is due and has not fired yet."""
    now = now or timezone.now()
    report = SweepReport()
    for level, bucket in (
        ("remind", report.reminded),
        ("overdue", report.overdue),
        ("escalate", report.escalated),
    ):
        for task_id in _due_ids(level, now):
            with transaction.atomic():
                task = _claim_level(task_id, level, now)
                if task is None:
                    continue
                if _fire(task, level, now):
                    bucket.append(task.pk)
    return report
