"""The deadline sweep: reminders, overdue marking and escalation, each level once per task.

State-based: it looks for due work in the database, so a sweep after an outage catches up, all
of it in one run. Each level is taken in batches: one statement claims a batch (the tasks
locked with skip_locked and their level's flag set), and the batch's notices, e-mails and audit
events are written in a few bulk statements in the same transaction. A concurrent sweep skips
what is locked and finds the flag set once it commits, so two sweeps at once (two beat
processes, several workers, a retried task) never notify twice.
"""

from dataclasses import dataclass, field
from datetime import tzinfo
from functools import partial
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import DateTimeField, F, Model, Value
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from audit.log import record_events
from audit.models import AuditAction
from declarations.labels import stage_label
from declarations.models import Declaration
from notifications import recipients
from notifications.services import Notice, notify_in_bulk
from notifications.sql import among
from organisations.memo import memo_scope, remembered
from organisations.models import Jurisdiction, Organisation
from review.models import SWEEP_LEVELS, ReviewTask

User = get_user_model()

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


# What the notices, e-mails and audit events of a claimed task read from its row, and from
# viewflow's row of it (the id, the owner).
_OWN_FIELDS = [
    "task_ptr_id",
    "stage",
    "due_at",
    "candidate_role",
    "candidate_organisation_id",
    "declaration_id",
]
_TASK_FIELDS = [*_OWN_FIELDS, "id", "owner_id"]
_DECLARATION = ReviewTask._meta.get_field("declaration")
_OWNER = ReviewTask._meta.get_field("owner")
_CANDIDATE_ORGANISATION = ReviewTask._meta.get_field("candidate_organisation")

M = TypeVar("M", bound=Model)


def _partial(model: type[M], values: dict) -> M:
    """What model.from_db gives for these fields alone, the others deferred (read from the
    database if something asks for them), without Model.__init__: it walks every field of
    viewflow's wide task, a third of the sweep's Python time."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, DEFAULT_DB_ALIAS
    return instance


@dataclass
class Due:
    """A claimed task, with the declaration's jurisdiction (whose auditors read its events)."""

    task: ReviewTask
    jurisdiction_id: int
    # Overdue before its reminder went out: the overdue notice replaces the reminder.
    reminder_skipped: bool = False


def _claim(level: str, now) -> list[Due]:
    """Lock the next batch of tasks due at this level and not yet fired (skipping those another
    sweep holds), mark the level fired on them, and return them with what the notices need."""
    when, flag = LEVELS[level]
    # outcome "" (still open) matches the partial indexes on each level's time; the status
    # filter, on viewflow's table, keeps the definition of an open task.
    due = (
        ReviewTask.objects.reviews()
        .open()
        .filter(outcome="", **{f"{when}__lte": now, f"{flag}__isnull": True})
    )
    if level == "remind":
        # A task already overdue gets no reminder: the overdue level, later in the same run,
        # tells its people and marks the reminder fired in the same statement.
        due = due.exclude(due_at__lte=now)
    claimed_rows = list(
        due.select_for_update(skip_locked=True, of=("self",))
        .order_by(when, "pk")
        .values_list("pk", "reminded_at")[:BATCH]
    )
    if not claimed_rows:
        return []
    ids = [pk for pk, _ in claimed_rows]
    not_reminded = {pk for pk, reminded_at in claimed_rows if reminded_at is None}
    fired = {flag: now}
    if level == "overdue":
        fired["reminded_at"] = Coalesce(F("reminded_at"), Value(now), output_field=DateTimeField())
    ReviewTask.objects.filter(pk__in=among(ids)).update(**fired)
    # Read as values and made into partial instances (the other fields load if a template asks
    # for them): model instances through select_related cost more than the rest of the sweep.
    # viewflow's own columns (the owner) are read apart, by pk: joined in, PostgreSQL scans
    # viewflow's whole table for them.
    rows = (
        ReviewTask.objects.filter(pk__in=among(ids))
        .order_by(when, "pk")
        .values(*_OWN_FIELDS, "declaration__name", "declaration__reporting_unit__jurisdiction_id")
    )
    owner_of = dict(Task.objects.filter(pk__in=among(ids)).values_list("pk", "owner_id"))
    tasks = []
    for row in rows:
        row["id"] = row["task_ptr_id"]
        row["owner_id"] = owner_of[row["id"]]
        task = _partial(ReviewTask, {f: row[f] for f in _TASK_FIELDS})
        tasks.append((task, row))
    owners = User.objects.in_bulk({t.owner_id for t, _ in tasks if t.owner_id is not None})
    organisations = Organisation.objects.in_bulk(
        {t.candidate_organisation_id for t, _ in tasks if t.candidate_organisation_id is not None}
    )
    claimed = []
    for task, row in tasks:
        declaration = {"id": task.declaration_id, "name": row["declaration__name"]}
        _DECLARATION.set_cached_value(task, _partial(Declaration, declaration))
        _OWNER.set_cached_value(task, owners.get(task.owner_id))
        organisation = organisations.get(task.candidate_organisation_id)
        _CANDIDATE_ORGANISATION.set_cached_value(task, organisation)
        jurisdiction_id = row["declaration__reporting_unit__jurisdiction_id"]
        skipped = level == "overdue" and task.pk in not_reminded
        claimed.append(Due(task, jurisdiction_id, reminder_skipped=skipped))
    return claimed


