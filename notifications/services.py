"""Notifications: who hears about what, over which channel; marking read.

Notifications are written in the transaction of the change that causes them: in-app notices
are Notification rows, e-mails are Delivery rows (the outbox). They commit or roll back with the
change, so neither depends on the broker. After the commit a worker is asked to send the e-mails
at once; whatever it does not send, the delivery sweep does. Every notification has an
idempotency key, so an event handled twice (an old dispatch_event message redelivered, two
sweeps) notifies each person once.
"""

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.sql import binary_cursor
from declarations.labels import stage_label
from declarations.models import Declaration
from notifications import recipients
from notifications.delivery import enqueue_deliveries
from notifications.links import absolute_link
from notifications.models import Channel, Delivery, Notification, Preference
from notifications.texts import render_text
from organisations.memo import remembered
from review import engine
from review.models import Decision, ReviewProcess, ReviewTask

# --- Creating notifications -------------------------------------------------------------------


def _notice_text(event: str, context: dict, user, path: str) -> str:
    """The event's template rendered for one person: the title on the first line, the body
    after it."""
    link = absolute_link(path) if path else ""
    return render_text(
        f"notifications/events/{event}.txt", {**context, "user": user, "link": link}
    ).strip()


def _title_and_body(text: str) -> tuple[str, str]:
    title, _, body = text.partition("\n")
    return title.strip()[:200], body.strip()


def _preference(user) -> Preference:
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def notify(
    users,
    *,
    event: str,
    key: str,
    context: dict,
    declaration: Declaration | None = None,
    task: ReviewTask | None = None,
    path: str = "",
) -> list[Notification]:
    """Notify each user once per key, in-app and/or by e-mail as they chose.

    Writes the rows in the caller's transaction; the e-mails are handed to a worker after the
    commit."""
    created, deliveries = [], []
    for user in recipients.unique(users):
        title, body = _title_and_body(_notice_text(event, context, user, path))
        preference = _preference(user)
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user,
                    event=event,
                    title=title,
                    body=body,
                    url=path,
                    declaration=declaration,
                    task=task,
                    idempotency_key=f"{key}:{user.pk}"[:200],
                    show_in_app=preference.in_app,
                )
        except IntegrityError:
            continue  # already notified under this key
        if preference.email and user.email:
            delivery = Delivery.objects.create(
                notification=notification, channel=Channel.EMAIL, next_attempt_at=timezone.now()
            )
            deliveries.append(delivery.pk)
        created.append(notification)
    if deliveries:
        transaction.on_commit(partial(enqueue_deliveries, deliveries))
    return created


@dataclass
class Notice:
    """What notify() is given for one event: whom to tell, under which key, with what text.

    `shape`, when given, promises that notices of the same event and shape read the same to each
    person but for the declaration's name, the due time (`due_text`) and the link: their text is
    then rendered once per shape and person (see _Texts)."""

    users: list
    event: str
    key: str
    context: dict
    declaration: Declaration | None = None
    path: str = ""
    task: ReviewTask | None = None
    shape: Hashable = None


# A batch with more e-mails than this is left to the delivery sweep (every minute, the whole
# backlog in one run) rather than handed to the broker one message each.
HAND_OVER_AT_ONCE = 200


def _preferences(users) -> dict[int, Preference]:
    ids = {user.pk for user in users}
    return {p.user_id: p for p in Preference.objects.filter(user_id__in=ids)}


def _render_notice(notice: Notice, user) -> str:
    return _notice_text(notice.event, notice.context, user, notice.path)


# Stand-ins for the declaration's name, the due time and the link's path in a shape's text;
# control characters no name, time or path holds.
_NAME, _DUE, _PATH = "\x00name\x00", "\x00due\x00", "\x00path\x00"


