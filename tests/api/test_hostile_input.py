"""Input a prober sends to the API: format-suffixed paths and JSON nested thousands of levels
deep. Each is answered in Chinese without a server error, and changes nothing."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH
from declarations.models import Declaration
from tests.api.helpers import NY_GRID, assert_chinese, expect, open_task

MOVE = {"to_user": "ny_dept", "reason": "出差"}
SUFFIXED = [
    ("get", "/api/declarations.json", None),
    ("get", "/api/declarations/{declaration}.json", None),
    ("patch", "/api/declarations/{declaration}.json", {"remarks": "改"}),
    ("get", "/api/declarations/{declaration}/history.json", None),
    ("post", "/api/declarations/{declaration}/submit.json", None),
    ("post", "/api/declarations/{declaration}/withdraw.json", None),
    ("post", "/api/declarations/{declaration}/urge.json", None),
    ("get", "/api/tasks.json", None),
    ("get", "/api/tasks/{task}.json", None),
    ("post", "/api/tasks/{task}/claim.json", None),
    ("post", "/api/tasks/{task}/release.json", None),
    ("post", "/api/tasks/{task}/approve.json", {"opinion": "同意"}),
    ("post", "/api/tasks/{task}/return.json", {"opinion": "请修改", "to": "preparer"}),
    ("post", "/api/tasks/{task}/reject.json", {"opinion": "不予通过"}),
    ("post", "/api/tasks/{task}/hand-over.json", MOVE),
    ("post", "/api/tasks/{task}/reassign.json", MOVE),
    ("get", "/api/audit/events.json", None),
    ("get", "/api/notifications.json", None),
    ("post", "/api/notifications/read-all.json", None),
    ("get", "/api/notifications/unread-count.json", None),
]


@pytest.fixture
def in_review(api, seeds):
    """南岳's grid declaration submitted: its task waits for ny_head."""
    declaration = seeds[NY_GRID]
    expect(api("ny_preparer").post(f"/api/declarations/{declaration.pk}/submit/"), 200)
    return declaration, open_task(api("ny_head"), declaration.pk)


@pytest.mark.parametrize(
    ("method", "path", "body"), SUFFIXED, ids=[f"{m} {p}" for m, p, _ in SUFFIXED]
)
def test_format_suffixed_paths_are_a_json_404_in_chinese(api, in_review, method, path, body):
    """history.json, approve.json and the like are not API paths: a JSON 404 in Chinese (they
    were 500s), and nothing is changed by them."""
    declaration, task = in_review
    client = api("admin") if "reassign" in path else api("ny_head")
    client.raise_request_exception = False
    url = path.format(declaration=declaration.pk, task=task["id"])

    response = getattr(client, method)(url, body, format="json")

    assert response.status_code == 404, (url, response.status_code)
    assert response["Content-Type"].startswith("application/json")
    assert_chinese(response.json()["detail"])
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"
    assert Declaration.objects.get(pk=declaration.pk).version == declaration.version


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLPattern):
            yield route
        else:
            yield from _patterns(entry, route)


def test_no_api_route_passes_a_format_argument():
    """The root of the 500s: no route hands a `format` argument to a view."""
    routes = list(_patterns(get_resolver()))
    assert any("tasks" in route for route in routes)
    assert [route for route in routes if "format" in route] == []


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_3000_level_body_on_the_token_endpoint_is_a_400_in_chinese(demo):
    """Before logging in, a body nested 3,000 levels deep is refused with a 400 in Chinese (it
    was a RecursionError, a 500)."""
    client = APIClient()
    response = client.generic(
        "POST", "/api/auth/token/", nested(3000), content_type="application/json"
    )
    body = expect(response, 400)
    assert "嵌套" in body["detail"]
    assert_chinese(body["detail"])


@pytest.mark.parametrize("depth", [3000, MAX_JSON_DEPTH + 1], ids=["3000", "just-too-deep"])
def test_absurdly_deep_bodies_change_nothing(api, in_review, depth):
    """A PATCH or an approval whose body nests beyond 32 levels (whether or not Python could
    parse it) is a 400 in Chinese; the draft and the task are left as they were."""
    declaration, task = in_review
    body = '{"opinion": "同意", "remarks": ' + nested(depth - 1) + "}"
    head, preparer = api("ny_head"), api("ny_preparer")

    approve = head.generic(
        "POST", f"/api/tasks/{task['id']}/approve/", body, content_type="application/json"
    )
    patch = preparer.generic(
        "PATCH", f"/api/declarations/{declaration.pk}/", body, content_type="application/json"
    )

    for response in (approve, patch):
        assert_chinese(expect(response, 400)["detail"])
    assert open_task(head, declaration.pk)["status"] == "open"
    assert Declaration.objects.get(pk=declaration.pk).version == declaration.version


def test_a_body_at_the_depth_limit_is_accepted(api, seeds):
    """32 levels is still accepted: the bound refuses only what no client of this API sends."""
    declaration = seeds[NY_GRID]
    body = '{"remarks": "已核对", "extra": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    response = api("ny_preparer").generic(
        "PATCH", f"/api/declarations/{declaration.pk}/", body, content_type="application/json"
    )
    assert expect(response, 200)["remarks"] == "已核对"


def test_malformed_json_says_where_in_chinese(api, seeds):
    """A body that is not JSON is a 400 that says, in Chinese, at which line and column."""
    declaration = seeds[NY_GRID]
    response = api("ny_preparer").generic(
        "PATCH",
        f"/api/declarations/{declaration.pk}/",
        '{"remarks": "x",\n "name": }',
        content_type="application/json",
    )
    assert expect(response, 400)["detail"] == "请求内容不是有效的 JSON：第 2 行第 10 列有误。"
