"""The declaration list's pages: page numbers as before, and cursors (keyset pages) from the
first page's `next` on, in the same envelope."""

import pytest

from declarations.models import Declaration
from review import drafts
from tests.api.helpers import PAGINATION_KEYS, expect

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_more(demo):
    """Five more drafts of 南岳区's unit, so that page_size=2 makes several pages."""
    preparer = demo.user("ny_preparer")
    unit = demo.org("南岳区社会治理和网格信息化服务中心")
    for _ in range(5):
        drafts.declaration_create(actor=preparer, unit=unit, fiscal_year=2027, kind="project")


def test_following_next_walks_every_declaration_once_newest_first(api, seeds, five_more):
    """From the first page, `next` is a cursor; following it lists each visible declaration once,
    newest change first, each page with count, next, previous and results; `previous` leads
    back to the page before."""
    client = api("ny_preparer")
    first = expect(client.get("/api/declarations/", {"page_size": 2}), 200)
    assert set(first) == PAGINATION_KEYS
    assert "cursor=" in first["next"]
    assert first["previous"] is None
    pages, page = [first], first
    while page["next"]:
        page = expect(client.get(page["next"]), 200)
        assert set(page) == PAGINATION_KEYS
        pages.append(page)
    ids = [row["id"] for p in pages for row in p["results"]]
    visible = Declaration.objects.filter(reporting_unit__name="南岳区社会治理和网格信息化服务中心")
    assert ids == list(visible.order_by("-updated_at", "-pk").values_list("pk", flat=True))
    assert all(p["count"] == len(ids) for p in pages)
    back = expect(client.get(pages[2]["previous"]), 200)
    assert back["results"] == pages[1]["results"]


def test_page_numbers_still_answer_as_before(api, seeds, five_more):
    """?page=2 answers the second page with page-number links, as clients built on them expect."""
    client = api("ny_preparer")
    second = expect(client.get("/api/declarations/", {"page_size": 2, "page": 2}), 200)
    assert "page=3" in second["next"]
    assert second["previous"]
    assert "cursor=" not in second["previous"]
    assert len(second["results"]) == 2
