"""Losing a role loses its tasks; odd input to the review pages never becomes a server error."""

import pytest

from audit.models import AuditEvent, AuditResult
from declarations.models import Stage
from organisations.models import Membership
from tests.review.helpers import (
    NY_MOVE,
    login,
    open_task,
    seed,
    submit,
    user,
)


@pytest.fixture
def held_task(demo):
    """The 南岳 relocation declaration waiting at the unit head, held by ny_head."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    assert task.owner.username == "ny_head"
    return task


@pytest.mark.django_db
def test_a_holder_who_loses_the_role_loses_the_task(client, held_task):
    """Once ny_head's membership is made inactive, the task it held is 404 on the page and the
    API, and it leaves the inbox; the declaration too."""
    Membership.objects.filter(user__username="ny_head").update(is_active=False)
    login(client, "ny_head")
    assert client.get(f"/tasks/{held_task.pk}/").status_code == 404
    assert client.get(f"/api/tasks/{held_task.pk}/").status_code == 404
    assert client.get("/api/tasks/").json()["count"] == 0
    assert client.get(f"/declarations/{held_task.declaration_id}/").status_code == 404
    response = client.post(f"/tasks/{held_task.pk}/release/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_nul_byte_in_an_opinion_is_dropped_not_a_server_error(client, held_task):
    """An opinion pasted with a NUL character is stored without it."""
    login(client, "ny_head")
    response = client.post(f"/tasks/{held_task.pk}/approve/", {"opinion": "同意\x00。"})
    assert response.status_code == 302
    stamp = held_task.declaration.stamps.get(stage=Stage.UNIT_HEAD)
    assert stamp.opinion == "同意。"
    assert client.get("/declarations/?q=a%00b").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/declarations/?year=²",
        "/declarations/?unit=²",
        "/audit/?declaration=²",
        "/digest/?organisation=²",
        "/declarations/?unit=99999999999999999999999",
    ],
)
def test_odd_numbers_in_parameters_are_ignored(client, demo, url):
    """Digits that are not ASCII, or too long for an id, filter nothing instead of failing."""
    login(client, "admin")
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_releasing_a_task_nobody_holds_says_so(client, demo):
    """The administrator releasing an unclaimed task (a double click) gets a message, not a 500."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "admin")
    assert client.post(f"/tasks/{task.pk}/release/").status_code == 302
    response = client.post(f"/tasks/{task.pk}/release/", follow=True)
    assert "该任务当前无人认领，无需释放。" in response.content.decode()
    assert client.post(f"/api/tasks/{task.pk}/release/").status_code in (401, 403, 409)


@pytest.mark.django_db
def test_copy_to_an_impossible_year_is_refused_with_a_message(client, demo):
    """Copying to year 99999 is refused in Chinese; no draft appears."""
    declaration = seed(NY_MOVE)
    login(client, "ny_preparer")
    response = client.post(
        f"/declarations/{declaration.pk}/copy/", {"fiscal_year": "99999"}, follow=True
    )
    assert "年度须在 2000 至 2100 之间。" in response.content.decode()
    assert not declaration.copies.exists()


@pytest.mark.django_db
def test_a_save_after_someone_submitted_shows_what_was_typed(client, demo):
    """Two preparers: B submits while A edits; A's save is refused (409) but the page shows
    everything A typed, and the refusal is audited."""
    from tests.html import form_fields, post_data

    declaration = seed(NY_MOVE)
    login(client, "ny_preparer")
    fields = form_fields(
        client.get(f"/declarations/{declaration.pk}/edit/").content.decode(), "edit-form"
    )
    submit(declaration)
    response = client.post(
        f"/declarations/{declaration.pk}/edit/",
        post_data(fields, name="甲刚刚输入的名称", action="save"),
    )
    assert response.status_code == 409
    assert "甲刚刚输入的名称" in response.content.decode()
    assert AuditEvent.objects.filter(
        declaration=declaration,
        action="edit",
        result=AuditResult.REFUSED,
        actor=user("ny_preparer"),
    ).exists()


@pytest.mark.django_db
def test_a_forged_forwarded_for_is_not_recorded_and_not_a_500(client, demo, settings):
    """Behind a trusted proxy the proxy's own entry counts; junk addresses are not stored."""
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    declaration = seed(NY_MOVE)
    login(client, "ny_preparer")
    client.post(
        f"/declarations/{declaration.pk}/submit/", HTTP_X_FORWARDED_FOR="1.2.3.4, 2001:DB8::1"
    )
    client.post(
        f"/declarations/{declaration.pk}/comment/", {"text": "看一下"}, HTTP_X_FORWARDED_FOR="junk"
    )
    submitted = AuditEvent.objects.get(declaration=declaration, action="submit")
    comment = AuditEvent.objects.get(declaration=declaration, action="comment")
    assert submitted.ip == "2001:db8::1"
    assert comment.ip is None
    from audit.log import verify_audit

    assert verify_audit() == []
