"""declaration_urge (催办): the submitter may urge the stage now holding the declaration at most
once per 24 hours; it notifies that stage and is audited. Others may not urge."""

from datetime import timedelta

import pytest
from django.core import mail

from audit.models import AuditAction, AuditResult
from review.errors import UrgeTooSoon
from review.services import declaration_urge
from tests.notifications.helpers import NY_MOVE, at, audit_events, recipients, seed, user

pytestmark = pytest.mark.django_db


def _urge(api, username, declaration):
    return api(username).post(f"/api/declarations/{declaration.pk}/urge/")


def _ok_urges(declaration):
    return [e for e in audit_events(AuditAction.URGE, declaration) if e.result == AuditResult.OK]


def test_submitter_urges_the_current_stage_once(
    flow, api, time_machine, django_capture_on_commit_callbacks
):
    """ny_preparer urges NY_MOVE at the unit-head stage: ny_head gets a 催办 notification (in-app
    and e-mail) linking to the task, and an urge audit event names the submitter and the task."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    declaration = seed(NY_MOVE)
    unit_task = flow.submit(declaration)
    mail.outbox = []

    time_machine.move_to(at(2026, 3, 3, 14), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = _urge(api, "ny_preparer", declaration)
    assert response.status_code == 200, response.content
    assert recipients("urge") == ["ny_head"]
    notification = declaration.notifications.get(event="urge")
    assert notification.title.startswith("催办")
    assert notification.url == f"/tasks/{unit_task.pk}/"
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]

    (event,) = _ok_urges(declaration)
    assert event.actor == user("ny_preparer")
    assert event.stage == "unit_head"
    assert event.details["task"] == unit_task.pk


def test_second_urge_within_24_hours_is_refused_and_allowed_after(
    flow, api, time_machine, django_capture_on_commit_callbacks
):
    """A second urge 23h59m later is refused with 429 (and Retry-After) and notifies nobody; 24
    hours after the first it works again."""
    time_machine.move_to(at(2026, 3, 2, 9), tick=False)
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    time_machine.move_to(at(2026, 3, 3, 14), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert _urge(api, "ny_preparer", declaration).status_code == 200

    time_machine.move_to(at(2026, 3, 4, 13, 59), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = _urge(api, "ny_preparer", declaration)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "24小时" in response.json()["detail"]
    assert recipients("urge") == ["ny_head"]
    assert len(_ok_urges(declaration)) == 1

    with pytest.raises(UrgeTooSoon):
        declaration_urge(actor=user("ny_preparer"), declaration_id=declaration.pk)

    time_machine.move_to(at(2026, 3, 4, 14), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert _urge(api, "ny_preparer", declaration).status_code == 200
    assert recipients("urge") == ["ny_head", "ny_head"]
    assert len(_ok_urges(declaration)) == 2

    time_machine.move_to(at(2026, 3, 4, 14) + timedelta(hours=1), tick=False)
    assert _urge(api, "ny_preparer", declaration).status_code == 429


def test_urge_reaches_every_candidate_of_an_unclaimed_queue(flow, second_ny_dept):
    """At the department stage with two reviewers and nobody holding the task, both are urged."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.approve(declaration)
    flow.urge(declaration)
    assert recipients("urge") == ["ny_dept", "ny_dept2"]


def test_only_the_submitter_may_urge(flow, api):
    """ny_head (who can see the declaration) is refused with 403, and the refusal is audited;
    鄂州市's preparer cannot even see it (404)."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    response = _urge(api, "ny_head", declaration)
    assert response.status_code == 403
    assert _urge(api, "ez_preparer", declaration).status_code == 404
    assert recipients("urge") == []
    refused = [e for e in audit_events(AuditAction.URGE) if e.result == AuditResult.REFUSED]
    assert {e.actor.username for e in refused} >= {"ny_head", "ez_preparer"}
    assert _ok_urges(declaration) == []


def test_nothing_to_urge_when_not_under_review(flow, api):
    """A draft has no stage to urge: the preparer's urge is refused and notifies no one."""
    declaration = seed(NY_MOVE)
    response = _urge(api, "ny_preparer", declaration)
    assert response.status_code in (403, 409)
    assert recipients("urge") == []
