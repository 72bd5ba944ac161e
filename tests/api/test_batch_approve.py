"""POST /api/tasks/batch-approve/: one result per task, approved or an error with its code and
Chinese reason; bad input is a 400 in Chinese; the task list's filters and sorting."""

import pytest

from tests.api.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    all_pages,
    assert_chinese,
    expect,
    open_task,
)

URL = "/api/tasks/batch-approve/"


def submitted_task(api, seeds, name: str) -> int:
    prefix = "ez" if name == EZ_PROJECT else "ny"
    declaration_id = seeds[name].pk
    expect(api(f"{prefix}_preparer").post(f"/api/declarations/{declaration_id}/submit/"), 200)
    return open_task(api(f"{prefix}_head"), declaration_id)["id"]


def test_batch_approve_reports_each_task(api, seeds):
    """One task already handled and one hidden: both reported, the other approved."""
    first = submitted_task(api, seeds, NY_RELOCATION)
    second = submitted_task(api, seeds, NY_GRID)
    hidden = submitted_task(api, seeds, EZ_PROJECT)
    head = api("ny_head")
    expect(head.post(f"/api/tasks/{second}/approve/", {}, format="json"), 200)
    body = expect(
        head.post(URL, {"tasks": [first, second, hidden], "opinion": "同意"}, format="json"), 200
    )
    assert body == {
        "results": [
            {"task": first, "status": "approved", "code": "", "detail": ""},
            {
                "task": second,
                "status": "error",
                "code": "already_handled",
                "detail": "该任务已被处理，请刷新查看最新状态。",
            },
            {"task": hidden, "status": "error", "code": "not_found", "detail": "任务不存在。"},
        ]
    }
    done = {t["id"] for t in all_pages(head, "/api/tasks/", {"status": "done"})}
    assert done == {first, second}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"tasks": []},
        {"tasks": "12"},
        {"tasks": ["x"]},
        {"tasks": [0]},
        {"tasks": list(range(1, 102))},
        {"tasks": [1], "opinion": "长" * 2001},
    ],
)
def test_bad_input_is_a_400_in_chinese(api, demo, payload):
    body = expect(api("ny_head").post(URL, payload, format="json"), 400)
    assert_chinese(body)


def test_task_list_filters_and_sorting(api, seeds):
    """The API's task list takes the inbox's filters (year, stage, amount, submitter, search)
    and sorts by any column."""
    first = submitted_task(api, seeds, NY_RELOCATION)
    second = submitted_task(api, seeds, NY_GRID)
    head = api("ny_head")

    def ids(**params) -> list[int]:
        return [t["id"] for t in all_pages(head, "/api/tasks/", params)]

    assert set(ids()) == {first, second}
    assert ids(q="网格化") == [second]
    assert ids(stage="department") == []
    assert set(ids(submitter="ny_preparer")) == {first, second}
    assert ids(submitter="ez_preparer") == []
    year = seeds[NY_GRID].fiscal_year
    assert set(ids(year=year)) == {first, second}
    budgets = {first: seeds[NY_RELOCATION].budget, second: seeds[NY_GRID].budget}
    ascending = ids(sort="amount")
    assert [budgets[i] for i in ascending] == sorted(budgets.values())
    assert ids(sort="-amount") == list(reversed(ascending))
    expect(head.get("/api/tasks/", {"sort": "nonsense"}), 400)
