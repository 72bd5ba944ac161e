"""The lists' filters: declarations by year, unit, status, stage and name; the inbox by open,
done and overdue; audit events by declaration, actor, action and time range."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from tests.api.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    all_pages,
    expect,
    open_task,
    parse_at,
)


def _submit_and_approve_head(api, declaration_id: int) -> int:
    expect(api("ny_preparer").post(f"/api/declarations/{declaration_id}/submit/"), 200)
    task = open_task(api("ny_head"), declaration_id)
    expect(api("ny_head").post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)
    return task["id"]


def test_declaration_filters(api, seeds):
    """year, unit, status, stage and search narrow the list as their names say."""
    grid, relocation = seeds[NY_GRID].pk, seeds[NY_RELOCATION].pk
    _submit_and_approve_head(api, grid)
    auditor = api("auditor")

    def ids(**params) -> set[int]:
        return {d["id"] for d in all_pages(auditor, "/api/declarations/", params)}

    assert {grid, relocation, seeds[EZ_PROJECT].pk} <= ids()
    assert ids(unit=seeds[NY_GRID].reporting_unit_id) == {grid, relocation}
    assert ids(status="submitted") == {grid}
    assert ids(stage="department") == {grid}
    assert ids(stage="finance") == set()
    assert relocation in ids(status="draft")
    assert ids(search="网格化") == {grid}
    assert ids(year=seeds[NY_GRID].fiscal_year) >= {grid, relocation}
    assert ids(year=1999) == set()
    for row in all_pages(auditor, "/api/declarations/", {"status": "submitted"}):
        assert {"id", "name", "year", "status", "stage"} <= set(row)


def test_inbox_open_done_and_overdue(api, seeds):
    """The inbox holds open tasks; status=done the ones I decided; overdue=true those past due,
    which are marked overdue."""
    head_task = _submit_and_approve_head(api, seeds[NY_GRID].pk)
    dept = api("ny_dept")
    (task,) = all_pages(dept, "/api/tasks/")
    assert task["status"] == "open"
    assert task["overdue"] is False
    assert all_pages(dept, "/api/tasks/", {"overdue": "true"}) == []
    assert [t["id"] for t in all_pages(api("ny_head"), "/api/tasks/", {"status": "done"})] == [
        head_task
    ]
    assert all_pages(api("ny_head"), "/api/tasks/") == []
    with time_machine.travel(parse_at(task["due"]) + timedelta(days=1)):
        (late,) = all_pages(dept, "/api/tasks/", {"overdue": "true"})
        assert late["id"] == task["id"]
        assert late["overdue"] is True
        assert all_pages(dept, "/api/tasks/", {"overdue": "false"}) == []
        assert expect(dept.get(f"/api/tasks/{task['id']}/"), 200)["overdue"] is True


def test_audit_event_filters(api, seeds):
    """declaration, actor, action, since and until narrow the audit log as their names say."""
    grid = seeds[NY_GRID].pk
    start = timezone.now()
    _submit_and_approve_head(api, grid)
    auditor = api("auditor")

    def events(**params) -> list[dict]:
        return all_pages(auditor, "/api/audit/events/", params)

    mine = events(declaration=grid)
    assert mine
    assert {e["declaration"] for e in mine} == {grid}
    approvals = events(actor="ny_head", action="approve")
    assert [(e["actor"], e["action"], e["declaration"]) for e in approvals] == [
        ("ny_head", "approve", grid)
    ]
    recent = events(declaration=grid, since=start.isoformat())
    assert {e["action"] for e in recent} >= {"submit", "approve"}
    assert "create" not in {e["action"] for e in recent}
    assert all(parse_at(e["at"]) >= start for e in recent)
    earlier = events(declaration=grid, until=start.isoformat())
    assert {e["action"] for e in earlier} == {"create", "edit"}
    assert events(since=(timezone.now() + timedelta(days=1)).isoformat()) == []