class _Texts:
    """Notice texts, rendered once per (event, shape, person) with stand-ins for the
    declaration's name, the due time (`due_text`) and the path, which are then put in. The
    first notice of such a group is rendered in full (a group of one costs one rendering); the
    second brings the rendering with stand-ins, which must give the first one's text once
    filled in, else (a template that does more with them than print them) every notice of the
    group is rendered in full."""

    def __init__(self) -> None:
        # group -> the first notice and its text while it is alone, then the shared text (None:
        # the group's notices are rendered each in full)
        self._first: dict[tuple, tuple[Notice, str]] = {}
        self._shared: dict[tuple, str | None] = {}

    def text(self, notice: Notice, user) -> str:
        declaration = notice.context.get("declaration")
        if notice.shape is None or not isinstance(declaration, Declaration):
            return _render_notice(notice, user)
        group = (notice.event, notice.shape, user.pk, bool(notice.path))
        if group not in self._shared:
            if group not in self._first:
                full = _render_notice(notice, user)
                self._first[group] = (notice, full)
                return full
            first, first_text = self._first.pop(group)
            made = self._with_stand_ins(notice, user, declaration)
            self._shared[group] = made if self._fill(made, first) == first_text else None
        shared = self._shared[group]
        if shared is None:
            return _render_notice(notice, user)
        return self._fill(shared, notice)

    @staticmethod
    def _with_stand_ins(notice: Notice, user, declaration: Declaration) -> str:
        stand_in = copy.copy(declaration)
        stand_in.name = _NAME
        path = _PATH if notice.path else ""
        context = {**notice.context, "declaration": stand_in}
        if notice.context.get("due_text"):
            context["due_text"] = _DUE
        return _render_notice(replace(notice, context=context, path=path), user)

    @staticmethod
    def _fill(template: str, notice: Notice) -> str:
        name = notice.context["declaration"].name
        due = notice.context.get("due_text") or ""
        return template.replace(_NAME, name).replace(_DUE, due).replace(_PATH, notice.path)


def notify_in_bulk(notices: list[Notice]) -> dict[str, list]:
    """notify() for many notices at once (a sweep's batch); returns the users told, by key. The
    preferences are read in one statement, the notifications and e-mail deliveries inserted in
    one (on PostgreSQL) or a few. A key already used notifies nobody again."""
    people = [(notice, user) for notice in notices for user in recipients.unique(notice.users)]
    preferences = _preferences(user for _, user in people)
    texts = _Texts()
    rows: list[_Row] = []
    for notice, user in people:
        title, body = _title_and_body(texts.text(notice, user))
        preference = preferences.get(user.pk)
        if preference is None:  # the defaults, the same for everyone without a choice saved
            preference = preferences[user.pk] = Preference(user_id=user.pk)
        rows.append(
            _Row(
                user_id=user.pk,
                event=notice.event,
                title=title,
                body=body,
                url=notice.path,
                declaration_id=notice.declaration.pk if notice.declaration else None,
                task_id=notice.task.pk if notice.task else None,
                idempotency_key=f"{notice.key}:{user.pk}"[:200],
                show_in_app=preference.in_app,
                email=preference.email and bool(user.email),
            )
        )
    told: dict[str, list] = {notice.key: [] for notice in notices}
    if not rows:
        return told
    insert = _insert_sql if connection.vendor == "postgresql" else _insert_orm
    inserted, deliveries = insert(rows, timezone.now())
    for (notice, user), row in zip(people, rows, strict=True):
        if row.idempotency_key in inserted:
            told[notice.key].append(user)
    if 0 < len(deliveries) <= HAND_OVER_AT_ONCE:
        transaction.on_commit(partial(enqueue_deliveries, deliveries))
    return told


@dataclass
class _Row:
    """One notification to insert, and whether it goes out by e-mail too."""

    user_id: int
    event: str
    title: str
    body: str
    url: str
    declaration_id: int | None
    task_id: int | None
    idempotency_key: str
    show_in_app: bool
    email: bool


