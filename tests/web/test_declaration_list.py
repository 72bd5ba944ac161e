"""The declaration list page: newest year and latest change first, a page at a time with
下一页 / 上一页 / 第一页 links that keep the filters, the same SQL on a deep page as on the first,
a count that stops at 999+, and old `?page=N` links that still open page N."""

import base64
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from declarations.models import Declaration
from tests.pages import page_of
from tests.review.bulk import copy_declarations
from tests.review.helpers import NY_GRID, seed

pytestmark = pytest.mark.django_db

UNIT = "南岳区社会治理和网格信息化服务中心"


def ids_on_page(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/declarations/(\d+)/"', response.content.decode())]


def link(response, text: str) -> str | None:
    """The address of the pager's link with this text, as the browser would follow it."""
    hrefs = [a.attrs["href"] for a in page_of(response).find_all("a") if a.text == text]
    return "/declarations/" + hrefs[0] if hrefs else None


def newest_first(declarations) -> list[int]:
    return list(
        declarations.order_by("-fiscal_year", "-updated_at", "-pk").values_list("pk", flat=True)
    )


def walk(client, url: str) -> tuple[list[list[int]], list]:
    """Every page from `url` on, following 下一页: the ids of each, and each response."""
    pages, responses = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(ids_on_page(response))
        responses.append(response)
        url = link(response, "下一页")
    return pages, responses


def test_next_walks_every_declaration_once_newest_first_in_the_same_queries(web):
    """Following 下一页 from the first page lists each visible declaration once, in the list's
    order; a page deep in the list costs the same SQL as the first (at most 12 statements);
    上一页 leads back to the page before, and 第一页 to the start."""
    copy_declarations(seed(NY_GRID), 120, prefix="翻页测试")
    client = web("ny_preparer")
    client.get("/declarations/")  # warm up (the session, the content types)
    with CaptureQueriesContext(connection) as first:
        client.get("/declarations/")
    pages, responses = walk(client, "/declarations/")
    visible = Declaration.objects.filter(reporting_unit__name=UNIT)
    assert [pk for page in pages for pk in page] == newest_first(visible)
    assert [len(page) for page in pages][:2] == [50, 50]
    assert link(responses[0], "上一页") is None
    assert link(responses[0], "第一页") is None
    assert link(responses[-1], "下一页") is None
    with CaptureQueriesContext(connection) as deep:
        client.get(link(responses[1], "下一页"))
    assert len(deep) == len(first) <= 12, [q["sql"] for q in deep.captured_queries]
    back = client.get(link(responses[2], "上一页"))
    assert ids_on_page(back) == pages[1]
    assert ids_on_page(client.get(link(responses[2], "第一页"))) == pages[0]


def test_filters_stay_applied_on_every_page(web):
    """A name search and a status filter hold on the later pages too, and the count says how
    many match."""
    copy_declarations(seed(NY_GRID), 60, prefix="筛选翻页")
    client = web("ny_preparer")
    pages, responses = walk(client, "/declarations/?q=筛选翻页&status=draft")
    ids = [pk for page in pages for pk in page]
    matching = Declaration.objects.filter(name__startswith="筛选翻页", status="draft")
    assert ids == newest_first(matching)
    assert len(pages) == 2
    assert "共 60 份" in responses[0].content.decode()
    assert "共 60 份" in responses[1].content.decode()


def test_the_count_stops_at_999_plus(web):
    """With more than 999 declarations the page says 999+ rather than counting them all."""
    copy_declarations(seed(NY_GRID), 1000, prefix="计数测试")
    text = web("ny_preparer").get("/declarations/").content.decode()
    assert "共 999+ 份" in text
    assert len(ids_on_page(web("ny_preparer").get("/declarations/"))) == 50


def test_page_numbers_from_old_links_still_open_that_page(web):
    """`?page=2` shows the second 50, with links to the pages either side; a number past the
    end shows an empty list with a way back to the first page."""
    copy_declarations(seed(NY_GRID), 120, prefix="页码测试")
    client = web("ny_preparer")
    order = newest_first(Declaration.objects.filter(reporting_unit__name=UNIT))
    second = client.get("/declarations/?page=2")
    assert ids_on_page(second) == order[50:100]
    assert ids_on_page(client.get(link(second, "下一页"))) == order[100:150]
    assert ids_on_page(client.get(link(second, "上一页"))) == order[:50]
    beyond = client.get("/declarations/?page=99")
    assert beyond.status_code == 200
    assert ids_on_page(beyond) == []
    assert "没有符合条件的申报表" in beyond.content.decode()
    assert ids_on_page(client.get(link(beyond, "第一页"))) == order[:50]
    huge = client.get("/declarations/?page=999999999999999999")
    assert huge.status_code == 200
    assert ids_on_page(huge) == []


@pytest.mark.parametrize(
    "values",
    [
        [2027, "2026-01-01T00:00:00+00:00", 10**30],
        [10**6, "2026-01-01T00:00:00+00:00", 1],
        [2027, "不是时间", 1],
        [2027, 1],
        "x",
    ],
)
def test_a_cursor_that_is_not_ours_opens_the_first_page(web, values):
    """A cursor edited by hand (out-of-range numbers, a bad time, the wrong shape) opens the
    first page instead of failing."""
    copy_declarations(seed(NY_GRID), 60, prefix="游标测试")
    client = web("ny_preparer")
    raw = base64.urlsafe_b64encode(json.dumps(["after", values]).encode()).decode()
    response = client.get(f"/declarations/?cursor={raw}")
    assert response.status_code == 200
    assert ids_on_page(response) == ids_on_page(client.get("/declarations/"))
