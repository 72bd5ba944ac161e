"""The OpenAPI schema: it validates without warnings, it documents every endpoint of the issue,
real responses (successes and errors) match it, and the Swagger UI is served from our own static
files."""

import json
import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from notifications.models import Notification
from tests.api.conformance import CheckedClient, Conformance
from tests.api.helpers import NY_GRID, NY_RELOCATION, PASSWORD, open_task

ISSUE_PATHS = {
    "/api/auth/token/": {"post"},
    "/api/declarations/": {"get", "post"},
    "/api/declarations/{id}/": {"get", "put", "patch"},
    "/api/declarations/{id}/submit/": {"post"},
    "/api/declarations/{id}/withdraw/": {"post"},
    "/api/declarations/{id}/urge/": {"post"},
    "/api/declarations/{id}/history/": {"get"},
    "/api/declarations/{id}/export.xlsx": {"get"},
    "/api/tasks/": {"get"},
    "/api/tasks/{id}/": {"get"},
    "/api/tasks/{id}/claim/": {"post"},
    "/api/tasks/{id}/release/": {"post"},
    "/api/tasks/{id}/approve/": {"post"},
    "/api/tasks/{id}/return/": {"post"},
    "/api/tasks/{id}/reject/": {"post"},
    "/api/audit/events/": {"get"},
    "/api/notifications/": {"get"},
    "/api/notifications/{id}/read/": {"post"},
    "/api/notifications/read-all/": {"post"},
}


