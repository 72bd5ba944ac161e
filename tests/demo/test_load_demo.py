"""load_demo builds the demo jurisdictions and accounts, and running it twice changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from organisations.models import Jurisdiction, Membership, Organisation, OrganisationKind, Role

EXPECTED_ROLES = {
    "ez_preparer": (Role.PREPARER, "鄂州市综治中心（市网格化管理服务中心）"),
    "ez_head": (Role.UNIT_HEAD, "鄂州市综治中心（市网格化管理服务中心）"),
    "ez_dept": (Role.DEPARTMENT_REVIEWER, "中共鄂州市委政法委员会"),
    "ez_finance": (Role.FINANCE_REVIEWER, "鄂州市财政局行政政法股"),
    "ez_perf": (Role.PERFORMANCE_REVIEWER, "鄂州市财政局监督绩效股"),
    "ny_preparer": (Role.PREPARER, "南岳区社会治理和网格信息化服务中心"),
    "ny_head": (Role.UNIT_HEAD, "南岳区社会治理和网格信息化服务中心"),
    "ny_dept": (Role.DEPARTMENT_REVIEWER, "中共南岳区委政法委员会"),
    "ny_finance": (Role.FINANCE_REVIEWER, "南岳区财政局行政政法股"),
    "ny_perf": (Role.PERFORMANCE_REVIEWER, "南岳区财政局监督绩效股"),
    "auditor": (Role.AUDITOR, None),
    "admin": (Role.ADMINISTRATOR, None),
}


def snapshot() -> dict:
    user_model = get_user_model()
    return {
        "jurisdictions": list(Jurisdiction.objects.order_by("pk").values()),
        "organisations": list(Organisation.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "users": list(user_model.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
def test_running_twice_gives_the_same_rows():
    call_command("load_demo", "--quiet")
    first = snapshot()
    call_command("load_demo", "--quiet")
    assert snapshot() == first
    assert len(first["users"]) == 14
    assert len(first["jurisdictions"]) == 2


@pytest.mark.django_db
def test_each_demo_user_has_exactly_its_roles(demo):
    for username, (role, organisation) in EXPECTED_ROLES.items():
        memberships = list(Membership.objects.filter(user__username=username))
        assert [(m.role, m.organisation and m.organisation.name) for m in memberships] == [
            (role, organisation)
        ], username
    auditor = Membership.objects.get(user__username="auditor")
    assert auditor.jurisdiction is None  # all jurisdictions
    assert demo.user("admin").is_superuser
    assert not demo.user("auditor").is_staff


@pytest.mark.django_db
def test_each_jurisdiction_has_an_auditor_of_its_own(demo):
    """ez_auditor and ny_auditor audit one jurisdiction each, read-only, with no organisation."""
    for username, code in (("ez_auditor", "ezhou"), ("ny_auditor", "nanyue")):
        (membership,) = Membership.objects.filter(user__username=username)
        assert (membership.role, membership.organisation, membership.jurisdiction.code) == (
            Role.AUDITOR,
            None,
            code,
        )
        assert not demo.user(username).is_staff


@pytest.mark.django_db
def test_every_account_logs_in_with_the_demo_password(client, demo):
    for username in [*EXPECTED_ROLES, "ez_auditor", "ny_auditor"]:
        assert client.login(username=username, password="Demo@2026"), username


@pytest.mark.django_db
def test_password_option(client):
    call_command("load_demo", "--quiet", "--password", "Other@2027")
    assert client.login(username="ez_head", password="Other@2027")
    assert not client.login(username="ez_head", password="Demo@2026")


@pytest.mark.django_db
def test_a_preparer_has_no_role_anywhere_else(demo):
    preparer = demo.user("ez_preparer")
    assert {(m.role, m.organisation_id) for m in preparer.memberships.all()} == {
        (Role.PREPARER, demo.ez_unit.pk)
    }
    assert not Membership.objects.filter(user=preparer, organisation=demo.ny_unit).exists()


@pytest.mark.django_db
def test_organisation_structure(demo):
    for code, department in [
        ("ezhou", "中共鄂州市委政法委员会"),
        ("nanyue", "中共南岳区委政法委员会"),
    ]:
        jurisdiction = Jurisdiction.objects.get(code=code)
        kinds = sorted(jurisdiction.organisations.values_list("kind", flat=True))
        assert kinds == sorted(
            [
                OrganisationKind.FINANCE_BUREAU,
                OrganisationKind.BUSINESS_SECTION,
                OrganisationKind.PERFORMANCE_SECTION,
                OrganisationKind.DEPARTMENT,
                OrganisationKind.UNIT,
            ]
        )
        unit = jurisdiction.organisations.get(kind=OrganisationKind.UNIT)
        assert unit.competent_department.name == department
        assert unit.competent_department.handled_by.kind == OrganisationKind.BUSINESS_SECTION
