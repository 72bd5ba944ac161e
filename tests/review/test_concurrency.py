"""Races on PostgreSQL with real, separate database connections (one per thread).

Two people acting on the same task at the same moment: exactly one succeeds, the other is told
that it was already handled (已被处理) rather than kept waiting for a lock until it times out
(which would be a different error, "系统繁忙"), and nothing is recorded twice. No assertion is
timed: waiting is shown by what happens, not by a stopwatch on a shared machine.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from audit.models import AuditAction, AuditEvent, AuditResult
from audit.verification import verify_audit
from declarations.models import DeclarationStatus, Stage
from review import errors, permissions
from review import services as review
from tests.review.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    advance_to,
    fresh,
    open_tasks,
    seed,
    submit,
    user,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls in threads released together by a barrier; each thread uses and then
    closes its own connection. Returns (outcome, value or exception, seconds) per call."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            start = time.monotonic()
            try:
                results[index] = ("ok", call(), time.monotonic() - start)
            except Exception as error:
                results[index] = ("error", error, time.monotonic() - start)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results


def winner_and_loser(results):
    oks = [r for r in results if r[0] == "ok"]
    errors = [r for r in results if r[0] == "error"]
    assert len(oks) == 1, results
    assert len(errors) == 1, results
    return oks[0], errors[0]


@pytest.mark.parametrize("who", ["two reviewers", "one reviewer twice"])
def test_two_approvals_of_one_task_at_once_exactly_one_succeeds(demo, second_dept, who):
    """Two approvals of the same department task at the same moment (two candidates from the
    shared queue, or one reviewer double-clicking): one returns, the other raises AlreadyHandled
    ("已被处理"); one stamp, one approve event, one next task."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    actors = (
        [user("ez_dept"), user("ez_dept2")] if who == "two reviewers" else [user("ez_dept")] * 2
    )
    if who == "one reviewer twice":
        review.task_claim(actor=actors[0], task_id=task.pk)

    results = race(
        *[
            lambda actor=actor: review.task_approve(actor=actor, task_id=task.pk, opinion="同意")
            for actor in actors
        ]
    )
    _, loser = winner_and_loser(results)
    error = loser[1]
    assert isinstance(error, errors.AlreadyHandled), repr(error)
    assert "已被处理" in error.message

    declaration = fresh(declaration)
    assert declaration.stage == Stage.FINANCE
    assert declaration.stamps.filter(stage=Stage.DEPARTMENT).count() == 1
    approvals = AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.APPROVE, stage=Stage.DEPARTMENT
    )
    assert approvals.filter(result=AuditResult.OK).count() == 1
    assert [t.stage for t in open_tasks(declaration)] == [Stage.FINANCE]
    assert verify_audit() == []


def test_two_claims_at_once_one_reviewer_gets_the_task(demo, second_dept):
    """Two candidates claim the same queued task at once: one holds it, the other is told it is
    taken; one claim event."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    actors = [user("ez_dept"), user("ez_dept2")]
    results = race(
        *[lambda actor=actor: review.task_claim(actor=actor, task_id=task.pk) for actor in actors]
    )
    winner, loser = winner_and_loser(results)
    assert isinstance(loser[1], errors.AlreadyHandled), repr(loser[1])
    task.refresh_from_db()
    assert task.owner_id == winner[1].owner_id
    claims = AuditEvent.objects.filter(declaration=declaration, action=AuditAction.CLAIM)
    assert list(claims.values_list("result", flat=True)) == [AuditResult.OK]


def test_withdraw_and_unit_head_approval_at_once_leave_a_consistent_state(demo):
    """The preparer withdraws while the unit head approves: exactly one wins, and the state is
    the one the winner made (withdrawn with no unit-head stamp, or at the department with the
    withdrawal refused)."""
    declaration = submit(seed(EZ_PROJECT))
    task = open_tasks(declaration)[0]
    preparer, head = user("ez_preparer"), user("ez_head")
    results = race(
        lambda: review.declaration_withdraw(actor=preparer, declaration_id=declaration.pk),
        lambda: review.task_approve(actor=head, task_id=task.pk, opinion="同意"),
    )
    winner_and_loser(results)
    loser = next(r for r in results if r[0] == "error")
    assert isinstance(loser[1], errors.AlreadyHandled), repr(loser[1])

    declaration = fresh(declaration)
    head_stamps = declaration.stamps.filter(stage=Stage.UNIT_HEAD).count()
    if results[0][0] == "ok":
        assert declaration.status == DeclarationStatus.WITHDRAWN
        assert head_stamps == 0
        assert open_tasks(declaration) == []
    else:
        assert (declaration.status, declaration.stage) == ("submitted", Stage.DEPARTMENT)
        assert head_stamps == 1
    assert verify_audit() == []


def test_a_locked_declaration_does_not_hold_up_another_declaration(demo):
    """The services lock the declaration they change, not its whole unit or jurisdiction: while
    one declaration of 南岳's unit is locked, a decision on another one of the same unit
    completes at once."""
    locked = seed(NY_MOVE)
    task = advance_to(seed(NY_GRID), Stage.UNIT_HEAD)
    head = user("ny_head")
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        """Hold the lock until the decision is made, or give up after 20 s: True when the
        decision came while the lock was still held."""
        with transaction.atomic():
            permissions.lock_declaration(locked.pk)
            holding.set()
            return release.wait(timeout=20)

    def decide():
        assert holding.wait(timeout=10)
        try:
            review.task_approve(actor=head, task_id=task.pk, opinion="同意")
        finally:
            release.set()

    results = race(hold_lock, decide)
    assert results[1][0] == "ok", results[1]
    assert results[0] == ("ok", True, results[0][2]), "the decision waited for the other lock"
    assert fresh(task.declaration).stage == Stage.DEPARTMENT
