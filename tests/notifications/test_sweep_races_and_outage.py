"""The sweep is state-based and locks what it fires: two sweeps at once notify each person once,
and a sweep after an outage catches up on every missed level, once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from audit.models import AuditAction
from audit.verification import verify_audit
from declarations.models import Stage
from notifications import sweeps
from notifications.models import Notification
from organisations.models import Jurisdiction
from review.models import StageTimeLimit
from tests.notifications.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    at,
    audit_events,
    recipients,
    seed,
    task,
)


def _sweeps_at_once(now, count: int = 2) -> list:
    """Run `count` sweeps in parallel threads released together by a barrier; each thread uses
    its own database connection, as two beat processes or workers would."""
    barrier = threading.Barrier(count)
    reports, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            reports.append(sweeps.sweep_deadlines(now))
        except Exception as error:  # reported below, with the thread's traceback
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a sweep hung"
    assert errors == [], errors
    return reports


def _per_person(event: str) -> Counter:
    return Counter(
        Notification.objects.filter(event=event).values_list("user__username", "declaration__name")
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_task_once(flow, time_machine):
    """Three unit-head tasks submitted Mon 03-02 09:00 become overdue Thu 03-05 09:00 and go to
    administrators Mon 03-09 09:00. Two sweeps racing at each moment notify each person once per
    task and level, and write one escalate audit event per task and level; between them the two
    sweeps report each task once."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    declarations = [seed(name) for name in (NY_MOVE, NY_GRID, EZ_PROJECT)]
    tasks = [flow.submit(declaration) for declaration in declarations]
    time_machine.move_to(at(2026, 3, 4, 9, 5), tick=False)
    reminded = _sweeps_at_once(at(2026, 3, 4, 9, 5))
    assert sorted(pk for r in reminded for pk in r.reminded) == sorted(t.pk for t in tasks)
    assert _per_person("reminder") == Counter(
        {("ny_head", NY_MOVE): 1, ("ny_head", NY_GRID): 1, ("ez_head", EZ_PROJECT): 1}
    )

    for _round in range(3):
        time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
        reports = _sweeps_at_once(at(2026, 3, 5, 9, 1))
        if _round == 0:
            overdue = sorted(pk for r in reports for pk in r.overdue)
            assert overdue == sorted(t.pk for t in tasks)
    assert _per_person("escalation") == Counter(
        {("ny_head", NY_MOVE): 1, ("ny_head", NY_GRID): 1, ("ez_head", EZ_PROJECT): 1}
    )
    assert recipients("escalation_admin") == []

    time_machine.move_to(at(2026, 3, 9, 9, 1), tick=False)
    reports = _sweeps_at_once(at(2026, 3, 9, 9, 1))
    assert sorted(pk for r in reports for pk in r.escalated) == sorted(t.pk for t in tasks)
    _sweeps_at_once(at(2026, 3, 9, 9, 2))
    assert _per_person("escalation_admin") == Counter(
        {("admin", NY_MOVE): 1, ("admin", NY_GRID): 1, ("admin", EZ_PROJECT): 1}
    )

    levels = Counter(
        (e.declaration.name, e.details["level"]) for e in audit_events(AuditAction.ESCALATE)
    )
    assert levels == Counter(
        {(d.name, level): 1 for d in declarations for level in ("overdue", "escalate")}
    )
    assert len(audit_events(AuditAction.REMIND)) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_sweeps_at_once_on_one_overdue_task(flow, time_machine):
    """Four sweeps released together on a single overdue task: one escalation, one audit event."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
    reports = _sweeps_at_once(at(2026, 3, 5, 9, 1), count=4)
    assert sum(len(r.overdue) for r in reports) == 1
    assert recipients("escalation") == ["ny_head"]
    assert len(audit_events(AuditAction.ESCALATE)) == 1
    assert task(unit_task.pk).overdue_at is not None


@pytest.mark.django_db
def test_sweep_after_two_day_outage_sends_every_missed_level_once(flow, time_machine):
    """The last sweep ran Wed 03-04 08:00; the next one only Fri 03-06 10:00. In between:

    - NY_MOVE (submitted Mon 03-02 09:00, unit head 3 days, escalate_after_days 1) passed its
      reminder (Wed 09:00), its due time (Thu 09:00) and its escalation to administrators
      (Fri 09:00): the catching-up sweep marks it overdue and tells ny_head, escalates to the
      administrators, and skips the stale reminder (never sent; the overdue event records it
      as skipped);
    - EZ_PROJECT (submitted Wed 03-04 10:00, due Mon 03-09 10:00) reached its reminder time
      (Fri 10:00) but is not overdue: ez_head gets the reminder.

    A second sweep sends nothing more."""
    StageTimeLimit.objects.create(
        jurisdiction=Jurisdiction.objects.get(code="nanyue"),
        stage=Stage.UNIT_HEAD,
        working_days=3,
        escalate_after_days=1,
    )
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    late = flow.submit(seed(NY_MOVE))
    time_machine.move_to(at(2026, 3, 4, 8), tick=False)
    assert flow.sweep().as_dict() == {"reminded": 0, "overdue": 0, "escalated": 0}
    time_machine.move_to(at(2026, 3, 4, 10), tick=False)
    pending = flow.submit(seed(EZ_PROJECT))

    time_machine.move_to(at(2026, 3, 6, 10), tick=False)
    report = flow.sweep()
    assert report.overdue == [late.pk]
    assert report.escalated == [late.pk]
    assert pending.pk in report.reminded

    assert recipients("reminder") == ["ez_head"]
    assert recipients("escalation") == ["ny_head"]
    assert recipients("escalation_admin") == ["admin"]
    late_task = task(late.pk)
    assert late_task.reminded_at is not None
    assert late_task.overdue_at is not None
    assert late_task.escalated_at is not None
    assert task(pending.pk).overdue_at is None

    remind_events = {e.declaration.name: e.details for e in audit_events(AuditAction.REMIND)}
    assert list(remind_events) == [EZ_PROJECT]
    assert remind_events[EZ_PROJECT]["notified"] == ["ez_head"]
    overdue, escalate = audit_events(AuditAction.ESCALATE)
    assert (overdue.details["level"], escalate.details["level"]) == ("overdue", "escalate")
    assert overdue.details["skipped"] == "reminder"
    assert "skipped" not in escalate.details

    time_machine.move_to(at(2026, 3, 6, 10, 5), tick=False)
    assert flow.sweep().as_dict() == {"reminded": 0, "overdue": 0, "escalated": 0}
    assert recipients("reminder") == ["ez_head"]
    assert recipients("escalation") == ["ny_head"]
    assert recipients("escalation_admin") == ["admin"]
    assert len(audit_events(AuditAction.ESCALATE)) == 2


def _three_overdue_unit_head_tasks(flow, time_machine) -> list:
    """NY_MOVE, NY_GRID and EZ_PROJECT submitted Mon 03-02 09:00: all overdue Thu 03-05 09:00."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    tasks = [flow.submit(seed(name)) for name in (NY_MOVE, NY_GRID, EZ_PROJECT)]
    time_machine.move_to(at(2026, 3, 5, 9, 1), tick=False)
    return tasks


