"""Scope: every endpoint, called by users of the other jurisdiction (404 on objects, absent from
lists, never revealing that an object exists), by users in the wrong role (403 on objects they
can see) and without credentials (401)."""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from declarations.models import Declaration
from notifications.models import Notification
from organisations.models import Jurisdiction, Membership, Role
from review.models import ReviewTask
from tests.api.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PASSWORD,
    all_pages,
    assert_chinese,
    expect,
    open_task,
)
from tests.factories import UserFactory

MISSING = 987654321
EZ_USERS = ["ez_preparer", "ez_head", "ez_dept", "ez_finance", "ez_perf", "ez_auditor", "ez_admin"]
NY_USERS = ["ny_preparer", "ny_head", "ny_dept", "ny_finance", "ny_perf"]


def _overseer(username: str, role: str, jurisdiction_code: str):
    user = UserFactory(username=username, password=PASSWORD)
    Membership.objects.create(
        user=user, role=role, jurisdiction=Jurisdiction.objects.get(code=jurisdiction_code)
    )
    return user


@pytest.fixture
def world(api, seeds, demo):
    """南岳's 网格化管理工作经费 in review at the department (unit head approved; the task is in
    ny_dept's inbox), 南岳's other declaration and 鄂州's a draft each; a notification for
    ny_preparer; and an auditor (of the demo data) and an administrator whose scope is 鄂州 only."""
    grid, relocation = seeds[NY_GRID], seeds[NY_RELOCATION]
    expect(api("ny_preparer").post(f"/api/declarations/{grid.pk}/submit/"), 200)
    head_task = open_task(api("ny_head"), grid.pk)
    expect(api("ny_head").post(f"/api/tasks/{head_task['id']}/approve/", {}, format="json"), 200)
    task = open_task(api("ny_dept"), grid.pk)
    notification = Notification.objects.create(
        user=demo.user("ny_preparer"),
        event="declaration_decided",
        title="单位负责人已同意",
        body="网格化管理工作经费已进入主管部门审核。",
        declaration=grid,
        idempotency_key=f"test:{grid.pk}:head",
    )
    _overseer("ez_admin", Role.ADMINISTRATOR, "ezhou")  # ez_auditor comes with the demo data
    event = AuditEvent.objects.filter(declaration=grid).latest("at", "pk")
    return SimpleNamespace(
        grid=grid.pk,
        relocation=relocation.pk,
        ez_project=seeds[EZ_PROJECT].pk,
        task=task["id"],
        head_task=head_task["id"],
        notification=notification.pk,
        event=event.pk,
        ny_unit=grid.reporting_unit_id,
        ez_unit=seeds[EZ_PROJECT].reporting_unit_id,
    )


def snapshot(world) -> dict:
    """What the refused requests must not have changed."""
    task = ReviewTask.objects.get(pk=world.task)
    return {
        "declarations": list(
            Declaration.objects.order_by("pk").values_list("pk", "status", "stage", "version")
        ),
        "task": (task.status, task.owner_id),
        "notification_read": Notification.objects.get(pk=world.notification).read_at,
    }


def call(client, method: str, path: str, body=None):
    return getattr(client, method)(path, body if body is not None else {}, format="json")


PATCH_BODY = {"remarks": "越权修改"}
PUT_BODY = {"kind": "special_fund", "year": 2020, "remarks": "越权修改"}
OPINION = {"opinion": "越权处理"}

# (label, method, path, body) on objects of 南岳; {x} is filled from the world fixture.
OBJECT_ENDPOINTS = [
    ("retrieve", "get", "/api/declarations/{grid}/", None),
    ("retrieve draft", "get", "/api/declarations/{relocation}/", None),
    ("update (PATCH)", "patch", "/api/declarations/{relocation}/", PATCH_BODY),
    ("update (PUT)", "put", "/api/declarations/{relocation}/", PUT_BODY),
    ("update in review", "patch", "/api/declarations/{grid}/", PATCH_BODY),
    ("submit", "post", "/api/declarations/{relocation}/submit/", None),
    ("withdraw", "post", "/api/declarations/{grid}/withdraw/", None),
    ("urge", "post", "/api/declarations/{grid}/urge/", None),
    ("history", "get", "/api/declarations/{grid}/history/", None),
    ("export.xlsx", "get", "/api/declarations/{grid}/export.xlsx", None),
    ("task retrieve", "get", "/api/tasks/{task}/", None),
    ("done task retrieve", "get", "/api/tasks/{head_task}/", None),
    ("claim", "post", "/api/tasks/{task}/claim/", None),
    ("release", "post", "/api/tasks/{task}/release/", None),
    ("approve", "post", "/api/tasks/{task}/approve/", OPINION),
    ("return", "post", "/api/tasks/{task}/return/", {**OPINION, "to": "preparer"}),
    ("reject", "post", "/api/tasks/{task}/reject/", OPINION),
    ("hand-over", "post", "/api/tasks/{task}/hand-over/", {"to_user": "ny_dept", "reason": "x"}),
    ("reassign", "post", "/api/tasks/{task}/reassign/", {"to_user": "ny_dept", "reason": "x"}),
]


