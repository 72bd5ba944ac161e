"""The reviewer's inbox pages: 待办 with filters, sorting and keyset pages, 已办 with the task's
own stage and 已撤回, 我发起的, 抄送我的, the menu's count, and a query count that does not grow
with the number of tasks."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from declarations.models import Stage
from review import selectors
from review import services as review
from review.models import ReviewTask
from tests.pages import flash_messages, page_of
from tests.review.bulk import copy_declarations, copy_task
from tests.review.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    advance_to,
    approve,
    fresh,
    open_task,
    seed,
    submit,
    task_ids_on_page,
    user,
)


def rows_of(response) -> list[str]:
    """The text of each row of the task table."""
    table = page_of(response).find("table", cls="list")
    return [row.text for row in table.find("tbody").find_all("tr")]


def inbox_page(client, url="/tasks/"):
    response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_inbox_renders_in_the_same_number_of_queries_for_10_and_1000_tasks(web):
    """The busy reviewer's 待办 page costs the same SQL for 10 tasks and for 1,000 (at most 12),
    and a deep page is reached by its cursor."""
    task = open_task(submit(seed(NY_MOVE)))
    copy_task(task, 9)
    client = web("ny_head")
    inbox_page(client)  # warm up (the session, the content types)
    with CaptureQueriesContext(connection) as ten:
        response = inbox_page(client)
    assert len(task_ids_on_page(response.content.decode())) == 10
    copy_task(task, 990)
    with CaptureQueriesContext(connection) as thousand:
        response = inbox_page(client)
    assert "共 999+ 项" in response.content.decode()
    assert len(ten) == len(thousand), [q["sql"] for q in thousand.captured_queries]
    assert len(thousand) <= 12, [q["sql"] for q in thousand.captured_queries]
    # Follow 下一页 to the last page: each is one page of 50, still in the same queries.
    seen = set()
    url = "/tasks/"
    while url:
        with CaptureQueriesContext(connection) as deep:
            response = inbox_page(client, url)
        assert len(deep) <= len(thousand)
        ids = task_ids_on_page(response.content.decode())
        assert not ids & seen
        seen |= ids
        nexts = [
            a.attrs["href"]
            for a in page_of(response).find_all("a")
            if a.text == "下一页" and "href" in a.attrs
        ]
        url = "/tasks/" + nexts[0] if nexts else ""
    assert len(seen) == 1000


@pytest.mark.django_db
def test_menu_count_is_capped_at_99_plus(web):
    """The menu shows how many tasks wait, and 99+ beyond 99."""
    task = open_task(submit(seed(NY_MOVE)))
    client = web("ny_head")
    nav = page_of(inbox_page(client, "/")).find("header", cls="top")
    assert "待办任务 1" in nav.text
    copy_task(task, 120)
    nav = page_of(inbox_page(client, "/")).find("header", cls="top")
    assert "待办任务 99+" in nav.text


@pytest.mark.django_db
def test_inbox_shows_unit_stage_amount_waiting_and_time_left(web):
    """Each row: the declaration, its unit, the task's stage, the amount, who submitted it,
    how long it waited, the due time with the time left; a task past due is marked 逾期."""
    declaration = seed(NY_MOVE)
    task = open_task(submit(declaration))
    late = ReviewTask.objects.get(pk=copy_task(task, 1, prefix="逾期申报表")[0])
    ReviewTask.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    rows = rows_of(inbox_page(web("ny_head")))
    [row] = [r for r in rows if NY_MOVE in r]
    assert "南岳区社会治理和网格信息化服务中心" in row
    assert "单位负责人" in row
    assert "剩余" in row
    assert "unit_head" not in row
    [late_row] = [r for r in rows if "逾期申报表" in r]
    assert "逾期 3小时" in late_row


@pytest.mark.django_db
def test_filters_narrow_the_inbox(web):
    """Year, stage, amount range, submitter, overdue and search each narrow the list."""
    task = open_task(submit(seed(NY_MOVE)))
    [other_id] = copy_task(task, 1, prefix="另一年度")
    ReviewTask.objects.filter(pk=other_id).update(
        fiscal_year=2031, budget=500, due_at=timezone.now() - timedelta(days=1)
    )
    client = web("ny_head")

    def names(query):
        return {r.split()[0] for r in rows_of(inbox_page(client, f"/tasks/?{query}"))}

    assert names("year=2031") == {"另一年度"}
    assert names("amount_min=400&amount_max=600") == {"另一年度"}
    assert names("overdue=true") == {"另一年度"}
    assert NY_MOVE.split("、")[0] in " ".join(names("overdue=false"))
    assert names("q=另一") == {"另一年度"}
    assert names("submitter=nobody") == {"没有待办任务。"}
    assert len(rows_of(inbox_page(client, "/tasks/?submitter=ny_preparer"))) == 2
    assert len(rows_of(inbox_page(client, f"/tasks/?stage={Stage.DEPARTMENT}"))) == 1  # empty


@pytest.mark.django_db
def test_a_bad_filter_is_a_chinese_message_not_an_error(web):
    response = inbox_page(web("ny_head"), "/tasks/?year=abc&amount_min=-5&cursor=%%%")
    assert any("筛选条件有误" in m for m in flash_messages(response))


@pytest.mark.django_db
def test_sorting_by_amount_both_ways(web):
    task = open_task(submit(seed(NY_MOVE)))
    ids = copy_task(task, 3, prefix="金额")
    for amount, pk in zip((30, 10, 20), ids, strict=True):
        ReviewTask.objects.filter(pk=pk).update(budget=amount)
    client = web("ny_head")
    up = list(rows_of(inbox_page(client, "/tasks/?q=金额&sort=amount")))
    down = list(rows_of(inbox_page(client, "/tasks/?q=金额&sort=-amount")))
    assert [r.split()[0:2] for r in up] == [["金额", "00001"], ["金额", "00002"], ["金额", "00000"]]
    assert up == list(reversed(down))


@pytest.mark.django_db
def test_done_shows_the_tasks_own_stage_and_my_decision(web):
    """已办: a task decided at the unit head stays 单位负责人 after the declaration moved on,
    with my decision and its time."""
    declaration = seed(NY_MOVE)
    advance_to(declaration, Stage.DEPARTMENT)
    assert fresh(declaration).stage == Stage.DEPARTMENT
    [row] = rows_of(inbox_page(web("ny_head"), "/tasks/?view=done"))
    assert "单位负责人" in row
    assert "主管部门" not in row
    assert "同意" in row


@pytest.mark.django_db
def test_a_withdrawn_task_shows_as_withdrawn_in_done_not_open(web):
    """A task whose declaration was withdrawn leaves 待办 and shows 已撤回 in 已办."""
    declaration = submit(seed(NY_MOVE))
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=declaration.pk)
    client = web("ny_head")
    assert rows_of(inbox_page(client)) == ["没有待办任务。"]
    [row] = rows_of(inbox_page(client, "/tasks/?view=done"))
    assert "已撤回" in row
    assert "剩余" not in row
    assert "逾期" not in row


@pytest.mark.django_db
def test_started_lists_where_each_of_my_units_declarations_stands(web):
    """我发起的: the unit's submitted declarations with their status, stage and holder."""
    declaration = seed(NY_MOVE)
    advance_to(declaration, Stage.DEPARTMENT)
    response = inbox_page(web("ny_preparer"), "/tasks/started/")
    [row] = [r for r in rows_of(response) if NY_MOVE in r]
    assert "审核中" in row
    assert "主管部门" in row
    assert NY_GRID not in response.content.decode()  # a draft never submitted: not started
    # A reviewer outside the units does not get the tab.
    assert "我发起的" not in inbox_page(web("ny_finance")).content.decode()


