"""Each seed declaration's whole journey through the API alone: edit, submit, review at every
stage, a return for revision, the preparer's edit and resubmission, final approval, history and
the Excel export. No service or ORM call changes state here; only HTTP requests do."""

from io import BytesIO

import openpyxl
import pytest

from organisations.models import Jurisdiction
from tests.api.helpers import (
    EZ_PROJECT,
    HEX64,
    NY_GRID,
    NY_RELOCATION,
    ORGANISATION_OF_STAGE,
    PREFIX_OF,
    ROLE_OF_STAGE,
    STAGES,
    XLSX_TYPE,
    account,
    all_pages,
    expect,
    items,
    open_task,
    parse_at,
)

RETURN_OPINION = "请补充资金测算依据，并细化年度指标。"
JURISDICTION_CODE = {"ez": "ezhou", "ny": "nanyue"}

JOURNEYS = [
    pytest.param(EZ_PROJECT, "finance", id="ez-project-returned-by-finance"),
    pytest.param(NY_RELOCATION, "department", id="ny-relocation-returned-by-department"),
    pytest.param(NY_GRID, "performance", id="ny-grid-returned-by-performance"),
]


def approve_opinion(stage: str) -> str:
    return f"同意（{stage}）"


def review_stage(api, prefix: str, declaration_id: int, stage: str) -> dict:
    """The stage's reviewer finds the task in /api/tasks/ and approves it; returns the task."""
    reviewer = api(account(prefix, stage))
    task = open_task(reviewer, declaration_id)
    assert task["stage"] == stage
    assert task["status"] == "open"
    assert task["overdue"] is False
    assert task["due"]
    assert task["assignee"] in (None, account(prefix, stage))
    assert set(task) >= {
        "id",
        "declaration",
        "declaration_name",
        "stage",
        "status",
        "assignee",
        "due",
        "overdue",
    }
    expect(reviewer.get(f"/api/tasks/{task['id']}/"), 200)
    done = expect(
        reviewer.post(
            f"/api/tasks/{task['id']}/approve/", {"opinion": approve_opinion(stage)}, format="json"
        ),
        200,
    )
    assert done["id"] == task["id"]
    assert done["status"] == "done"
    handled = all_pages(reviewer, "/api/tasks/", {"status": "done"})
    assert task["id"] in [t["id"] for t in handled]
    return task


