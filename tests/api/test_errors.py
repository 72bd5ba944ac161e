"""Errors: 400 with Chinese messages by field, 409 for work already done, 429 for urging twice
within 24 hours, and the pagination envelope on every list."""

import io
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from django.utils import timezone

from declarations.models import Declaration
from notifications.models import Notification
from tests.api.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PAGINATION_KEYS,
    assert_chinese,
    expect,
    open_task,
)

# --- 400: field errors in Chinese ---------------------------------------------------------------

BAD_FIELDS = [
    ("budget", "abc"),
    ("budget", "-1"),
    ("year", "二〇二〇"),
    ("year", 1900),
    ("nature", "temporary"),
    ("period_start", "2020-13-01"),
    ("contact_phone", "x" * 51),
    ("name", "名" * 201),
    ("funding_lines", [{"source": "lottery", "amount": "1"}]),
    ("funding_lines", [{"source": "local", "amount": "很多"}]),
    ("indicators", [{"level1": "output", "level2": "quantity", "value": "十个"}]),
    ("indicators", [{"level1": "impact"}]),
    ("annual_goals", [""]),
    ("kind", "grant"),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_FIELDS, ids=[f"{f}={v!r:.20}" for f, v in BAD_FIELDS]
)
def test_bad_input_is_400_with_a_chinese_message_under_the_field(api, seeds, field, value):
    """A value that cannot be parsed is refused with 400 and a Chinese message under its field;
    the draft is left as it was."""
    declaration = seeds[NY_GRID]
    response = api("ny_preparer").patch(
        f"/api/declarations/{declaration.pk}/", {field: value}, format="json"
    )
    body = expect(response, 400)
    assert field in body, body
    assert_chinese(body[field])
    assert Declaration.objects.get(pk=declaration.pk).version == declaration.version


def test_create_without_kind_and_year_is_400_in_chinese(api, demo):
    body = expect(api("ny_preparer").post("/api/declarations/", {}, format="json"), 400)
    assert {"kind", "year"} <= set(body)
    assert_chinese(body)


def test_create_then_submit_incomplete_lists_every_missing_field_in_chinese(api, demo):
    """A new, nearly empty special-fund draft can be saved; submitting it answers 400 with a
    Chinese message for each missing field and each empty table, and it stays a draft."""
    preparer = api("ny_preparer")
    created = expect(
        preparer.post(
            "/api/declarations/",
            {"kind": "special_fund", "year": 2026, "name": "空白专项"},
            format="json",
        ),
        201,
    )
    assert created["status"] == "draft"
    assert created["name"] == "空白专项"
    assert created["unit_name"] == "南岳区社会治理和网格信息化服务中心"
    body = expect(preparer.post(f"/api/declarations/{created['id']}/submit/"), 400)
    for field in (
        "nature",
        "basis",
        "budget",
        "period_start",
        "period_end",
        "owner",
        "contact_phone",
        "summary",
        "measures",
    ):
        assert field in body, (field, body)
        assert_chinese(body[field])
    tables = [key for key in body if "fund" in key or "indicator" in key or "goal" in key]
    assert tables, body
    assert_chinese(body)
    assert Declaration.objects.get(pk=created["id"]).status == "draft"


def test_submit_with_inconsistent_funding_says_so_in_chinese(api, seeds):
    """Funding lines that do not add up to the budget block the submission with a message."""
    declaration = seeds[NY_RELOCATION]
    preparer = api("ny_preparer")
    expect(
        preparer.patch(f"/api/declarations/{declaration.pk}/", {"budget": "99"}, format="json"),
        200,
    )
    body = expect(preparer.post(f"/api/declarations/{declaration.pk}/submit/"), 400)
    messages = [m for value in body.values() for m in (value if isinstance(value, list) else [])]
    assert any("不一致" in m for m in messages), body
    assert_chinese(body)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("return", {"to": "preparer"}, "opinion"),
        ("return", {"opinion": "  ", "to": "preparer"}, "opinion"),
        ("return", {"opinion": "请修改", "to": "everyone"}, "to"),
        ("reject", {}, "opinion"),
        ("reject", {"opinion": ""}, "opinion"),
        ("hand-over", {"reason": "出差"}, "to_user"),
        ("hand-over", {"to_user": "ny_dept"}, "reason"),
        ("reassign", {"to_user": "ny_dept"}, "reason"),
    ],
)
def test_review_actions_need_their_fields(api, seeds, action, payload, field):
    """Return and reject need an opinion, a return target is preparer or previous, moving a
    task needs a recipient and a reason: 400 in Chinese under that field; the task stays open."""
    declaration = seeds[NY_GRID]
    expect(api("ny_preparer").post(f"/api/declarations/{declaration.pk}/submit/"), 200)
    task = open_task(api("ny_head"), declaration.pk)
    client = api("admin") if action == "reassign" else api("ny_head")
    body = expect(client.post(f"/api/tasks/{task['id']}/{action}/", payload, format="json"), 400)
    assert field in body, body
    assert_chinese(body[field])
    assert open_task(api("ny_head"), declaration.pk)["status"] == "open"