def _insert_orm(rows: list[_Row], now) -> tuple[set[str], list[int]]:
    """Insert the notifications whose key is not used yet, and their e-mail deliveries; returns
    the keys inserted and the deliveries' ids. For keys no one else writes at the same time (the
    sweep's, claimed under a lock)."""
    keys = [row.idempotency_key for row in rows]
    used = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    rows = [row for row in rows if row.idempotency_key not in used]
    notifications = Notification.objects.bulk_create(
        Notification(**{f: getattr(row, f) for f in _NOTIFICATION_FIELDS}) for row in rows
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(notification=notification, channel=Channel.EMAIL, next_attempt_at=now)
        for notification, row in zip(notifications, rows, strict=True)
        if row.email
    )
    return {row.idempotency_key for row in rows}, [delivery.pk for delivery in deliveries]


_NOTIFICATION_FIELDS = [
    "user_id",
    "event",
    "title",
    "body",
    "url",
    "declaration_id",
    "task_id",
    "idempotency_key",
    "show_in_app",
]


def _insert_sql(rows: list[_Row], now) -> tuple[set[str], list[int]]:
    """_insert_orm in one statement (PostgreSQL): the notifications from arrays, a used key
    skipped by the insert itself (ON CONFLICT), the deliveries from the notifications just
    inserted that go out by e-mail."""
    types = ["bigint", "varchar", "varchar", "text", "varchar", "bigint", "bigint", "varchar"]
    types.append("boolean")
    unnest = ", ".join(f"%b::{t}[]" for t in types)
    columns = ", ".join(_NOTIFICATION_FIELDS)
    sql = (
        f"WITH new AS (INSERT INTO {Notification._meta.db_table} ({columns}, created_at) "  # noqa: S608
        f"SELECT *, %s FROM unnest({unnest}) ON CONFLICT (idempotency_key) DO NOTHING "
        "RETURNING id, idempotency_key), "
        f"sent AS (INSERT INTO {Delivery._meta.db_table} "
        "(notification_id, channel, status, attempts, next_attempt_at, last_error, updated_at) "
        "SELECT new.id, %s, %s, 0, %s, '', %s FROM new "
        "WHERE new.idempotency_key = ANY(%b::varchar[]) RETURNING id) "
        "SELECT (SELECT array_agg(idempotency_key) FROM new), (SELECT array_agg(id) FROM sent)"
    )
    columns_of_rows = [[getattr(row, f) for row in rows] for f in _NOTIFICATION_FIELDS]
    emailed = [row.idempotency_key for row in rows if row.email]
    params = [now, *columns_of_rows, Channel.EMAIL, Delivery.Status.PENDING, now, now, emailed]
    with binary_cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        row = cursor.fetchone()
    inserted, deliveries = row if row is not None else (None, None)
    return set(inserted or ()), deliveries or []


def _task_context(task: ReviewTask) -> dict:
    declaration = task.declaration
    return {
        "task": task,
        "declaration": declaration,
        "stage": stage_label(task.stage),
        "due": timezone.localtime(task.due_at) if task.due_at else None,
    }


def _task_path(task: ReviewTask) -> str:
    return reverse("workflow:task_detail", args=[task.pk])


def _notify_task_people(task: ReviewTask, *, event: str, key: str, path: str = "") -> list:
    """Tell whoever holds or may claim the task."""
    return notify(
        recipients.task_people(task),
        event=event,
        key=key,
        context=_task_context(task),
        declaration=task.declaration,
        task=task,
        path=path or _task_path(task),
    )


def _load_task(task_id: int) -> ReviewTask:
    """The task, as the change that announces it has just read it (organisations.memo)."""
    return remembered(
        ("task", task_id),
        lambda: ReviewTask.objects.select_related(
            "declaration__reporting_unit", "owner", "candidate_organisation"
        ).get(pk=task_id),
    )