def _fill(path: str, world, *, missing: bool = False) -> str:
    values = {k: (MISSING if missing else v) for k, v in vars(world).items()}
    return path.format(**values)


@pytest.mark.parametrize(
    ("label", "method", "path", "body"), OBJECT_ENDPOINTS, ids=[e[0] for e in OBJECT_ENDPOINTS]
)
def test_other_jurisdiction_gets_404_indistinguishable_from_missing(
    api, world, label, method, path, body
):
    """Every user of 鄂州 — preparer, unit head, each reviewer, and an auditor and an
    administrator of 鄂州 — gets 404 on 南岳's declarations and tasks, with exactly the answer
    an id that does not exist gets, and nothing changes."""
    before = snapshot(world)
    for username in EZ_USERS:
        client = api(username)
        real = call(client, method, _fill(path, world), body)
        missing = call(client, method, _fill(path, world, missing=True), body)
        assert real.status_code == 404, (username, real.status_code, real.content[:500])
        assert missing.status_code == 404, (username, missing.status_code)
        assert real.json() == missing.json(), username
        assert_chinese(real.json()["detail"])
    assert snapshot(world) == before


def test_other_jurisdiction_cannot_create_for_a_foreign_unit(api, world):
    """A 鄂州 preparer who names 南岳's unit cannot create a declaration there, and the answer
    is the same as for a unit id that does not exist."""
    client = api("ez_preparer")
    body = {"kind": "special_fund", "year": 2026, "name": "越权新建"}
    foreign = client.post("/api/declarations/", {**body, "unit": world.ny_unit}, format="json")
    missing = client.post("/api/declarations/", {**body, "unit": MISSING}, format="json")
    assert foreign.status_code in (403, 404), foreign.content
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    assert not Declaration.objects.filter(name="越权新建").exists()


def test_notifications_are_personal(api, world):
    """Marking someone else's notification read is a 404 — for 鄂州's users and for 南岳's other
    users alike — and nobody else lists it; the owner lists it and marks it read."""
    before = snapshot(world)
    for username in [*EZ_USERS, "ny_head", "ny_dept", "auditor", "admin"]:
        client = api(username)
        real = client.post(f"/api/notifications/{world.notification}/read/")
        missing = client.post(f"/api/notifications/{MISSING}/read/")
        assert real.status_code == 404, (username, real.status_code)
        assert real.json() == missing.json()
        assert world.notification not in [n["id"] for n in all_pages(client, "/api/notifications/")]
        expect(client.post("/api/notifications/read-all/"), 200)
    assert snapshot(world) == before
    owner = api("ny_preparer")
    assert world.notification in [n["id"] for n in all_pages(owner, "/api/notifications/")]
    read = expect(owner.post(f"/api/notifications/{world.notification}/read/"), 200)
    assert read["read"] is True
    assert read["read_at"]
    assert all_pages(owner, "/api/notifications/", {"unread": "true"}) == []


@pytest.mark.parametrize("username", EZ_USERS)
def test_other_jurisdiction_lists_leave_out_foreign_objects(api, world, username):
    """鄂州's users list none of 南岳's declarations (whatever the filters) or tasks."""
    client = api(username)
    ny_ids = {world.grid, world.relocation}
    for params in ({}, {"status": "submitted"}, {"unit": world.ny_unit}, {"year": 2020}):
        listed = {d["id"] for d in all_pages(client, "/api/declarations/", params)}
        assert not listed & ny_ids, params
    assert world.ny_unit not in {d["unit"] for d in all_pages(client, "/api/declarations/")}
    for status in ("open", "done"):
        tasks = all_pages(client, "/api/tasks/", {"status": status})
        assert not {t["declaration"] for t in tasks} & ny_ids
        assert not {t["id"] for t in tasks} & {world.task, world.head_task}


def test_jurisdiction_auditor_sees_only_own_audit_events(api, world):
    """An auditor of 鄂州 reads 鄂州's audit events but none of 南岳's: not in the list, not by
    the declaration filter, and 404 on one of them; the all-jurisdiction auditor sees both."""
    ez_auditor = api("ez_auditor")
    ny_ids = {world.grid, world.relocation}
    events = all_pages(ez_auditor, "/api/audit/events/")
    assert events, "鄂州's seed declaration has create and edit events"
    assert world.ez_project in {e["declaration"] for e in events}
    assert not {e["declaration"] for e in events} & ny_ids
    assert world.event not in {e["id"] for e in events}
    assert all_pages(ez_auditor, "/api/audit/events/", {"declaration": world.grid}) == []
    real = ez_auditor.get(f"/api/audit/events/{world.event}/")
    missing = ez_auditor.get(f"/api/audit/events/{MISSING}/")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    everything = {e["declaration"] for e in all_pages(api("auditor"), "/api/audit/events/")}
    assert {world.grid, world.ez_project} <= everything
    expect(api("auditor").get(f"/api/audit/events/{world.event}/"), 200)