def test_hand_over_to_an_unknown_user_is_a_field_error(api, seeds):
    """Handing a task to a username that does not exist is bad input: 400 under to_user."""
    declaration = seeds[NY_GRID]
    expect(api("ny_preparer").post(f"/api/declarations/{declaration.pk}/submit/"), 200)
    head = api("ny_head")
    task = open_task(head, declaration.pk)
    response = head.post(
        f"/api/tasks/{task['id']}/hand-over/",
        {"to_user": "nobody", "reason": "出差"},
        format="json",
    )
    body = expect(response, 400)
    assert "to_user" in body
    assert_chinese(body["to_user"])


def test_token_errors_are_chinese(anon, demo):
    body = expect(anon.post("/api/auth/token/", {"username": "ny_head"}, format="json"), 400)
    assert_chinese(body["password"])
    body = expect(
        anon.post("/api/auth/token/", {"username": "ny_head", "password": "wrong"}, format="json"),
        400,
    )
    assert_chinese(body)
    assert "token" not in body


# --- 409: already handled, or changed by someone else -------------------------------------------


def test_approving_an_already_handled_task_is_409(api, seeds):
    """Approving twice, approving after a return, and acting on a withdrawn submission's task
    all answer 409 with a Chinese message; the history holds one decision each."""
    grid, relocation = seeds[NY_GRID].pk, seeds[NY_RELOCATION].pk
    preparer, head = api("ny_preparer"), api("ny_head")
    expect(preparer.post(f"/api/declarations/{grid}/submit/"), 200)
    task = open_task(head, grid)
    expect(head.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)
    for action, payload in (
        ("approve", {}),
        ("return", {"opinion": "退回", "to": "preparer"}),
        ("reject", {"opinion": "不予通过"}),
        ("claim", None),
        ("release", None),
    ):
        body = expect(
            head.post(f"/api/tasks/{task['id']}/{action}/", payload or {}, format="json"), 409
        )
        assert_chinese(body["detail"])

    expect(preparer.post(f"/api/declarations/{relocation}/submit/"), 200)
    task = open_task(head, relocation)
    expect(
        head.post(
            f"/api/tasks/{task['id']}/return/",
            {"opinion": "请修改", "to": "preparer"},
            format="json",
        ),
        200,
    )
    expect(head.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 409)

    expect(preparer.post(f"/api/declarations/{relocation}/submit/"), 200)
    task = open_task(head, relocation)
    expect(preparer.post(f"/api/declarations/{relocation}/withdraw/"), 200)
    expect(head.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 409)

    history = expect(preparer.get(f"/api/declarations/{grid}/history/"), 200)
    events = history["results"] if isinstance(history, dict) else history
    assert [e["action"] for e in events].count("approve") == 1


def test_saving_over_a_newer_version_is_409(api, seeds):
    """A PATCH that carries an old version number does not overwrite the newer save."""
    declaration = seeds[EZ_PROJECT]
    preparer = api("ez_preparer")
    url = f"/api/declarations/{declaration.pk}/"
    old = expect(preparer.get(url), 200)["version"]
    expect(preparer.patch(url, {"remarks": "第一次", "version": old}, format="json"), 200)
    body = expect(preparer.patch(url, {"remarks": "第二次", "version": old}, format="json"), 409)
    assert_chinese(body["detail"])
    assert expect(preparer.get(url), 200)["remarks"] == "第一次"


def test_submitting_twice_is_refused(api, seeds):
    """A declaration already in review cannot be submitted again (403 or 409), and its review
    does not restart."""
    declaration = seeds[NY_GRID]
    preparer = api("ny_preparer")
    expect(preparer.post(f"/api/declarations/{declaration.pk}/submit/"), 200)
    again = preparer.post(f"/api/declarations/{declaration.pk}/submit/")
    assert again.status_code in (403, 409), again.content
    assert_chinese(again.json()["detail"])
    assert Declaration.objects.get(pk=declaration.pk).review_round == 1