@pytest.mark.django_db
def test_started_pages_through_every_declaration_once_latest_first(web):
    """我发起的 with more than a page: 下一页 lists each started declaration once, latest change
    first, and 上一页 leads back."""
    declaration = seed(NY_MOVE)
    advance_to(declaration, Stage.DEPARTMENT)
    copy_declarations(declaration, 70, prefix="发起翻页")
    client = web("ny_preparer")
    pages, url = [], "/tasks/started/"
    while url:
        response = inbox_page(client, url)
        pages.append(re.findall(r'href="/declarations/(\d+)/"', response.content.decode()))
        url = link_to(response, "下一页", "/tasks/started/")
    started = selectors.declarations_started_by(user("ny_preparer"))
    assert [int(pk) for page in pages for pk in page] == list(
        started.order_by("-updated_at", "-pk").values_list("pk", flat=True)
    )
    assert [len(page) for page in pages] == [50, 21]
    back = inbox_page(client, link_to(response, "上一页", "/tasks/started/"))
    assert re.findall(r'href="/declarations/(\d+)/"', back.content.decode()) == pages[0]


def link_to(response, text: str, path: str) -> str:
    hrefs = [a.attrs["href"] for a in page_of(response).find_all("a") if a.text == text]
    return path + hrefs[0] if hrefs else ""