def test_spectacular_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` succeeds and writes OpenAPI 3."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_endpoint_documents_the_issue(client, schema, db):
    """/api/schema/ serves OpenAPI 3 (YAML by default, JSON on request) with every endpoint of
    the issue, token authentication, and the fields the issue names on each object."""
    default = client.get("/api/schema/")
    assert default.status_code == 200
    assert "openapi" in yaml.safe_load(default.content)
    assert schema["openapi"].startswith("3.")
    for path, methods in ISSUE_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    schemes = schema["components"]["securitySchemes"]
    assert any(
        s.get("in") == "header" and s.get("name") == "Authorization" for s in schemes.values()
    )
    components = schema["components"]["schemas"]
    fields = {
        "Declaration": {"id", "name", "year", "status", "stage", "funding_lines", "indicators"},
        "Task": {
            "id",
            "declaration",
            "declaration_name",
            "stage",
            "status",
            "assignee",
            "due",
            "overdue",
        },
        "AuditEvent": {
            "action",
            "actor",
            "role",
            "organisation",
            "stage",
            "opinion",
            "digest",
            "at",
        },
    }
    for name, expected in fields.items():
        assert expected <= set(components[name]["properties"]), name


def test_swagger_ui_uses_only_our_static_files(client, db):
    """/api/docs/ is served, and every script, stylesheet and icon it loads is under /static/
    (or is its own start-up script, kept out of the page for the CSP): no CDN, so it works on a
    government network without Internet access."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\"' ]+", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for asset in assets:
        assert asset.startswith(("/static/", "/api/docs/?script")), asset
        assert client.get(asset).status_code == 200, asset
    assert "/api/schema/" in client.get("/api/docs/?script=").content.decode()


# --- Responses match the schema ----------------------------------------------------------------


@pytest.fixture
def conformance(schema) -> Conformance:
    return Conformance(schema)


@pytest.fixture
def checked(api, conformance):
    """checked("ny_head") -> a token client whose responses are all recorded against the schema;
    the test ends with conformance.assert_clean(), which lists every mismatch."""

    def _checked(username: str | None = None) -> CheckedClient:
        return CheckedClient(api(username) if username else APIClient(), conformance)

    return _checked


def test_token_responses_match_the_schema(checked, demo, settings, conformance):
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 2
    anon = checked()
    anon.post("/api/auth/token/", {"username": "ny_head", "password": PASSWORD}, status=200)
    anon.post("/api/auth/token/", {"username": "ny_head"}, status=400)
    for _ in range(2):
        anon.post("/api/auth/token/", {"username": "ny_head", "password": "x"}, status=400)
    anon.post("/api/auth/token/", {"username": "ny_head", "password": PASSWORD}, status=429)
    conformance.assert_clean()


def test_declaration_responses_match_the_schema(checked, seeds, demo, conformance):
    """Every declaration endpoint's successes and errors, as real responses, match the schema."""
    grid, relocation = seeds[NY_GRID].pk, seeds[NY_RELOCATION].pk
    preparer, head, auditor = checked("ny_preparer"), checked("ny_head"), checked("auditor")
    outsider, anon = checked("ez_preparer"), checked()
    url = f"/api/declarations/{grid}/"

    preparer.get("/api/declarations/", status=200)
    preparer.get(
        "/api/declarations/", {"year": 2020, "status": "draft", "search": "网格"}, status=200
    )
    preparer.get("/api/declarations/", {"stage": "unit_head", "unit": 1}, status=200)
    preparer.get("/api/declarations/", {"status": "bogus"}, status=400)
    preparer.get("/api/declarations/", {"page": 9999}, status=404)
    anon.get("/api/declarations/", status=401)
    preparer.get(url, status=200)
    outsider.get(url, status=404)
    anon.get(url, status=401)

    created = preparer.post(
        "/api/declarations/", {"kind": "project", "year": 2026, "name": "新项目"}, status=201
    )
    preparer.post("/api/declarations/", {"kind": "project"}, status=400)
    head.post("/api/declarations/", {"kind": "project", "year": 2026}, status=403)
    new_url = f"/api/declarations/{created.json()['id']}/"
    preparer.post(f"{new_url}submit/", status=400)

    preparer.patch(url, {"remarks": "修改"}, status=200)
    preparer.put(url, {"kind": "special_fund", "year": 2020, "remarks": "再改"}, status=200)
    preparer.patch(url, {"budget": "abc"}, status=400)
    preparer.patch(url, {"remarks": "旧版本", "version": 1}, status=409)
    head.patch(url, {"remarks": "越权"}, status=403)
    outsider.patch(url, {"remarks": "越权"}, status=404)

    preparer.post(f"{url}urge/", status=(403, 409))
    preparer.post(f"{url}submit/", status=200)
    auditor.post(f"{url}submit/", status=403)
    preparer.post(f"{url}urge/", status=200)
    preparer.post(f"{url}urge/", status=429)
    head.post(f"{url}urge/", status=403)
    head.post(f"{url}withdraw/", status=403)
    outsider.post(f"{url}withdraw/", status=404)
    preparer.post(f"{url}withdraw/", status=200)
    preparer.post(f"{url}withdraw/", status=409)

    preparer.get(f"{url}history/", status=200)
    auditor.get(f"{url}history/", status=200)
    outsider.get(f"{url}history/", status=404)
    preparer.get(f"{url}export.xlsx", status=200)
    outsider.get(f"{url}export.xlsx", status=404)
    anon.get(f"{url}export.xlsx", status=401)
    preparer.get(f"/api/declarations/{relocation}/", status=200)
    conformance.assert_clean()


def test_task_responses_match_the_schema(checked, api, seeds, demo, conformance):
    """Every task endpoint's successes and errors, as real responses, match the schema."""
    grid, relocation = seeds[NY_GRID].pk, seeds[NY_RELOCATION].pk
    preparer, head, dept = checked("ny_preparer"), checked("ny_head"), checked("ny_dept")
    admin, outsider, anon = checked("admin"), checked("ez_dept"), checked()
    preparer.post(f"/api/declarations/{grid}/submit/", status=200)
    preparer.post(f"/api/declarations/{relocation}/submit/", status=200)

    head.get("/api/tasks/", status=200)
    head.get("/api/tasks/", {"status": "done"}, status=200)
    head.get("/api/tasks/", {"overdue": "true"}, status=200)
    head.get("/api/tasks/", {"status": "sideways"}, status=400)
    head.get("/api/tasks/", {"page": 9999}, status=404)
    anon.get("/api/tasks/", status=401)
    task = open_task(api("ny_head"), grid)["id"]
    other = open_task(api("ny_head"), relocation)["id"]
    head.get(f"/api/tasks/{task}/", status=200)
    outsider.get(f"/api/tasks/{task}/", status=404)

    head.post(f"/api/tasks/{task}/claim/", status=200)
    head.post(f"/api/tasks/{task}/release/", status=200)
    head.post(f"/api/tasks/{task}/claim/", status=200)
    outsider.post(f"/api/tasks/{task}/claim/", status=404)
    head.post(f"/api/tasks/{task}/hand-over/", {"to_user": "ny_dept", "reason": "x"}, status=403)
    head.post(f"/api/tasks/{task}/hand-over/", {"reason": "x"}, status=400)
    dept.post(f"/api/tasks/{task}/reassign/", {"to_user": "ny_head", "reason": "x"}, status=404)
    admin.post(f"/api/tasks/{task}/reassign/", {"to_user": "ny_head", "reason": "x"}, status=200)
    head.post(f"/api/tasks/{task}/return/", {"to": "preparer"}, status=400)
    head.post(f"/api/tasks/{task}/approve/", {"opinion": "同意"}, status=200)
    head.post(f"/api/tasks/{task}/approve/", {}, status=409)
    head.post(f"/api/tasks/{task}/reject/", {"opinion": "不予通过"}, status=409)

    head.post(f"/api/tasks/{other}/return/", {"opinion": "请修改", "to": "preparer"}, status=200)
    preparer.post(f"/api/declarations/{relocation}/submit/", status=200)
    other = open_task(api("ny_head"), relocation)["id"]
    head.post(f"/api/tasks/{other}/reject/", {"opinion": ""}, status=400)
    head.post(f"/api/tasks/{other}/reject/", {"opinion": "不予通过"}, status=200)
    dept_task = open_task(api("ny_dept"), grid)["id"]
    dept.get(f"/api/tasks/{dept_task}/", status=200)
    dept.get("/api/tasks/", status=200)
    conformance.assert_clean()


def test_audit_and_notification_responses_match_the_schema(checked, seeds, demo, conformance):
    """Audit events (auditor, refused for others) and notifications match the schema."""
    auditor, preparer, anon = checked("auditor"), checked("ny_preparer"), checked()
    preparer.post(f"/api/declarations/{seeds[NY_GRID].pk}/submit/", status=200)
    events = auditor.get("/api/audit/events/", status=200).json()["results"]
    auditor.get(
        "/api/audit/events/",
        {
            "declaration": seeds[NY_GRID].pk,
            "actor": "ny_preparer",
            "action": "submit",
            "since": "2020-01-01T00:00:00+08:00",
            "until": "2100-01-01T00:00:00+08:00",
        },
        status=200,
    )
    auditor.get("/api/audit/events/", {"since": "yesterday"}, status=400)
    auditor.get("/api/audit/events/", {"page": 9999}, status=404)
    auditor.get(f"/api/audit/events/{events[0]['id']}/", status=200)
    auditor.get("/api/audit/events/987654321/", status=404)
    preparer.get("/api/audit/events/", status=403)
    anon.get("/api/audit/events/", status=401)

    notification = Notification.objects.create(
        user=demo.user("ny_preparer"),
        event="task_created",
        title="新的待办",
        idempotency_key="schema:1",
        declaration=seeds[NY_GRID],
    )
    preparer.get("/api/notifications/", status=200)
    preparer.get("/api/notifications/", {"unread": "true"}, status=200)
    preparer.get("/api/notifications/unread-count/", status=200)
    preparer.get("/api/notifications/", {"page": 9999}, status=404)
    preparer.post(f"/api/notifications/{notification.pk}/read/", status=200)
    checked("ny_head").post(f"/api/notifications/{notification.pk}/read/", status=404)
    preparer.post("/api/notifications/read-all/", status=200)
    anon.get("/api/notifications/", status=401)
    conformance.assert_clean()