def test_reviewer_sees_a_declaration_only_once_it_reached_their_stage(api, world):
    """Within 南岳, the finance section does not see a declaration still at the department."""
    finance = api("ny_finance")
    expect(finance.get(f"/api/declarations/{world.grid}/"), 404)
    expect(finance.get(f"/api/tasks/{world.task}/"), 404)
    assert world.grid not in {d["id"] for d in all_pages(finance, "/api/declarations/")}
    expect(api("ny_dept").get(f"/api/declarations/{world.grid}/"), 200)
    expect(api("ny_dept").get(f"/api/declarations/{world.relocation}/"), 404)


# --- The wrong role: the object is visible, the action is not the caller's -------------------

WRONG_ROLE = [
    # A preparer cannot decide or claim review tasks.
    ("ny_preparer", "post", "/api/tasks/{task}/approve/", OPINION),
    ("ny_preparer", "post", "/api/tasks/{task}/return/", {**OPINION, "to": "preparer"}),
    ("ny_preparer", "post", "/api/tasks/{task}/reject/", OPINION),
    ("ny_preparer", "post", "/api/tasks/{task}/claim/", None),
    # The auditor only reads.
    ("auditor", "post", "/api/declarations/", {"kind": "special_fund", "year": 2026}),
    ("auditor", "patch", "/api/declarations/{relocation}/", PATCH_BODY),
    ("auditor", "put", "/api/declarations/{relocation}/", PUT_BODY),
    ("auditor", "post", "/api/declarations/{relocation}/submit/", None),
    ("auditor", "post", "/api/declarations/{grid}/withdraw/", None),
    ("auditor", "post", "/api/declarations/{grid}/urge/", None),
    ("auditor", "post", "/api/tasks/{task}/claim/", None),
    ("auditor", "post", "/api/tasks/{task}/release/", None),
    ("auditor", "post", "/api/tasks/{task}/approve/", OPINION),
    ("auditor", "post", "/api/tasks/{task}/return/", {**OPINION, "to": "preparer"}),
    ("auditor", "post", "/api/tasks/{task}/reject/", OPINION),
    ("auditor", "post", "/api/tasks/{task}/hand-over/", {"to_user": "ny_dept", "reason": "x"}),
    ("auditor", "post", "/api/tasks/{task}/reassign/", {"to_user": "ny_dept", "reason": "x"}),
    ("ez_auditor", "patch", "/api/declarations/{ez_project}/", PATCH_BODY),
    ("ez_auditor", "post", "/api/declarations/{ez_project}/submit/", None),
    # Reviewers and unit heads do not edit, submit, withdraw or urge declarations.
    ("ny_dept", "patch", "/api/declarations/{grid}/", PATCH_BODY),
    ("ny_dept", "put", "/api/declarations/{grid}/", PUT_BODY),
    ("ny_dept", "post", "/api/declarations/{grid}/withdraw/", None),
    ("ny_dept", "post", "/api/declarations/{grid}/urge/", None),
    ("ny_head", "patch", "/api/declarations/{relocation}/", PATCH_BODY),
    ("ny_head", "post", "/api/declarations/{relocation}/submit/", None),
    ("ny_head", "post", "/api/declarations/", {"kind": "special_fund", "year": 2026}),
    ("ny_head", "post", "/api/declarations/{grid}/withdraw/", None),
    # Only administrators reassign; a holder hands over only to a colleague of the same role.
    ("ny_dept", "post", "/api/tasks/{task}/reassign/", {"to_user": "ny_dept", "reason": "x"}),
    ("ny_dept", "post", "/api/tasks/{task}/hand-over/", {"to_user": "ny_head", "reason": "x"}),
    # Audit events are for auditors and administrators.
    ("ny_preparer", "get", "/api/audit/events/", None),
    ("ny_head", "get", "/api/audit/events/", None),
    ("ny_dept", "get", "/api/audit/events/", None),
    ("ny_perf", "get", "/api/audit/events/", None),
    ("ny_dept", "get", "/api/audit/events/{event}/", None),
    ("ez_preparer", "get", "/api/audit/events/?declaration={ez_project}", None),
]