def _on_task_created(*, task_id: int, **_) -> list:
    task = _load_task(task_id)
    if not task.is_open:
        return []
    return _notify_task_people(
        task, event="task_created", key=f"task:{task.pk}:holder:{task.owner_id or 0}"
    )


DECIDED_EVENTS = {
    Decision.APPROVE: "declaration_approved",
    Decision.REJECT: "declaration_rejected",
    Decision.RETURN_PREPARER: "declaration_returned",
    Decision.RETURN_PREVIOUS: "declaration_returned",
}


def _on_decided(
    *, declaration_id: int, decision: str, stage: str, task_id: int, opinion: str = "", **_
) -> list:
    declaration = Declaration.objects.select_related("reporting_unit").get(pk=declaration_id)
    process = ReviewProcess.objects.filter(declaration=declaration).order_by("-round").first()
    event = DECIDED_EVENTS[Decision(decision)]
    if decision == Decision.RETURN_PREVIOUS:
        # Returned to the previous stage: that stage's people hear about it, not the preparer.
        task = engine.open_task(process) if process else None
        people = recipients.task_people(task) if task else []
        path = _task_path(task) if task else ""
    else:
        people = recipients.declaration_owners(
            declaration, process.submitted_by if process else None
        )
        path = reverse("approvals:declaration_detail", args=[declaration.pk])
    return notify(
        people,
        event=event,
        key=f"decided:{declaration.pk}:{task_id}:{decision}",
        context={
            "declaration": declaration,
            "stage_label": stage_label(stage),
            "opinion": opinion,
        },
        declaration=declaration,
        path=path,
    )


def _on_withdrawn(*, task_id: int, **_) -> list:
    task = _load_task(task_id)
    return _notify_task_people(
        task,
        event="task_withdrawn",
        key=f"withdrawn:{task.pk}",
        path=reverse("approvals:declaration_detail", args=[task.declaration_id]),
    )


def _on_urge(*, task_id: int, urge_event_id: int, **_) -> list:
    return _notify_task_people(_load_task(task_id), event="urge", key=f"urge:{urge_event_id}")


# Notices that ask their reader to act on a task; the others (a withdrawal, an outcome) inform.
CALLS_TO_ACT = ("task_created", "urge", "reminder", "escalation", "escalation_admin")
# Of those, the ones that ask whoever holds or may claim the task (not heads or administrators).
CALLS_TO_HOLDERS = ("task_created", "urge", "reminder")


def _on_task_handled(*, task_id: int, **_) -> list:
    """The task ended or changed hands: its calls to act become read for everyone who no longer
    needs to act (everyone, once it has ended)."""
    task = _load_task(task_id)
    unread = Notification.objects.filter(task=task, read_at__isnull=True)
    if task.is_open:
        still_acting = [user.pk for user in recipients.task_people(task)]
        settled = unread.filter(event__in=CALLS_TO_HOLDERS).exclude(user__in=still_acting)
    else:
        settled = unread.filter(event__in=CALLS_TO_ACT)
    settled.update(read_at=timezone.now())
    return []


HANDLERS: dict[str, Callable[..., list]] = {
    "task_created": _on_task_created,
    "declaration_decided": _on_decided,
    "task_withdrawn": _on_withdrawn,
    "urge": _on_urge,
    "task_handled": _on_task_handled,
}


def notify_event(*, event: str, payload: dict) -> int:
    """Create the notifications an event calls for; returns how many were created now."""
    with transaction.atomic(savepoint=False):  # a failure fails the change that caused it
        return len(HANDLERS[event](**payload))


# --- Reading ----------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise Http404("通知不存在。")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark all the user's notifications read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_update(*, user, in_app: bool, email: bool) -> Preference:
    """Choose the channels notifications reach the user on."""
    preference, _ = Preference.objects.get_or_create(user=user)
    preference.in_app, preference.email = in_app, email
    preference.save(update_fields=["in_app", "email"])
    return preference
