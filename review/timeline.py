"""A declaration's timeline: every round and stage, read from its audit events and stamps.

Who acted (name family first, role and organisation in words), what they did, their opinion, the
seal and digest of a stamp, and whether that stamp still stands. Built from three queries
whatever the number of rounds (events, stamps, the people named in hand-overs).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.layout import standing_stamps
from declarations.models import Declaration, Stamp
from declarations.stages import Stage
from organisations.models import Role
from review import selectors
from review.models import Decision

# Not part of the story of a declaration: looking at it and exporting it.
QUIET_ACTIONS = (AuditAction.VIEW, AuditAction.EXPORT)
STAMPING_ACTIONS = (AuditAction.SUBMIT, AuditAction.APPROVE)


@dataclass
class TimelineEntry:
    at: datetime
    action: str  # the audit action's code, for the page's styling only
    action_label: str
    actor: str
    role: str
    organisation: str
    stage: str
    opinion: str = ""
    note: str = ""
    seal: str = ""
    digest: str = ""
    stamp_standing: bool | None = None  # None: no stamp; False: a stamp that no longer stands
    refused: bool = False
    repeat: int = 1  # consecutive draft saves by one person are shown once


@dataclass
class TimelineRound:
    number: int  # 0: drafting before the first submission
    entries: list[TimelineEntry] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "起草" if self.number == 0 else f"第{self.number}轮审核"


def person_name(user, fallback: str = "") -> str:
    """A person's name as Chinese writes it: family name first."""
    if user is None:
        return fallback or "系统"
    name = f"{user.last_name}{user.first_name}".strip()
    return name or fallback or user.get_username()


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else ""


def _note(event: AuditEvent, names: dict[str, str]) -> str:
    details = event.details or {}
    if event.action == AuditAction.RETURN:
        decision = details.get("decision", "")
        return _label(Decision, decision)
    if event.action in (AuditAction.HAND_OVER, AuditAction.REASSIGN, AuditAction.RELEASE):
        parts = []
        if details.get("from"):
            parts.append(f"原办理人：{names.get(details['from'], details['from'])}")
        if details.get("to"):
            parts.append(f"转交给：{names.get(details['to'], details['to'])}")
        return "；".join(parts)
    if event.action == AuditAction.APPROVE and details.get("next_stage"):
        return f"送{_label(Stage, details['next_stage'])}"
    if event.action == AuditAction.SUBMIT and details.get("entry_stage"):
        return f"送{_label(Stage, details['entry_stage'])}"
    return ""


def _usernames_named(events: list[AuditEvent]) -> dict[str, str]:
    usernames = {
        value
        for event in events
        for key in ("from", "to")
        if isinstance(value := (event.details or {}).get(key), str) and value
    }
    if not usernames:
        return {}
    people = get_user_model().objects.filter(username__in=usernames)
    return {person.get_username(): person_name(person) for person in people}


def _entry(event: AuditEvent, names: dict[str, str]) -> TimelineEntry:
    return TimelineEntry(
        at=event.at,
        action=event.action,
        action_label=_label(AuditAction, event.action),
        actor=person_name(event.actor, event.actor_name),
        role=_label(Role, event.role),
        organisation=event.organisation_name,
        stage=_label(Stage, event.stage),
        opinion=event.opinion,
        note=_note(event, names),
        digest=event.digest,
        refused=event.result == AuditResult.REFUSED,
    )


def _same_save(previous: TimelineEntry, event: AuditEvent) -> bool:
    return (
        event.action == AuditAction.EDIT
        and previous.action == AuditAction.EDIT
        and previous.actor == person_name(event.actor, event.actor_name)
        and not previous.refused
        and event.result == AuditResult.OK
    )


def declaration_timeline(user, declaration: Declaration) -> list[TimelineRound]:
    """The declaration's history as the user may read it, grouped by review round."""
    events = list(
        selectors.declaration_history(user, declaration)
        .exclude(action__in=QUIET_ACTIONS)
        .select_related("actor")
    )
    stamps: list[Stamp] = list(declaration.stamps.order_by("stamped_at", "pk"))
    standing = {stamp.pk for stamp in standing_stamps(declaration, stamps).values()}
    unmatched: dict[tuple[int, str], deque[Stamp]] = defaultdict(deque)
    for stamp in stamps:
        unmatched[(stamp.round, stamp.stage)].append(stamp)
    names = _usernames_named(events)

    rounds = [TimelineRound(0)]
    for event in events:
        if event.action == AuditAction.SUBMIT and event.result == AuditResult.OK:
            number = (event.details or {}).get("round")
            rounds.append(TimelineRound(number if isinstance(number, int) else len(rounds)))
        current = rounds[-1]
        previous = current.entries[-1] if current.entries else None
        if previous is not None and _same_save(previous, event):
            previous.repeat += 1
            previous.at = event.at
            continue
        entry = _entry(event, names)
        if event.action in STAMPING_ACTIONS and event.result == AuditResult.OK:
            queue = unmatched[(current.number, event.stage)]
            if queue:
                stamp = queue.popleft()
                entry.seal = stamp.seal
                entry.stamp_standing = stamp.pk in standing
        current.entries.append(entry)
    return [r for r in rounds if r.entries]


def latest_return(declaration: Declaration) -> TimelineEntry | None:
    """The latest return for revision (退回修改): who returned it, from which stage, and why."""
    event = (
        AuditEvent.objects.filter(
            declaration=declaration, action=AuditAction.RETURN, result=AuditResult.OK
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    return _entry(event, {}) if event is not None else None