# --- 429: urging twice within 24 hours ----------------------------------------------------------


def test_second_urge_within_24_hours_is_429(api, seeds):
    """The submitter urges the stage holding the declaration once; a second urge within 24
    hours answers 429 with Retry-After and a Chinese message; after 24 hours it is allowed."""
    declaration = seeds[NY_GRID]
    preparer = api("ny_preparer")
    url = f"/api/declarations/{declaration.pk}/"
    expect(preparer.post(f"{url}submit/"), 200)
    body = expect(preparer.post(f"{url}urge/"), 200)
    assert_chinese(body["detail"])
    response = preparer.post(f"{url}urge/")
    body = expect(response, 429)
    assert_chinese(body["detail"])
    retry_after = int(response["Retry-After"])
    assert 23 * 3600 < retry_after <= 24 * 3600
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        expect(preparer.post(f"{url}urge/"), 200)


def test_urging_or_withdrawing_a_declaration_not_in_review_is_409(api, seeds):
    """The preparer urges a draft that was never submitted, or withdraws a submission twice:
    there is no review to act on, a conflict with the declaration's state (409, in Chinese) —
    not a 403 telling the preparer that only the submitter may do it."""
    preparer = api("ny_preparer")
    url = f"/api/declarations/{seeds[NY_GRID].pk}/"
    body = expect(preparer.post(f"{url}urge/"), 409)
    assert_chinese(body["detail"])
    expect(preparer.post(f"{url}submit/"), 200)
    expect(preparer.post(f"{url}withdraw/"), 200)
    body = expect(preparer.post(f"{url}withdraw/"), 409)
    assert_chinese(body["detail"])
    body = expect(preparer.post(f"{url}urge/"), 409)
    assert_chinese(body["detail"])


def test_text_pasted_from_word_still_exports(api, seeds):
    """Control characters that Word puts into copied text (a soft line break is \\x0b, a page
    break \\x0c) are either refused on saving (400, in Chinese) or exported without a 500:
    schemathesis found export.xlsx failing with openpyxl's IllegalCharacterError."""
    preparer = api("ny_preparer")
    url = f"/api/declarations/{seeds[NY_GRID].pk}/"
    preparer.raise_request_exception = False
    saved = preparer.patch(
        url,
        {
            "summary": "第一行\x0b第二行",
            "remarks": "附表\x0c见下页\x1f",
            "annual_goals": ["目标\x0e一"],
        },
        format="json",
    )
    assert saved.status_code in (200, 400), saved.content
    if saved.status_code == 400:
        assert_chinese(saved.json())
        return
    response = preparer.get(f"{url}export.xlsx")
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    openpyxl.load_workbook(io.BytesIO(content))


# --- Malformed ids: 404 in JSON, never 500 -----------------------------------------------------

BAD_IDS = ["abc", "0.5", "null,null", "-1", "99999999999999999999999", "1%0A", "%0A"]
MOVE = {"to_user": "ny_dept", "reason": "出差"}
ID_ENDPOINTS = [
    ("get", "/api/declarations/{id}/", None),
    ("patch", "/api/declarations/{id}/", {"remarks": "x"}),
    ("post", "/api/declarations/{id}/submit/", None),
    ("post", "/api/declarations/{id}/withdraw/", None),
    ("post", "/api/declarations/{id}/urge/", None),
    ("get", "/api/declarations/{id}/history/", None),
    ("get", "/api/declarations/{id}/export.xlsx", None),
    ("get", "/api/tasks/{id}/", None),
    ("post", "/api/tasks/{id}/claim/", None),
    ("post", "/api/tasks/{id}/release/", None),
    ("post", "/api/tasks/{id}/approve/", {"opinion": "同意"}),
    ("post", "/api/tasks/{id}/return/", {"opinion": "请修改", "to": "preparer"}),
    ("post", "/api/tasks/{id}/reject/", {"opinion": "不予通过"}),
    ("post", "/api/tasks/{id}/hand-over/", MOVE),
    ("post", "/api/tasks/{id}/reassign/", MOVE),
    ("get", "/api/audit/events/{id}/", None),
    ("post", "/api/notifications/{id}/read/", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), ID_ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ID_ENDPOINTS]
)
def test_malformed_ids_are_a_json_404_never_a_500(api, demo, method, path, body):
    """An id that is not a number, or too large for the database, is simply not found: 404 with
    a JSON body in Chinese (found by schemathesis as 500s and HTML 404 pages)."""
    client = api("admin")
    client.raise_request_exception = False
    failures = []
    for bad in BAD_IDS:
        response = getattr(client, method)(path.format(id=bad), body or {}, format="json")
        content_type = response.get("Content-Type", "")
        if response.status_code != 404 or not content_type.startswith("application/json"):
            failures.append((bad, response.status_code, content_type))
        else:
            assert_chinese(response.json()["detail"])
    assert not failures, failures


