"""The deadline sweep: reminders, overdue marking and escalation, each level once per task.

State-based: it looks for due work in the database, so a sweep after an outage catches up, all
of it in one run. Each level is taken in batches: one statement claims a batch (the tasks
locked with skip_locked and their level's flag set), and the batch's notices, e-mails and audit
events are written in a few bulk statements in the same transaction. A concurrent sweep skips
what is locked and finds the flag set once it commits, so two sweeps at once (two beat
processes, several workers, a retried task) never notify twice.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.log import record_events
from audit.models import AuditAction
from notifications import recipients
from notifications.services import Notice, notify_in_bulk
from organisations.memo import memo_scope
from review.labels import stage_label
from review.models import SWEEP_LEVELS, ReviewTask

# Tasks claimed and notified per transaction; a run takes batch after batch until none is due.
BATCH = 1000


@dataclass
class SweepReport:
    reminded: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: len(v) for k, v in self.__dict__.items()}


# level name -> (the time field that says when, the flag field that says it fired)
LEVELS = {level: (when, flag) for level, when, flag in SWEEP_LEVELS}


def _claim(level: str, now) -> list[ReviewTask]:
    """Lock the next batch of tasks due at this level and not yet fired (skipping those another
    sweep holds), mark the level fired on them, and return them with what the notices need."""
    when, flag = LEVELS[level]
    # outcome "" (still open) matches the partial indexes on each level's time; the status
    # filter, on viewflow's table, keeps the definition of an open task.
    due = (
        ReviewTask.objects.reviews()
        .open()
        .filter(outcome="", **{f"{when}__lte": now, f"{flag}__isnull": True})
        .select_for_update(skip_locked=True, of=("self",))
        .order_by(when, "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    ids = list(due)
    if not ids:
        return []
    ReviewTask.objects.filter(pk__in=ids).update(**{flag: now})
    return list(
        ReviewTask.objects.filter(pk__in=ids)
        .select_related(
            "declaration__reporting_unit__jurisdiction", "owner", "candidate_organisation"
        )
        .order_by(when, "pk")
    )


def _context(task: ReviewTask) -> dict:
    declaration = task.declaration
    return {
        "task": task,
        "declaration": declaration,
        "stage": stage_label(task.stage),
        "due": timezone.localtime(task.due_at) if task.due_at else None,
    }


def _audience(task: ReviewTask, level: str) -> tuple[list, str, str]:
    """Who hears about this level of the task, the notice's event and the audit action."""
    if level == "remind":
        return recipients.task_people(task), "reminder", AuditAction.REMIND
    if level == "overdue":
        people = recipients.task_candidates(task) + recipients.task_people(task)
        people += recipients.organisation_heads(task.candidate_organisation)
        return people, "escalation", AuditAction.ESCALATE
    jurisdiction = task.declaration.reporting_unit.jurisdiction  # type: ignore[union-attr]
    people = recipients.jurisdiction_administrators(jurisdiction)
    return people, "escalation_admin", AuditAction.ESCALATE


def _audit(action: str, task: ReviewTask, details: dict) -> dict:
    return {
        "action": action,
        "declaration": task.declaration,
        "stage": task.stage,
        "details": details,
    }


def _fire(tasks: list[ReviewTask], level: str, now) -> list[int]:
    """Notify and audit one level for a claimed batch; returns the tasks notified (a reminder
    missed while the sweep was down and already overdue is skipped: the overdue notice says
    it all)."""
    audits: list[dict] = []
    notices: list[Notice] = []
    fired: list[tuple[ReviewTask, str, str]] = []
    for task in tasks:
        declaration = task.declaration
        if declaration is None:  # _claim finds review tasks only, and each has one
            continue
        if level == "remind" and task.due_at and task.due_at <= now:
            skipped = {"task": task.pk, "skipped": "already overdue"}
            audits.append(_audit(AuditAction.REMIND, task, skipped))
            continue
        people, event, action = _audience(task, level)
        key = f"{level}:{task.pk}"
        path = reverse("workflow:task_detail", args=[task.pk])
        notices.append(Notice(people, event, key, _context(task), declaration, path, task))
        fired.append((task, key, action))
    notified = notify_in_bulk(notices)
    for task, key, action in fired:
        names = sorted(n.user.get_username() for n in notified[key])
        audits.append(_audit(action, task, {"task": task.pk, "level": level, "notified": names}))
    record_events(audits)
    return [task.pk for task, _, _ in fired]


def sweep_deadlines(now=None) -> SweepReport:
    """Fire every reminder and escalation level that is due and has not fired yet, the whole
    backlog in one run."""
    now = now or timezone.now()
    report = SweepReport()
    for level, bucket in (
        ("remind", report.reminded),
        ("overdue", report.overdue),
        ("escalate", report.escalated),
    ):
        while True:
            with memo_scope(), transaction.atomic():
                tasks = _claim(level, now)
                if not tasks:
                    break
                bucket.extend(_fire(tasks, level, now))
    return report
