"""Input a prober sends to the API: format-suffixed paths and JSON nested thousands of levels
deep. Each is answered in Chinese without a server error, and changes nothing."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from api.authentication import MSG_CSRF_FAILED
from api.parsers import MAX_JSON_DEPTH
from declarations.models import Declaration
from tests.api.helpers import NY_GRID, PASSWORD, assert_chinese, expect, open_task

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


BROKEN_FORMS = {
    # schemathesis's find: a boundary, then 1,300 bytes without the blank line ending a part's
    # headers (Django reads at most 1,024 bytes of them).
    "multipart without the end of part headers": (
        "multipart/form-data; boundary=7e66",
        b"--7e66\r\n[{'': None}, " + b"{'\\x99': []}, " * 100 + b"]--7e66--\r\n",
    ),
    "multipart without a boundary": ("multipart/form-data", b"to_user=ny_dept"),
    "multipart with a non-ASCII boundary": ("multipart/form-data; boundary=\u00e9", b"--x--"),
    "a form with more fields than allowed": (
        "application/x-www-form-urlencoded",
        "&".join(f"f{i}=1" for i in range(1500)).encode(),
    ),
    "multipart with more fields than allowed": (
        "multipart/form-data; boundary=b",
        b"".join(
            f'--b\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n1\r\n'.encode()
            for i in range(1500)
        )
        + b"--b--\r\n",
    ),
}


@pytest.mark.parametrize("path", ["reassign", "hand-over", "approve"])
@pytest.mark.parametrize(("content_type", "body"), BROKEN_FORMS.values(), ids=list(BROKEN_FORMS))
def test_broken_form_bodies_are_a_json_400_in_chinese(api, in_review, path, content_type, body):
    """A form or multipart body Django cannot read is a JSON 400 in Chinese (a multipart body
    without part headers was the HTML error page, and the others said it in English); the task is
    left as it was."""
    declaration, task = in_review
    client = api("admin") if path == "reassign" else api("ny_head")
    client.raise_request_exception = False

    response = client.generic(
        "POST", f"/api/tasks/{task['id']}/{path}/", body, content_type=content_type
    )

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert_chinese(response.json()["detail"])
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"


LARGE_BODIES = {
    "form": ("application/x-www-form-urlencoded", b"opinion=" + b"x" * 5000),
    "json": ("application/json", b'{"opinion": "' + b"x" * 5000 + b'"}'),
    "multipart": (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="opinion"\r\n\r\n'
        + b"x" * 5000
        + b"\r\n--b--\r\n",
    ),
}


@pytest.mark.parametrize(("content_type", "body"), LARGE_BODIES.values(), ids=list(LARGE_BODIES))
def test_a_body_past_the_upload_limit_is_a_json_413_in_chinese(
    api, in_review, settings, content_type, body
):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE is refused as too large, in JSON and Chinese
    (a form was Django's HTML error page; a JSON body was read whatever its size)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    declaration, task = in_review
    client = api("ny_head")
    client.raise_request_exception = False

    response = client.generic(
        "POST", f"/api/tasks/{task['id']}/approve/", body, content_type=content_type
    )

    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == "请求内容过大（最多 1000 字节），已拒绝。"
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"


def test_a_broken_body_from_a_signed_in_browser_is_a_json_400(api, in_review):
    """With a session instead of a token, the CSRF check reads the body before the parsers do:
    a body it cannot read is answered in JSON and Chinese all the same."""
    declaration, task = in_review
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.login(username="ny_head", password=PASSWORD)
    client.get("/")  # the home page sets the CSRF cookie, so the check goes on to the body
    content_type, body = BROKEN_FORMS["multipart without the end of part headers"]

    response = client.generic(
        "POST", f"/api/tasks/{task['id']}/approve/", body, content_type=content_type
    )

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert_chinese(response.json()["detail"])
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"


def test_a_nul_byte_in_a_json_opinion_is_a_400_in_chinese(api, in_review):
    """The API's text fields refuse a NUL byte with a message (the pages drop it)."""
    declaration, task = in_review
    response = api("ny_head").post(
        f"/api/tasks/{task['id']}/approve/", {"opinion": "同意\x00。"}, format="json"
    )
    assert_chinese(str(expect(response, 400)))
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"


def test_a_post_without_the_csrf_token_is_refused_in_chinese(api, in_review):
    """A signed-in browser's POST without the CSRF token is a 403 in Chinese (DRF said "CSRF
    Failed: CSRF cookie not set.")."""
    declaration, task = in_review
    client = Client(enforce_csrf_checks=True)
    client.login(username="ny_head", password=PASSWORD)

    response = client.post(
        f"/api/tasks/{task['id']}/approve/", {"opinion": "同意"}, content_type="application/json"
    )

    assert expect(response, 403)["detail"] == MSG_CSRF_FAILED
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"
