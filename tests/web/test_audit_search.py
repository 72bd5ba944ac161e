"""The auditor's search on the audit page: by declaration (number or name), year, unit, stage,
declaration status, person (name or login), action and dates. A value that cannot be read is
shown as a Chinese error with nothing listed, never silently dropped."""

import re

import pytest

from audit.models import AuditEvent
from declarations.models import Stage
from tests.review.helpers import EZ_PROJECT, NY_GRID, NY_MOVE, advance_to, page_text, seed


@pytest.fixture
def busy(demo):
    advance_to(seed(NY_MOVE), Stage.FINANCE)
    advance_to(seed(NY_GRID), Stage.DEPARTMENT)
    advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT)


def listed(client, **params) -> set[int]:
    response = client.get("/audit/", params)
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r"<td>(\d+)</td>", page_text(response))}


def ids(**filters) -> set[int]:
    return set(AuditEvent.objects.filter(**filters).values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_declaration_is_found_by_part_of_its_name(web, busy):
    client = web("ny_auditor")
    expected = ids(declaration__name=NY_MOVE)
    assert expected
    assert listed(client, declaration="搬迁") == expected
    assert listed(client, declaration=str(seed(NY_MOVE).pk)) == expected


@pytest.mark.django_db
def test_a_person_is_found_by_name_or_login(web, busy):
    client = web("ny_auditor")
    expected = ids(actor__username="ny_head")
    assert expected
    assert listed(client, actor="袁冕") == expected
    assert listed(client, actor="ny_head") == expected
    assert listed(client, actor="NY_HEAD") == expected


@pytest.mark.django_db
def test_year_unit_stage_status_action_and_dates_narrow_the_list(web, busy):
    client = web("auditor")
    grid = seed(NY_GRID)
    day = AuditEvent.objects.filter(declaration=grid).first().at.date().isoformat()
    found = listed(
        client,
        year=grid.fiscal_year,
        unit=grid.reporting_unit_id,
        stage=Stage.UNIT_HEAD,
        status="submitted",
        action="approve",
        **{"from": day, "to": day},
    )
    assert found == ids(
        declaration__reporting_unit=grid.reporting_unit_id,
        stage=Stage.UNIT_HEAD,
        action="approve",
    )
    assert len(found) == 2  # both 南岳 declarations' unit-head approvals, not 鄂州's


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "二〇二〇"}, "年度"),
        ({"unit": "南岳"}, "填报单位"),
        ({"stage": "nowhere"}, "环节"),
        ({"from": "2026-13-40"}, "起始日期"),
    ],
)
def test_a_bad_filter_shows_a_chinese_error_and_lists_nothing(web, busy, params, message):
    response = web("auditor").get("/audit/", params)
    assert response.status_code == 200
    text = page_text(response)
    alert = re.search(r'<ul class="errorlist card" role="alert">(.*?)</ul>', text, re.S)
    assert alert, "no error shown"
    assert message in alert.group(1)
    assert re.search(r"[\u4e00-\u9fff]", alert.group(1).split("：", 1)[1])
    assert not re.findall(r"<td>(\d+)</td>", text)
    assert "导出 Excel" not in text


@pytest.mark.django_db
def test_the_page_shows_no_codes_and_offers_the_filtered_exports(web, busy):
    text = page_text(web("ny_auditor").get("/audit/", {"declaration": "搬迁"}))
    assert "/api/audit/events/export.xlsx?declaration=" in text
    assert "/api/audit/events/export.csv?declaration=" in text
    cells = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", text, re.S))
    for code in ("unit_head", "department_reviewer", "preparer", "submission", "{'"):
        assert code not in cells


def declarations_listed(client, **params) -> set[str]:
    response = client.get("/declarations/", params)
    assert response.status_code == 200
    return set(re.findall(r'<a href="/declarations/\d+/">([^<]+)</a>', page_text(response)))


@pytest.mark.django_db
def test_an_auditor_finds_the_declarations_a_person_acted_on(web, demo):
    """Who did what, when: one event must match the person, the action and the dates."""
    advance_to(seed(NY_GRID), Stage.DEPARTMENT)  # 袁冕 (ny_head) approved 网格化 only
    client = web("auditor")
    assert declarations_listed(client, person="袁冕", action="approve") == {NY_GRID}
    assert declarations_listed(client, person="ny_head", action="approve") == {NY_GRID}
    assert declarations_listed(client, person="袁冕", action="return") == set()
    today = AuditEvent.objects.latest("at").at.date()
    assert declarations_listed(
        client, person="袁冕", **{"from": today.isoformat(), "to": today.isoformat()}
    ) == {NY_GRID}
    assert declarations_listed(client, person="袁冕", to="2000-01-01") == set()


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"year": "二〇二〇"}, {"action": "nothing"}, {"to": "昨天"}])
def test_a_bad_declaration_filter_shows_a_chinese_error_and_lists_nothing(web, demo, params):
    response = web("auditor").get("/declarations/", params)
    assert response.status_code == 200
    text = page_text(response)
    assert re.search(r'<ul class="errorlist card" role="alert">\s*<li>[^<]*[\u4e00-\u9fff]', text)
    assert declarations_listed(web("auditor"), **params) == set()