def _context(task: ReviewTask, zone: tzinfo) -> dict:
    """What the notice's template reads; `zone` the current time zone, looked up once a batch."""
    declaration = task.declaration
    return {
        "task": task,
        "declaration": declaration,
        "stage": remembered(("stage_label", task.stage), lambda: stage_label(task.stage)),
        # Written out here rather than by the template's date filter, so that notices alike
        # but for their due time can share one rendering (notifications.services._Texts).
        "due_text": _due_text(task.due_at, zone),
    }


def _due_text(due_at, zone: tzinfo) -> str:
    """The due time as the notices print it (the date filter's "Y-m-d H:i")."""
    return timezone.localtime(due_at, zone).strftime("%Y-%m-%d %H:%M") if due_at else ""


def _audience(due: Due, level: str) -> tuple[list, str, str]:
    """Who hears about this level of the task, the notice's event and the audit action."""
    task = due.task
    if level == "remind":
        return recipients.task_people(task), "reminder", AuditAction.REMIND
    if level == "overdue":
        people = recipients.task_candidates(task) + recipients.task_people(task)
        people += recipients.organisation_heads(task.candidate_organisation)
        return people, "escalation", AuditAction.ESCALATE
    jurisdiction = _jurisdiction(due.jurisdiction_id)
    people = recipients.jurisdiction_administrators(jurisdiction)
    return people, "escalation_admin", AuditAction.ESCALATE


def _jurisdiction(pk: int) -> Jurisdiction:
    return remembered(("jurisdiction", pk), lambda: Jurisdiction.objects.get(pk=pk))


def _audit(action: str, due: Due, details: dict) -> dict:
    return {
        "action": action,
        "declaration_id": due.task.declaration_id,
        "jurisdiction_id": due.jurisdiction_id,
        "stage": due.task.stage,
        "details": details,
    }


# A task number that reverse() is given to find where in the address the number goes.
_ANY_PK = 987654321


def _fire(claimed: list[Due], level: str) -> list[int]:
    """Notify and audit one level for a claimed batch; returns the tasks notified. A reminder
    missed while the sweep was down and already overdue is not sent: the overdue notice says it
    all, and its audit event records the reminder as skipped."""
    audits: list[dict] = []
    notices: list[Notice] = []
    fired: list[tuple[Due, str, str]] = []
    # The task's address, reversed once: only its number differs from task to task.
    zone = timezone.get_current_timezone()
    before, _, after = reverse("workflow:task_detail", args=[_ANY_PK]).partition(str(_ANY_PK))
    for due in claimed:
        task = due.task
        declaration = task.declaration
        if declaration is None:  # _claim finds review tasks only, and each has one
            continue
        # Who hears depends on these alone; read once per batch for tasks alike.
        alike = (level, task.candidate_role, task.candidate_organisation_id, task.owner_id)
        jurisdiction = due.jurisdiction_id if level == "escalate" else None
        people, event, action = remembered(
            ("audience", *alike, jurisdiction), partial(_audience, due, level)
        )
        key = f"{level}:{task.pk}"
        path = f"{before}{task.pk}{after}"
        # Notices alike but for the declaration's name, the due time and the link share
        # their text.
        shape = (task.stage, bool(task.due_at), task.owner_id, task.candidate_organisation_id)
        context = _context(task, zone)
        notices.append(Notice(people, event, key, context, declaration, path, task, shape))
        fired.append((due, key, action))
    told = notify_in_bulk(notices)
    for due, key, action in fired:
        names = sorted(user.get_username() for user in told[key])
        details: dict = {"task": due.task.pk, "level": level, "notified": names}
        if due.reminder_skipped:
            details["skipped"] = "reminder"
        audits.append(_audit(action, due, details))
    record_events(audits)
    return [due.task.pk for due, _, _ in fired]


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
                claimed = _claim(level, now)
                if not claimed:
                    break
                bucket.extend(_fire(claimed, level))
    return report