HUGE = "99999999999999999999999"
FILTERS = [
    ("/api/declarations/", {"unit": HUGE}),
    ("/api/declarations/", {"year": HUGE}),
    ("/api/tasks/", {"page_size": HUGE}),
    ("/api/audit/events/", {"declaration": HUGE}),
    ("/api/audit/events/", {"since": "9999-12-31T23:59:59+14:00"}),
    ("/api/audit/events/", {"until": "1917-10-11T18:05:09+23:26"}),
]


@pytest.mark.parametrize(("url", "params"), FILTERS, ids=[f"{u}{p}" for u, p in FILTERS])
def test_out_of_range_filter_values_are_not_a_500(api, demo, url, params):
    """A filter value the database cannot take (an id beyond 64 bits on SQLite, a UTC offset
    beyond ±15:59 on PostgreSQL) matches nothing (200) or is refused (400), never a 500."""
    client = api("auditor")
    client.raise_request_exception = False
    response = client.get(url, params)
    assert response.status_code in (200, 400), response.status_code
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/tasks/1%0A/claim/", "/api/a%0Ab/"])
def test_unknown_api_urls_answer_json_404(api, demo, path):
    """Any URL under /api/ that matches nothing answers a JSON 404, like the API's own 404s —
    also when it holds a line break (schemathesis sends those)."""
    response = api("ny_preparer").get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


# --- Pagination on every list -----------------------------------------------------------------


@pytest.fixture
def two_of_everything(api, seeds, demo):
    """Two declarations in review (two tasks for the unit head, one done for the department),
    several audit events and two notifications for ny_preparer."""
    preparer, head = api("ny_preparer"), api("ny_head")
    for name in (NY_GRID, NY_RELOCATION):
        expect(preparer.post(f"/api/declarations/{seeds[name].pk}/submit/"), 200)
    task = open_task(head, seeds[NY_GRID].pk)
    expect(head.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)
    expect(preparer.post(f"/api/declarations/{seeds[NY_RELOCATION].pk}/withdraw/"), 200)
    expect(preparer.post(f"/api/declarations/{seeds[NY_RELOCATION].pk}/submit/"), 200)
    task = open_task(head, seeds[NY_RELOCATION].pk)
    expect(head.post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)
    for i in range(2):
        Notification.objects.create(
            user=demo.user("ny_preparer"),
            event="task_created",
            title=f"通知{i}",
            idempotency_key=f"pagination:{i}",
        )
    return seeds


LISTS = [
    ("ny_preparer", "/api/declarations/", {}),
    ("ny_dept", "/api/tasks/", {}),
    ("ny_head", "/api/tasks/", {"status": "done"}),
    ("auditor", "/api/audit/events/", {}),
    ("ny_preparer", "/api/notifications/", {}),
]


@pytest.mark.parametrize(("username", "url", "params"), LISTS, ids=[f"{u}{p}" for u, p, _ in LISTS])
def test_every_list_is_paginated(api, two_of_everything, username, url, params):
    """Every list answers {count, next, previous, results}; page_size=1 pages through it."""
    client = api(username)
    first = expect(client.get(url, params), 200)
    assert set(first) == PAGINATION_KEYS
    assert first["count"] >= 2
    assert first["previous"] is None
    page = expect(client.get(url, {**params, "page_size": 1}), 200)
    assert set(page) == PAGINATION_KEYS
    assert len(page["results"]) == 1
    assert page["next"]
    second = expect(client.get(page["next"]), 200)
    assert second["previous"]
    assert second["results"] != page["results"]
    beyond = client.get(url, {**params, "page": 9999})
    assert beyond.status_code == 404
    assert_chinese(beyond.json()["detail"])


def test_history_is_paginated_like_every_list(api, two_of_everything):
    """A declaration's history is a list too, so it carries the same pagination envelope."""
    declaration = two_of_everything[NY_RELOCATION]
    body = expect(api("ny_preparer").get(f"/api/declarations/{declaration.pk}/history/"), 200)
    assert isinstance(body, dict), "history answers a bare list, without pagination"
    assert set(body) == PAGINATION_KEYS
    assert body["count"] >= 4
