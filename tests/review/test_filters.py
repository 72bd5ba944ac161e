"""The list filters: ?year= and ?status= narrow the declaration list; digits that are not
ASCII, or too long for an id, filter nothing instead of failing."""

import pytest

from review.drafts import declaration_copy
from review.services import declaration_submit
from tests.declarations.helpers import NY_GRID, NY_RELOCATION
from tests.pages import page_of
from tests.review.helpers import login


def _listed(client, query: str = "") -> list[tuple[int, str, str]]:
    """(year, name, status) of each row of the declaration list page."""
    response = client.get(f"/declarations/{query}")
    assert response.status_code == 200
    body = page_of(response).find("table", cls="list").find("tbody")
    rows = []
    for tr in body.children_tagged("tr"):
        cells = tr.children_tagged("td")
        if len(cells) < 5:
            continue
        rows.append((int(cells[0].text), cells[1].find("a").text, cells[4].text))
    return sorted(rows)


@pytest.mark.django_db
def test_the_list_filters_by_year_and_status(client, seeds, login, demo):
    """?year= and ?status= narrow the preparer's list, alone and together."""
    preparer = demo.user("ny_preparer")
    declaration_copy(actor=preparer, source_id=seeds[NY_RELOCATION].pk)
    declaration_submit(actor=preparer, declaration_id=seeds[NY_GRID].pk)
    login("ny_preparer")

    assert _listed(client) == [
        (2020, NY_RELOCATION, "草稿"),
        (2020, NY_GRID, "审核中"),
        (2021, NY_RELOCATION, "草稿"),
    ]
    assert _listed(client, "?year=2021") == [(2021, NY_RELOCATION, "草稿")]
    assert _listed(client, "?year=2020") == [
        (2020, NY_RELOCATION, "草稿"),
        (2020, NY_GRID, "审核中"),
    ]
    assert _listed(client, "?status=submitted") == [(2020, NY_GRID, "审核中")]
    assert _listed(client, "?status=draft") == [
        (2020, NY_RELOCATION, "草稿"),
        (2021, NY_RELOCATION, "草稿"),
    ]
    assert _listed(client, "?year=2020&status=draft") == [(2020, NY_RELOCATION, "草稿")]
    assert _listed(client, "?year=2019") == []
    assert "共 1 份" in client.get("/declarations/?year=2021").content.decode()


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
