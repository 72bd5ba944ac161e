"""Who reads which audit events.

An auditor of one jurisdiction sees the events of that jurisdiction's declarations and its
own people's refusals, and nothing of another jurisdiction: not its declarations' ids,
stages or names, whether through the audit page, the API's list and detail, or a
declaration's history. Refused attempts are for auditors, not for the preparer."""

import re

import pytest
from django.http import Http404
from rest_framework.test import APIClient

from audit.models import AuditEvent, AuditResult
from declarations.models import Stage
from review import services as review
from tests.api.helpers import all_pages
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    advance_to,
    login,
    page_text,
    seed,
    user,
)


@pytest.fixture
def both_jurisdictions_busy(demo):
    """Work and refusals in both jurisdictions: each side's reviewers try the other side's tasks
    (404, recorded on their own trail), an auditor tries to approve (403)."""
    ez_task = advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT)
    ny_task = advance_to(seed(NY_MOVE), Stage.FINANCE)
    advance_to(seed(NY_GRID), Stage.DEPARTMENT)
    for actor, task in (("ny_dept", ez_task), ("ez_dept", ny_task), ("ny_perf", ez_task)):
        with pytest.raises(Http404):
            review.task_claim(actor=user(actor), task_id=task.pk)
    review.declaration_comment(
        actor=user("ny_preparer"), declaration_id=ny_task.declaration_id, text="请尽快审核"
    )
    return {"ez": ez_task.declaration, "ny": ny_task.declaration}


def _ids_on(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r"<td>(\d+)</td>", html)}


def _events_of(code: str) -> set[int]:
    return set(AuditEvent.objects.filter(jurisdiction__code=code).values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("auditor", "own", "other"),
    [("ez_auditor", "ezhou", "nanyue"), ("ny_auditor", "nanyue", "ezhou")],
)
def test_an_auditor_of_one_jurisdiction_sees_only_its_events(
    client, both_jurisdictions_busy, auditor, own, other
):
    own_events, other_events = _events_of(own), _events_of(other)
    assert own_events
    assert other_events
    other_declarations = set(
        AuditEvent.objects.filter(jurisdiction__code=other)
        .exclude(declaration=None)
        .values_list("declaration_id", flat=True)
    )

    api = APIClient()
    api.force_authenticate(user(auditor))
    listed = all_pages(api, "/api/audit/events/")
    assert {e["id"] for e in listed} == own_events
    assert not {e["declaration"] for e in listed} & other_declarations
    for pk in sorted(other_events)[:5]:
        assert api.get(f"/api/audit/events/{pk}/").status_code == 404
    for declaration_id in other_declarations:
        assert all_pages(api, "/api/audit/events/", {"declaration": declaration_id}) == []
        assert api.get(f"/api/declarations/{declaration_id}/history/").status_code == 404

    # The auditor's own tries at the other jurisdiction's histories were refused, and recorded
    # on the auditor's trail, in their own jurisdiction.
    tries = AuditEvent.objects.filter(actor__username=auditor, result=AuditResult.REFUSED)
    assert {(e.action, e.jurisdiction.code, e.declaration_id) for e in tries} == {
        ("view", own, None)
    }
    own_events = _events_of(own)

    login(client, auditor)
    shown = set()
    page = 1
    while True:
        response = client.get("/audit/", {"page": page})
        assert response.status_code == 200
        text = page_text(response)
        shown |= _ids_on(text)
        if "下一页" not in text:
            break
        page += 1
    assert shown == own_events
    for declaration_id in other_declarations:
        assert client.get(f"/declarations/{declaration_id}/history/").status_code == 404
        assert not _ids_on(page_text(client.get("/audit/", {"declaration": declaration_id})))


@pytest.mark.django_db
def test_refusals_belong_to_the_actors_jurisdiction_and_name_nothing_of_the_other(
    both_jurisdictions_busy,
):
    """南岳's reviewers refused on 鄂州's task: their refusals are 南岳's, with no 鄂州 declaration,
    stage, role or organisation in them; only the task id they asked for."""
    ez_task_ids = set(both_jurisdictions_busy["ez"].review_tasks.values_list("pk", flat=True))
    refusals = AuditEvent.objects.filter(
        result=AuditResult.REFUSED, actor__username__startswith="ny_"
    )
    assert refusals.count() == 2
    for event in refusals:
        assert event.jurisdiction.code == "nanyue"
        assert (event.declaration_id, event.stage, event.role, event.organisation_name) == (
            None,
            "",
            "",
            "",
        )
        assert event.chain == f"actor:{event.actor_id}"
        assert event.details["task"] in ez_task_ids


@pytest.mark.django_db
def test_refused_attempts_are_shown_to_auditors_not_to_the_preparer(client, demo):
    """Auditors find refused attempts in the audit log (/audit/?result=refused), and in the
    declaration's history when the actor could see the declaration; an attempt on a declaration
    the actor may not see stays off that declaration's history. The preparer's history shows
    only what happened; reviewers cannot open the audit log."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ny_dept")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 404
    hidden = AuditEvent.objects.get(result=AuditResult.REFUSED)
    login(client, "ez_finance")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 404
    login(client, "auditor")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 403
    visible = AuditEvent.objects.get(result=AuditResult.REFUSED, actor__username="auditor")

    log = client.get("/audit/", {"result": "refused"})
    assert log.status_code == 200
    assert f"<td>{hidden.pk}</td>" in log.content.decode()
    assert f"<td>{visible.pk}</td>" in log.content.decode()
    history = client.get(f"/declarations/{declaration.pk}/history/").content.decode()
    assert history.count("被拒绝") == 1

    login(client, EZ.preparer)
    history = client.get(f"/declarations/{declaration.pk}/history/").content.decode()
    assert "被拒绝" not in history
    assert "同意" in history
    for username in (EZ.preparer, "ez_dept"):
        login(client, username)
        assert client.get("/audit/").status_code == 403


@pytest.mark.django_db
def test_refusals_outside_any_object_are_recorded_too(client, demo):
    """Opening the audit log without being an auditor, or the new-declaration page without
    being a preparer, is refused (403) and recorded once on the actor's own trail."""
    login(client, "ez_dept")
    assert client.get("/audit/").status_code == 403
    login(client, "ez_head")
    assert client.get("/declarations/new/").status_code == 403
    api = APIClient()
    api.force_authenticate(user("ny_preparer"))
    assert api.get("/api/audit/events/").status_code == 403
    refused = AuditEvent.objects.filter(result=AuditResult.REFUSED).order_by("pk")
    assert [(e.actor.username, e.action, e.chain == f"actor:{e.actor_id}") for e in refused] == [
        ("ez_dept", "view", True),
        ("ez_head", "create", True),
        ("ny_preparer", "view", True),
    ]