@pytest.mark.django_db
def test_copied_to_me_is_empty_with_a_clear_message(web):
    response = inbox_page(web("ny_dept"), "/tasks/copied/")
    assert "暂无抄送给您的申报表" in response.content.decode()


@pytest.mark.django_db
def test_batch_approval_from_the_inbox_reports_the_failure_and_approves_the_rest(web):
    """Tick three tasks, one of them handled meanwhile: two are stamped, the third is listed
    with its reason."""
    first = open_task(submit(seed(NY_MOVE)))
    second = open_task(submit(seed(NY_GRID)))
    ez = open_task(submit(seed(EZ_PROJECT)))  # another jurisdiction's: hidden from ny_head
    client = web("ny_head")
    form = page_of(inbox_page(client)).by_id("batch")
    ticks = {int(box.attrs["value"]) for box in form.find_all("input", name="tasks")}
    assert ticks == {first.pk, second.pk}
    assert form.find("textarea", name="opinion") is not None
    assert form.find("label", **{"for": "batch-opinion"}).text == "审批意见"
    assert "审批意见" in form.text
    assert "批量同意" in form.text
    approve(fresh(second.declaration))  # handled elsewhere before the batch is sent
    response = client.post(
        "/tasks/batch-approve/",
        {"tasks": [first.pk, second.pk, ez.pk], "opinion": "同意，批量"},
        follow=True,
    )
    shown = flash_messages(response)
    assert "已同意并盖章 1 项。" in shown
    assert f"任务 {second.pk} 未能同意：该任务已被处理，请刷新查看最新状态。" in shown
    assert f"任务 {ez.pk} 未能同意：任务不存在。" in shown
    assert fresh(first.declaration).stamps.get(stage=Stage.UNIT_HEAD).opinion == "同意，批量"


@pytest.mark.django_db
def test_batch_approval_without_a_ticked_task_says_so(web):
    response = web("ny_head").post("/tasks/batch-approve/", {"opinion": "同意"}, follow=True)
    assert "请先勾选要批量同意的任务。" in flash_messages(response)


@pytest.mark.django_db
def test_the_admins_task_lists_show_a_withdrawn_task_as_withdrawn(web):
    """In the overseer's 全部任务 and in the Django admin, a withdrawn task reads 已撤回, with no
    time left and no claim button."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=declaration.pk)
    client = web("admin")
    [row] = [r for r in rows_of(inbox_page(client, "/tasks/?view=all")) if NY_MOVE in r]
    assert "已撤回" in row
    assert "剩余" not in row
    assert "认领" not in row
    response = client.get("/admin/approval_workflow/reviewtask/")
    assert response.status_code == 200
    link = f"/admin/approval_workflow/reviewtask/{task.pk}/change/"
    [admin_row] = [
        r.text
        for r in page_of(response).find_all("tr")
        if any(a.attrs.get("href", "").startswith(link) for a in r.find_all("a"))
    ]
    assert "已撤回" in admin_row
    assert "单位负责人" in admin_row
