"""Each code the API returns comes with its Chinese label in a `*_display` field next to it,
from the same labels the pages show; the codes themselves stay as they were."""

from tests.api.helpers import NY_GRID, all_pages, expect, open_task


def test_tasks_declarations_and_audit_events_carry_their_labels(api, seeds):
    grid = seeds[NY_GRID].pk
    expect(api("ny_preparer").post(f"/api/declarations/{grid}/submit/"), 200)
    task = open_task(api("ny_head"), grid)
    assert (task["stage"], task["stage_display"]) == ("unit_head", "单位负责人")
    expect(api("ny_head").post(f"/api/tasks/{task['id']}/approve/", {}, format="json"), 200)

    (done,) = all_pages(api("ny_head"), "/api/tasks/", {"status": "done"})
    assert (done["stage"], done["stage_display"]) == ("unit_head", "单位负责人")
    declaration = expect(api("ny_dept").get(f"/api/declarations/{grid}/"), 200)
    assert (declaration["stage"], declaration["stage_display"]) == ("department", "主管部门")
    assert declaration["status_display"] == "审核中"
    assert [s["stage_display"] for s in declaration["stamps"]] == ["填报单位", "单位负责人"]
    (listed,) = [d for d in all_pages(api("ny_dept"), "/api/declarations/") if d["id"] == grid]
    assert (listed["stage_display"], listed["status_display"]) == ("主管部门", "审核中")

    events = all_pages(api("auditor"), "/api/audit/events/", {"declaration": grid})
    (approval,) = [e for e in events if e["action"] == "approve"]
    assert approval["action_display"] == "同意"
    assert approval["result_display"] == "成功"
    assert (approval["role"], approval["role_display"]) == ("unit_head", "单位负责人")
    assert approval["stage_display"] == "单位负责人"
    assert approval["details"]["decision"] == "approve"
    assert "决定：同意" in approval["details_display"]
    assert "下一环节：主管部门" in approval["details_display"]
