"""declaration_save: a draft is saved as typed even when it breaks the submission rules; a
save over a submitted declaration is refused but shows what was typed. One edit event."""

from decimal import Decimal

import pytest

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import content_of
from declarations.models import DeclarationStatus
from organisations.models import Role
from review import drafts as services
from tests.audit.helpers import assert_event, only_new_event
from tests.declarations.helpers import EZ_PROJECT, edit_fields, post_edit
from tests.html import form_fields, post_data
from tests.review.helpers import EZ, NY_MOVE, last_event_pk, login, seed, submit, user


@pytest.mark.django_db
def test_edit_writes_one_edit_event(demo):
    declaration = seed(EZ_PROJECT)
    content = content_of(declaration)
    content.fields["remarks"] = "补充说明"
    before = last_event_pk()
    saved = services.declaration_save(
        actor=user(EZ.preparer), declaration_id=declaration.pk, content=content
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.EDIT,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )
    assert event.details["version"] == saved.version


@pytest.mark.django_db
def test_a_draft_breaking_submit_rules_is_saved_as_typed(client, ny_relocation, login):
    """Funding that does not add up and a wrong phone are saved anyway: the draft holds them,
    a refused submission keeps them, and the edit form shows them again."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    typed = {"funding-3-amount": "9", "contact_phone": "12345", "name": "改名后的专项"}

    saved = post_edit(client, ny_relocation, fields, action="save", **typed)
    assert saved.status_code == 302
    refused = post_edit(client, ny_relocation, edit_fields(client, ny_relocation), action="submit")
    assert refused.status_code == 400

    ny_relocation.refresh_from_db()
    assert ny_relocation.status == DeclarationStatus.DRAFT
    assert ny_relocation.name == "改名后的专项"
    assert ny_relocation.contact_phone == "12345"
    assert content_of(ny_relocation).funding_lines[3]["amount"] == Decimal(9)
    again = edit_fields(client, ny_relocation)
    assert again["funding-3-amount"] == ["9"]
    assert again["contact_phone"] == ["12345"]
    assert again["name"] == ["改名后的专项"]


@pytest.mark.django_db
def test_a_save_after_someone_submitted_shows_what_was_typed(client, demo):
    """Two preparers: B submits while A edits; A's save is refused (409) but the page shows
    everything A typed, and the refusal is audited."""
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
