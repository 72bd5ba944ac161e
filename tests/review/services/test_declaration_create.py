"""declaration_create (新建申报表): preparers only, for their own unit; one create event."""

import pytest

from audit.models import AuditAction
from declarations.models import Declaration, DeclarationKind, DeclarationStatus
from organisations.models import Role
from review import drafts as services
from tests.audit.helpers import assert_event, only_new_event
from tests.declarations.helpers import edit_url, newest_declaration
from tests.review.helpers import EZ, last_event_pk, user


@pytest.mark.django_db
def test_create_writes_one_create_event(demo):
    before = last_event_pk()
    declaration = services.declaration_create(
        actor=user(EZ.preparer),
        unit=demo.ez_unit,
        fiscal_year=2027,
        kind=DeclarationKind.PROJECT,
        name="新项目",
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.CREATE,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )


@pytest.mark.django_db
def test_a_preparer_creates_a_declaration(client, demo, login):
    """新建申报表 makes an empty draft of the preparer's unit, with the unit head's and the
    preparer's names filled in, and opens its edit form."""
    login("ny_preparer")
    assert client.get("/declarations/new/").status_code == 200

    response = client.post(
        "/declarations/new/",
        {"unit": demo.ny_unit.pk, "kind": "special_fund", "fiscal_year": "2021", "name": "新专项"},
    )

    declaration = newest_declaration()
    assert response.status_code == 302
    assert response["Location"] == edit_url(declaration)
    assert declaration.name == "新专项"
    assert declaration.fiscal_year == 2021
    assert declaration.kind == "special_fund"
    assert declaration.status == DeclarationStatus.DRAFT
    assert declaration.reporting_unit == demo.ny_unit
    assert declaration.unit_head_name == "袁冕"
    assert declaration.contact_name == "旷晓红"


@pytest.mark.django_db
def test_only_preparers_create_declarations(client, demo, login):
    """A unit head cannot create a declaration; a preparer cannot create one for another unit."""
    count = Declaration.objects.count()
    login("ny_head")
    assert client.get("/declarations/new/").status_code == 403
    login("ez_preparer")
    response = client.post(
        "/declarations/new/",
        {"unit": demo.ny_unit.pk, "kind": "special_fund", "fiscal_year": "2021", "name": "越权"},
    )
    assert response.status_code == 200  # the form answers that the unit is not a valid choice
    assert Declaration.objects.count() == count