@pytest.mark.parametrize(("name", "returning_stage"), JOURNEYS)
def test_seed_declaration_journey_with_return_and_resubmission(
    api, seeds, name, returning_stage, django_capture_on_commit_callbacks
):
    """A preparer edits and submits a seed declaration with an API token; every stage's reviewer
    approves from their task list until one stage returns it to the preparer with an opinion;
    the preparer is notified, marks the notification read, edits and resubmits with the same
    submit action; every stage then approves and
    the declaration ends "approved". Its history shows both rounds with actors, roles,
    organisations, stages, opinions, the stamps' digests and times; the export is a workbook."""
    prefix = PREFIX_OF[name]
    declaration_id = seeds[name].pk
    url = f"/api/declarations/{declaration_id}/"
    preparer = api(account(prefix, "submission"))

    # The preparer finds the draft in the list (filters and search) and reads it.
    listed = all_pages(
        preparer,
        "/api/declarations/",
        {"status": "draft", "year": seeds[name].fiscal_year, "search": name[:4]},
    )
    assert declaration_id in [d["id"] for d in listed]
    declaration = expect(preparer.get(url), 200)
    assert declaration["id"] == declaration_id
    assert declaration["name"] == name
    assert declaration["year"] == seeds[name].fiscal_year
    assert declaration["status"] == "draft"
    assert declaration["stage"] == ""
    assert declaration["funding_lines"] or declaration["kind"] == "project"
    assert declaration["indicators"]

    # Edit a field and an indicator (nested lists replace the old ones).
    indicators = declaration["indicators"]
    indicators[0]["basis"] = "依据上年度实际完成情况确定。"
    patched = expect(
        preparer.patch(
            url,
            {
                "remarks": "经单位集体研究后申报。",
                "indicators": indicators,
                "version": declaration["version"],
            },
            format="json",
        ),
        200,
    )
    assert patched["remarks"] == "经单位集体研究后申报。"
    assert patched["indicators"][0]["basis"] == "依据上年度实际完成情况确定。"
    assert len(patched["indicators"]) == len(indicators)
    assert patched["version"] == declaration["version"] + 1
    assert expect(preparer.get(url), 200)["remarks"] == "经单位集体研究后申报。"

    # Submit: review starts at the unit head.
    submitted = expect(preparer.post(f"{url}submit/"), 200)
    assert submitted["status"] == "submitted"
    assert submitted["stage"] == "unit_head"

    # Round 1: approvals up to the returning stage, which returns to the preparer.
    round_one = STAGES[: STAGES.index(returning_stage)]
    for stage in round_one:
        review_stage(api, prefix, declaration_id, stage)
        after = expect(preparer.get(url), 200)
        assert after["status"] == "submitted"
        assert after["stage"] == STAGES[STAGES.index(stage) + 1]
    returner = api(account(prefix, returning_stage))
    task = open_task(returner, declaration_id)
    assert task["stage"] == returning_stage
    with django_capture_on_commit_callbacks(execute=True):  # notifications go out on commit
        returned_task = expect(
            returner.post(
                f"/api/tasks/{task['id']}/return/",
                {"opinion": RETURN_OPINION, "to": "preparer"},
                format="json",
            ),
            200,
        )
    assert returned_task["status"] == "done"
    returned = expect(preparer.get(url), 200)
    assert returned["status"] == "returned"
    assert returned["stage"] == ""
    assert declaration_id not in [t["declaration"] for t in all_pages(returner, "/api/tasks/")]

    # The preparer hears about the return and marks the notification read.
    unread = all_pages(preparer, "/api/notifications/", {"unread": "true"})
    about = [n for n in unread if n["declaration"] == declaration_id]
    assert about, unread
    count = expect(preparer.get("/api/notifications/unread-count/"), 200)["unread"]
    read = expect(preparer.post(f"/api/notifications/{about[0]['id']}/read/"), 200)
    assert read["read"] is True
    assert expect(preparer.get("/api/notifications/unread-count/"), 200)["unread"] == count - 1
    expect(preparer.post("/api/notifications/read-all/"), 200)
    assert all_pages(preparer, "/api/notifications/", {"unread": "true"}) == []

    # The preparer revises what the reviewer asked for and resubmits with the same action.
    indicators = returned["indicators"]
    indicators[-1]["basis"] = "按资金测算依据细化。"
    revised = expect(
        preparer.patch(
            url,
            {
                "basis": returned["basis"] + "（已补充资金测算依据）",
                "indicators": indicators,
                "version": returned["version"],
            },
            format="json",
        ),
        200,
    )
    assert revised["basis"].endswith("（已补充资金测算依据）")
    assert revised["indicators"][-1]["basis"] == "按资金测算依据细化。"
    resubmitted = expect(preparer.post(f"{url}submit/"), 200)
    assert resubmitted["status"] == "submitted"
    jurisdiction = Jurisdiction.objects.get(code=JURISDICTION_CODE[prefix])
    entry = returning_stage if jurisdiction.resubmit_to_returning_stage else "unit_head"
    assert resubmitted["stage"] == entry

    # Round 2: every remaining stage approves; the declaration is approved.
    round_two = STAGES[STAGES.index(entry) :]
    for stage in round_two:
        review_stage(api, prefix, declaration_id, stage)
    final = expect(preparer.get(url), 200)
    assert final["status"] == "approved"
    assert final["stage"] == ""
    assert final["review_round"] == 2
    assert declaration_id in [
        d["id"] for d in all_pages(preparer, "/api/declarations/", {"status": "approved"})
    ]

    # Stamps: the submission and each approving stage, per round, with the content digest.
    stamps = {(s["round"], s["stage"]): s for s in final["stamps"]}
    expected_stamps = (
        [(1, "submission")]
        + [(1, s) for s in round_one]
        + [(2, "submission")]
        + [(2, s) for s in round_two]
    )
    assert sorted(stamps) == sorted(expected_stamps)
    for (_, stage), stamp in stamps.items():
        assert HEX64.match(stamp["digest"]), stamp
        assert stamp["signer"] == account(prefix, stage)
        assert stamp["organisation"] == ORGANISATION_OF_STAGE[prefix][stage]

    # History: both rounds, in order, with who, in which role and organisation, and digests.
    history = items(expect(preparer.get(f"{url}history/"), 200))
    times = [parse_at(event["at"]) for event in history]
    assert times == sorted(times)
    decisions = [
        (e["action"], e["stage"])
        for e in history
        if e["action"] in ("submit", "approve", "return", "reject")
    ]
    assert decisions == (
        [("submit", "submission")]
        + [("approve", s) for s in round_one]
        + [("return", returning_stage)]
        + [("submit", "submission")]
        + [("approve", s) for s in round_two]
    )
    submits = [e for e in history if e["action"] == "submit"]
    for event, round_ in zip(submits, (1, 2), strict=True):
        assert event["actor"] == account(prefix, "submission")
        assert event["role"] == "preparer"
        assert event["organisation"] == ORGANISATION_OF_STAGE[prefix]["submission"]
        assert event["digest"] == stamps[(round_, "submission")]["digest"]
    assert submits[0]["digest"] != submits[1]["digest"], "the revision changed the content"
    approvals = [e for e in history if e["action"] == "approve"]
    rounds = [1] * len(round_one) + [2] * len(round_two)
    for event, round_ in zip(approvals, rounds, strict=True):
        stage = event["stage"]
        assert event["actor"] == account(prefix, stage)
        assert event["role"] == ROLE_OF_STAGE[stage]
        assert event["organisation"] == ORGANISATION_OF_STAGE[prefix][stage]
        assert event["opinion"] == approve_opinion(stage)
        assert event["digest"] == stamps[(round_, stage)]["digest"]
        assert event["declaration"] == declaration_id
    (returned_event,) = [e for e in history if e["action"] == "return"]
    assert returned_event["actor"] == account(prefix, returning_stage)
    assert returned_event["role"] == ROLE_OF_STAGE[returning_stage]
    assert returned_event["organisation"] == ORGANISATION_OF_STAGE[prefix][returning_stage]
    assert returned_event["opinion"] == RETURN_OPINION
    assert all(e["result"] == "ok" for e in history)

    # Reviewers who took part see the history too, and the auditor sees it all.
    expect(api(account(prefix, "performance")).get(f"{url}history/"), 200)
    assert len(items(expect(api("auditor").get(f"{url}history/"), 200))) >= len(history)

    # The export opens as a workbook that names the declaration.
    response = preparer.get(f"{url}export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(XLSX_TYPE)
    workbook = openpyxl.load_workbook(
        BytesIO(b"".join(response.streaming_content))
        if response.streaming
        else BytesIO(response.content)
    )
    cells = [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    assert any(name in cell for cell in cells)


def test_withdraw_and_resubmit_through_the_api(api, seeds):
    """A submitter withdraws (撤回) a submission the unit head has not acted on, edits the
    withdrawn declaration and submits it again; once a stage has acted, withdrawal is refused."""
    declaration_id = seeds[NY_GRID].pk
    url = f"/api/declarations/{declaration_id}/"
    preparer = api("ny_preparer")
    expect(preparer.post(f"{url}submit/"), 200)
    withdrawn = expect(preparer.post(f"{url}withdraw/"), 200)
    assert withdrawn["status"] == "withdrawn"
    assert declaration_id not in [
        t["declaration"] for t in all_pages(api("ny_head"), "/api/tasks/")
    ]
    expect(preparer.patch(url, {"remarks": "撤回后修改。"}, format="json"), 200)
    assert expect(preparer.post(f"{url}submit/"), 200)["stage"] == "unit_head"
    review_stage(api, "ny", declaration_id, "unit_head")
    expect(preparer.post(f"{url}withdraw/"), 409)
    actions = [e["action"] for e in items(expect(preparer.get(f"{url}history/"), 200))]
    assert actions.count("submit") == 2
    assert "withdraw" in actions


def test_return_to_previous_stage_through_the_api(api, seeds):
    """A stage returns with to="previous": the previous stage gets a task again and the
    declaration stays in review."""
    declaration_id = seeds[NY_RELOCATION].pk
    preparer = api("ny_preparer")
    expect(preparer.post(f"/api/declarations/{declaration_id}/submit/"), 200)
    review_stage(api, "ny", declaration_id, "unit_head")
    review_stage(api, "ny", declaration_id, "department")
    finance = api("ny_finance")
    task = open_task(finance, declaration_id)
    expect(
        finance.post(
            f"/api/tasks/{task['id']}/return/",
            {"opinion": "请主管部门复核。", "to": "previous"},
            format="json",
        ),
        200,
    )
    declaration = expect(preparer.get(f"/api/declarations/{declaration_id}/"), 200)
    assert declaration["status"] == "submitted"
    assert declaration["stage"] == "department"
    assert open_task(api("ny_dept"), declaration_id)["stage"] == "department"


def test_reject_ends_the_review(api, seeds):
    """A rejection (不予通过) with an opinion ends the review; the preparer cannot edit or
    resubmit the rejected declaration."""
    declaration_id = seeds[EZ_PROJECT].pk
    url = f"/api/declarations/{declaration_id}/"
    preparer = api("ez_preparer")
    expect(preparer.post(f"{url}submit/"), 200)
    head = api("ez_head")
    task = open_task(head, declaration_id)
    expect(
        head.post(
            f"/api/tasks/{task['id']}/reject/", {"opinion": "不符合申报条件。"}, format="json"
        ),
        200,
    )
    assert expect(preparer.get(url), 200)["status"] == "rejected"
    expect(preparer.patch(url, {"remarks": "再试一次"}, format="json"), 403)
    assert preparer.post(f"{url}submit/").status_code in (403, 409)
    (event,) = [
        e for e in items(expect(preparer.get(f"{url}history/"), 200)) if e["action"] == "reject"
    ]
    assert event["opinion"] == "不符合申报条件。"
    assert event["actor"] == "ez_head"
