"""The task list's pages (/api/tasks/): from the first page on, `next` and `previous` are
cursors that follow the list's sort, in the same envelope (count, next, previous, results) and
the same SQL however deep; `?page=N` still answers page N with page-number links."""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from review import selectors
from review.filters import task_sort
from review.selectors import keyset_order
from tests.api.helpers import PAGINATION_KEYS, expect
from tests.review.bulk import copy_task
from tests.review.helpers import NY_MOVE, open_task, seed, submit, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_tasks(demo):
    """Twelve open tasks waiting for 南岳区's unit head, due a minute apart."""
    copy_task(open_task(submit(seed(NY_MOVE))), 11)


def walk(client, params: dict) -> list[dict]:
    first = expect(client.get("/api/tasks/", params), 200)
    pages, page = [first], first
    while page["next"]:
        page = expect(client.get(page["next"]), 200)
        pages.append(page)
    return pages


def expected(view: str, sort: str) -> list[int]:
    field, descending = task_sort(sort)
    tasks = selectors.tasks_for(user("ny_head"), view=view)
    return list(
        tasks.order_by(*keyset_order(field, ascending=not descending)).values_list("pk", flat=True)
    )


def test_following_next_walks_every_task_once_in_due_order(api, twelve_tasks):
    """Each page has count, next, previous and results; following `next` lists each task once,
    soonest due first; `previous` leads back to the page before; a deep page costs the same
    SQL as the first."""
    client = api("ny_head")
    pages = walk(client, {"page_size": 5})
    assert all(set(page) == PAGINATION_KEYS for page in pages)
    assert "cursor=" in pages[0]["next"]
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    ids = [row["id"] for page in pages for row in page["results"]]
    assert ids == expected("open", "due")
    assert [page["count"] for page in pages] == [12, 12, 12]
    back = expect(client.get(pages[2]["previous"]), 200)
    assert back["results"] == pages[1]["results"]
    with CaptureQueriesContext(connection) as first:
        client.get("/api/tasks/", {"page_size": 5})
    with CaptureQueriesContext(connection) as deep:
        client.get(pages[1]["next"])
    assert len(deep) <= len(first) <= 12, [q["sql"] for q in deep.captured_queries]


@pytest.mark.parametrize("sort", ["-due", "holder", "-amount", "name"])
def test_every_sort_pages_through_each_task_once(api, twelve_tasks, sort):
    """Any sort (columns that may be empty included) pages through each task once, in that
    order, and the links keep the sort."""
    pages = walk(api("ny_head"), {"page_size": 5, "sort": sort})
    assert all(f"sort={sort}" in page["next"] for page in pages[:-1])
    ids = [row["id"] for page in pages for row in page["results"]]
    assert ids == expected("open", sort)


def test_page_numbers_still_answer_as_before(api, twelve_tasks):
    """?page=2 answers the second page with page-number links, as clients built on them expect."""
    second = expect(api("ny_head").get("/api/tasks/", {"page_size": 5, "page": 2}), 200)
    assert set(second) == PAGINATION_KEYS
    assert "page=3" in second["next"]
    assert "cursor=" not in second["next"]
    assert second["count"] == 12
    assert [row["id"] for row in second["results"]] == expected("open", "due")[5:10]


def test_done_tasks_page_the_same_way(api, twelve_tasks):
    """status=done pages through the tasks I decided, and the links keep status=done."""
    client = api("ny_head")
    for task in expect(client.get("/api/tasks/", {"page_size": 20}), 200)["results"][:7]:
        expect(client.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)
    pages = walk(client, {"status": "done", "page_size": 3})
    assert all("status=done" in page["next"] for page in pages[:-1])
    ids = [row["id"] for page in pages for row in page["results"]]
    assert ids == expected("done", "due")
    assert len(ids) == 7
    assert {row["status"] for page in pages for row in page["results"]} == {"done"}


@pytest.mark.parametrize(
    ("sort", "value", "pk"),
    [
        ("due", "2026-01-01T00:00:00+00:00", 10**30),
        ("due", "不是时间", 1),
        ("year", 10**9, 1),
        ("amount", "1e400", 1),
    ],
)
def test_a_cursor_edited_by_hand_is_answered_not_failed(api, twelve_tasks, sort, value, pk):
    """A cursor edited by hand (out-of-range numbers, a bad time) is answered in the usual
    envelope (the rows past that point, or the first page when it cannot be read), never an
    error."""
    client = api("ny_head")
    raw = base64.urlsafe_b64encode(json.dumps(["after", value, pk]).encode()).decode()
    page = expect(client.get("/api/tasks/", {"sort": sort, "cursor": raw}), 200)
    assert set(page) == PAGINATION_KEYS
    if value == "不是时间":
        first = expect(client.get("/api/tasks/", {"sort": sort}), 200)
        assert page["results"] == first["results"]