@pytest.mark.parametrize(
    ("username", "method", "path", "body"),
    WRONG_ROLE,
    ids=[f"{u}-{m}-{p}" for u, m, p, _ in WRONG_ROLE],
)
def test_wrong_role_gets_403_on_what_it_can_see(api, world, username, method, path, body):
    """The object is within the caller's sight but the action is not theirs: 403 with a Chinese
    reason, and nothing changes."""
    before = snapshot(world)
    response = call(api(username), method, _fill(path, world), body)
    assert response.status_code == 403, response.content.decode()[:500]
    assert_chinese(response.json()["detail"])
    assert snapshot(world) == before


# --- No credentials ----------------------------------------------------------------------------

ALL_ENDPOINTS = [
    ("get", "/api/declarations/", None),
    ("post", "/api/declarations/", {"kind": "special_fund", "year": 2026}),
    *[(m, p, b) for _, m, p, b in OBJECT_ENDPOINTS],
    ("get", "/api/tasks/", None),
    ("get", "/api/audit/events/", None),
    ("get", "/api/audit/events/{event}/", None),
    ("get", "/api/notifications/", None),
    ("post", "/api/notifications/{notification}/read/", None),
    ("post", "/api/notifications/read-all/", None),
    ("get", "/api/notifications/unread-count/", None),
]


@pytest.mark.parametrize("credentials", ["none", "bad token"])
def test_without_valid_credentials_every_endpoint_answers_401(world, credentials):
    """No credentials, or a token that does not exist: 401 with a WWW-Authenticate challenge."""
    before = snapshot(world)
    client = APIClient()
    if credentials == "bad token":
        client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for method, path, body in ALL_ENDPOINTS:
        response = call(client, method, _fill(path, world), body)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.has_header("WWW-Authenticate"), path
        assert_chinese(response.json()["detail"])
    assert snapshot(world) == before


def test_session_authentication_needs_csrf_for_changes(world, demo):
    """A browser session also authenticates API calls; changes then need the CSRF token."""
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="ny_preparer", password=PASSWORD)
    expect(client.get(f"/api/declarations/{world.relocation}/"), 200)
    refused = client.post(f"/api/declarations/{world.relocation}/submit/")
    assert refused.status_code == 403
    assert Declaration.objects.get(pk=world.relocation).status == "draft"
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(f"/api/declarations/{world.relocation}/submit/", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200, accepted.content


# --- Queue work within the right scope ----------------------------------------------------------


def test_claim_release_hand_over_and_reassign_in_scope(api, seeds, demo):
    """With two department reviewers the task waits in their shared queue: one claims it (the
    other then gets 409 on claim and 403 on approve), releases it, the other claims it and hands
    it over with a reason, an administrator reassigns it, and its holder approves."""
    colleague = UserFactory(username="ny_dept2", password=PASSWORD)
    Membership.objects.create(
        user=colleague,
        role=Role.DEPARTMENT_REVIEWER,
        organisation=demo.org("中共南岳区委政法委员会"),
    )
    grid = seeds[NY_GRID].pk
    expect(api("ny_preparer").post(f"/api/declarations/{grid}/submit/"), 200)
    head_task = open_task(api("ny_head"), grid)
    expect(api("ny_head").post(f"/api/tasks/{head_task['id']}/approve/", {}, format="json"), 200)
    dept, dept2, admin = api("ny_dept"), api("ny_dept2"), api("admin")
    task = open_task(dept, grid)
    assert task["assignee"] is None
    assert open_task(dept2, grid)["id"] == task["id"]
    url = f"/api/tasks/{task['id']}/"

    assert expect(dept.post(f"{url}claim/"), 200)["assignee"] == "ny_dept"
    expect(dept2.post(f"{url}claim/"), 409)
    expect(dept2.post(f"{url}approve/", {}, format="json"), 403)
    expect(dept2.post(f"{url}release/"), 403)
    assert expect(dept.post(f"{url}release/"), 200)["assignee"] is None
    assert expect(dept2.post(f"{url}claim/"), 200)["assignee"] == "ny_dept2"
    handed = dept2.post(f"{url}hand-over/", {"to_user": "ny_dept", "reason": "出差"}, format="json")
    assert expect(handed, 200)["assignee"] == "ny_dept"
    moved = admin.post(f"{url}reassign/", {"to_user": "ny_dept2", "reason": "调岗"}, format="json")
    assert expect(moved, 200)["assignee"] == "ny_dept2"
    expect(dept.post(f"{url}approve/", {}, format="json"), 403)
    assert expect(dept2.post(f"{url}approve/", {}, format="json"), 200)["status"] == "done"
    actions = [
        e["action"] for e in all_pages(api("auditor"), "/api/audit/events/", {"declaration": grid})
    ]
    for action in ("claim", "release", "hand_over", "reassign", "approve"):
        assert action in actions
