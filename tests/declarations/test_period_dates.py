"""A special fund's period (专项起止时间) holds dates between 2000 and 2100, like its fiscal year:
the edit form and the API refuse others in Chinese, and a draft that already holds such dates
still opens, prints, exports and copies."""

from datetime import date

import pytest

from declarations.models import Declaration
from tests.api.helpers import assert_chinese, expect, token_client
from tests.declarations.helpers import edit_fields, post_edit
from tests.pages import field_messages, flash_messages, page_of

OUT_OF_RANGE = "日期须在 2000 年至 2100 年之间。"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-01-01", "9999-12-31"), ("1999-12-31", "2101-01-01")],
    ids=["year-9999", "just-outside"],
)
def test_the_api_refuses_a_period_outside_2000_to_2100(ny_grid, start, end):
    """PATCH with such dates is a 400 with the message under each date; the draft keeps its
    period."""
    client = token_client("ny_preparer")
    response = client.patch(
        f"/api/declarations/{ny_grid.pk}/",
        {"period_start": start, "period_end": end},
        format="json",
    )

    body = expect(response, 400)
    assert body == {"period_start": [OUT_OF_RANGE], "period_end": [OUT_OF_RANGE]}
    assert_chinese(body)
    ny_grid.refresh_from_db()
    assert (ny_grid.period_start, ny_grid.period_end) == (date(2020, 1, 1), date(2020, 12, 31))


@pytest.mark.django_db
def test_the_api_accepts_the_first_and_last_day_of_the_range(ny_grid):
    client = token_client("ny_preparer")
    response = client.patch(
        f"/api/declarations/{ny_grid.pk}/",
        {"period_start": "2000-01-01", "period_end": "2100-12-31"},
        format="json",
    )
    body = expect(response, 200)
    assert (body["period_start"], body["period_end"]) == ("2000-01-01", "2100-12-31")


@pytest.mark.django_db
def test_the_edit_form_refuses_such_a_date_next_to_the_field_and_keeps_the_input(
    client, ny_grid, login
):
    """Saving the form with 9999-12-31 as the end answers the form again with the message in the
    date's box; what was typed is kept for the fix; the browser's date picker stops at 2100."""
    login("ny_preparer")
    fields = edit_fields(client, ny_grid)

    response = post_edit(client, ny_grid, fields, period_end="9999-12-31", remarks="改过的说明")

    assert response.status_code == 400
    assert field_messages(response, "period_end") == [OUT_OF_RANGE]
    assert any("已暂存您输入的全部内容" in m for m in flash_messages(response))
    ny_grid.refresh_from_db()
    assert ny_grid.period_end == date(2020, 12, 31)
    assert ny_grid.pending_input["data"]["period_end"] == ["9999-12-31"]
    assert ny_grid.pending_input["data"]["remarks"] == ["改过的说明"]
    date_input = page_of(response).by_id("field-period_end").find("input")
    assert (date_input.attrs["min"], date_input.attrs["max"]) == ("2000-01-01", "2100-12-31")


@pytest.fixture
def extreme_period(ny_grid) -> Declaration:
    """A draft that holds 9999-01-01 to 9999-12-31, as one saved before the rule would."""
    Declaration.objects.filter(pk=ny_grid.pk).update(
        period_start=date(9999, 1, 1), period_end=date(9999, 12, 31)
    )
    ny_grid.refresh_from_db()
    return ny_grid


@pytest.mark.django_db
def test_a_draft_holding_year_9999_still_opens_prints_and_exports(client, extreme_period, login):
    """The detail, print and export pages and the API's detail and export answer 200 (they were
    500s), and the printed form writes the period as the paper form does."""
    login("ny_preparer")
    pk = extreme_period.pk
    api = token_client("ny_preparer")

    for response in (
        client.get(f"/declarations/{pk}/"),
        client.get(f"/declarations/{pk}/print/"),
        client.get(f"/declarations/{pk}/export.xlsx"),
        client.get("/declarations/export.xlsx"),
        api.get(f"/api/declarations/{pk}/"),
        api.get(f"/api/declarations/{pk}/export.xlsx"),
    ):
        assert response.status_code == 200, response.wsgi_request.path

    assert "9999年元月-12月" in client.get(f"/declarations/{pk}/print/").content.decode()


@pytest.mark.django_db
def test_copying_a_draft_holding_year_9999_leaves_the_period_to_fill_in(
    client, extreme_period, login
):
    """The copy to next year is made (it was a 500); a period that cannot move into the accepted
    years is left empty for the preparer to fill in, everything else is copied."""
    login("ny_preparer")

    response = client.post(f"/declarations/{extreme_period.pk}/copy/")

    copy = Declaration.objects.get(copied_from=extreme_period)
    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{copy.pk}/edit/"
    assert copy.fiscal_year == 2021
    assert (copy.period_start, copy.period_end) == (None, None)
    assert copy.name == extreme_period.name
    assert copy.indicators.count() == extreme_period.indicators.count()
