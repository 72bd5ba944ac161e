"""Organisation and membership rules that the admin enforces."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from organisations.models import Membership, Organisation, OrganisationKind, Role
from tests.factories import JurisdictionFactory, OrganisationFactory, UserFactory


@pytest.mark.django_db
def test_a_unit_must_hang_under_a_department_of_its_jurisdiction(demo):
    other_department = demo.org("中共南岳区委政法委员会")
    unit = Organisation(
        jurisdiction=demo.ez_unit.jurisdiction,
        kind=OrganisationKind.UNIT,
        name="新单位",
        parent=other_department,
    )
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert error.value.message_dict["parent"] == ["上级必须属于同一财政辖区。"]
    unit.parent = None
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert error.value.message_dict["parent"] == ["请选择上级：主管部门。"]


@pytest.mark.django_db
def test_one_performance_section_per_jurisdiction():
    jurisdiction = JurisdictionFactory()
    OrganisationFactory(jurisdiction=jurisdiction, kind=OrganisationKind.PERFORMANCE_SECTION)
    with pytest.raises(IntegrityError):
        OrganisationFactory(jurisdiction=jurisdiction, kind=OrganisationKind.PERFORMANCE_SECTION)


@pytest.mark.django_db
def test_role_must_match_the_kind_of_organisation(demo):
    membership = Membership(
        user=UserFactory(), role=Role.DEPARTMENT_REVIEWER, organisation=demo.ez_unit
    )
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert error.value.message_dict["organisation"] == ["主管部门审核人必须任职于主管部门。"]


@pytest.mark.django_db
def test_membership_takes_the_jurisdiction_of_its_organisation(demo):
    membership = Membership.objects.create(
        user=UserFactory(), role=Role.PREPARER, organisation=demo.ez_unit
    )
    assert membership.jurisdiction == demo.ez_unit.jurisdiction


@pytest.mark.django_db
def test_auditor_cannot_hold_an_organisation_membership(demo):
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=UserFactory(),
            role=Role.AUDITOR,
            organisation=demo.ez_unit,
            jurisdiction=demo.ez_unit.jurisdiction,
        )


@pytest.mark.django_db
def test_admin_pages_list_and_search(client, demo):
    client.force_login(demo.user("admin"))
    for url in [
        "/admin/organisations/jurisdiction/",
        "/admin/organisations/organisation/?q=政法",
        "/admin/organisations/membership/?q=ez_",
        "/admin/auth/user/?q=旷晓红",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    # The address from before the models moved to the organisations app redirects, query kept.
    query = "?q=%E5%8D%97%E5%B2%B3"  # 南岳, as a browser sends it
    response = client.get(f"/admin/approvals/organisation/{query}", follow=True)
    assert response.redirect_chain[0][0] == f"/admin/organisations/organisation/{query}"
    assert "南岳区社会治理和网格信息化服务中心" in response.content.decode()
    assert "鄂州市综治中心" not in response.content.decode()