@pytest.mark.django_db
def test_one_sweep_clears_a_backlog_larger_than_its_batch(flow, time_machine, monkeypatch):
    """A backlog bigger than one batch (one task per batch here, as 1,000 are in production)
    is cleared by a single run: every overdue task escalated once, the audit log still verifies
    with its events; the next run finds nothing."""
    monkeypatch.setattr(sweeps, "BATCH", 1)
    tasks = _three_overdue_unit_head_tasks(flow, time_machine)
    report = flow.sweep()
    assert sorted(report.overdue) == sorted(t.pk for t in tasks)
    assert _per_person("escalation") == Counter(
        {("ny_head", NY_MOVE): 1, ("ny_head", NY_GRID): 1, ("ez_head", EZ_PROJECT): 1}
    )
    assert len(audit_events(AuditAction.ESCALATE)) == 3
    assert verify_audit() == []
    assert flow.sweep().as_dict() == {"reminded": 0, "overdue": 0, "escalated": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_taking_batches_at_once_escalate_each_task_once(flow, time_machine, monkeypatch):
    """Two sweeps released together, each taking one task per batch: between them every
    overdue task is escalated exactly once (one notice per person, one audit event per task),
    and a third sweep sends nothing."""
    monkeypatch.setattr(sweeps, "BATCH", 1)
    tasks = _three_overdue_unit_head_tasks(flow, time_machine)
    reports = _sweeps_at_once(at(2026, 3, 5, 9, 1))
    assert sorted(pk for r in reports for pk in r.overdue) == sorted(t.pk for t in tasks)
    assert _per_person("escalation") == Counter(
        {("ny_head", NY_MOVE): 1, ("ny_head", NY_GRID): 1, ("ez_head", EZ_PROJECT): 1}
    )
    assert len(audit_events(AuditAction.ESCALATE)) == 3
    assert sweeps.sweep_deadlines(at(2026, 3, 5, 9, 2)).as_dict() == {
        "reminded": 0,
        "overdue": 0,
        "escalated": 0,
    }
