"""Exporting the audit log: `GET /api/audit/events/export.xlsx` and `.csv` take the list's
filters, open in openpyxl and as CSV, name roles, stages and actions in Chinese (no codes), keep
typed formulas as text, and are for auditors and administrators of the jurisdiction only."""

import csv
import io

import pytest
from openpyxl import load_workbook

from audit.models import AuditEvent
from declarations.models import Stage
from organisations.models import Role
from review import services as review
from tests.api.helpers import assert_chinese
from tests.review.helpers import EZ_PROJECT, NY_MOVE, advance_to, seed, user

XLSX_URL = "/api/audit/events/export.xlsx"
CSV_URL = "/api/audit/events/export.csv"
HEADER = ["编号", "时间", "动作", "结果", "操作人", "账号", "角色", "组织", "申报表编号", "申报表"]
# Codes that must never reach a cell: roles, stages, actions, results.
CODES = {
    *Role.values,
    *Stage.values,
    "approve",
    "submit",
    "claim",
    "return",
    "ok",
    "refused",
}


@pytest.fixture
def reviewed(demo):
    """南岳's relocation declaration at the finance stage, with a comment that looks like a
    formula; 鄂州's project at the department stage."""
    ny_task = advance_to(seed(NY_MOVE), Stage.FINANCE)
    review.declaration_comment(
        actor=user("ny_preparer"),
        declaration_id=ny_task.declaration_id,
        text='=HYPERLINK("http://evil.example","点此")',
    )
    advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT)
    return ny_task.declaration


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "审计日志"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read the Chinese as UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def column(rows: list[list], title: str) -> list:
    index = rows[0].index(title)
    return [row[index] for row in rows[1:]]


@pytest.mark.django_db
def test_the_xlsx_export_lists_the_filtered_events_in_words(api, reviewed):
    rows = xlsx_rows(api("ny_auditor").get(XLSX_URL, {"declaration": reviewed.pk}))
    assert rows[0][: len(HEADER)] == HEADER
    expected = AuditEvent.objects.filter(declaration=reviewed).order_by("at", "pk")
    assert column(rows, "编号") == [e.pk for e in expected]
    assert set(column(rows, "申报表")) == {NY_MOVE}
    assert {"提交", "同意", "评论"} <= set(column(rows, "动作"))
    assert "单位负责人" in column(rows, "角色")
    assert {"单位负责人", "主管部门"} <= set(column(rows, "环节"))
    assert "袁冕" in column(rows, "操作人")
    assert "ny_head" in column(rows, "账号")
    cells = {str(value) for row in rows for value in row if value is not None}
    assert not cells & CODES, cells & CODES
    assert not [c for c in cells if c.startswith("{")], "a dictionary reached a cell"


@pytest.mark.django_db
def test_the_csv_export_has_the_same_rows_as_the_xlsx(api, reviewed):
    client = api("ny_auditor")
    params = {"declaration": reviewed.pk}
    from_csv = csv_rows(client.get(CSV_URL, params))
    from_xlsx = xlsx_rows(client.get(XLSX_URL, params))
    assert from_csv[0] == from_xlsx[0]
    assert [int(pk) for pk in column(from_csv, "编号")] == column(from_xlsx, "编号")
    assert column(from_csv, "动作") == column(from_xlsx, "动作")
    assert column(from_csv, "环节") == [stage or "" for stage in column(from_xlsx, "环节")]


@pytest.mark.django_db
def test_a_typed_formula_stays_text_in_both_exports(api, reviewed):
    client = api("ny_auditor")
    params = {"declaration": reviewed.pk, "action": "comment"}
    formula = '=HYPERLINK("http://evil.example","点此")'
    assert column(csv_rows(client.get(CSV_URL, params)), "意见") == [f"'{formula}"]
    body = b"".join(client.get(XLSX_URL, params).streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    cell = sheet.cell(row=2, column=[c.value for c in sheet[1]].index("意见") + 1)
    assert cell.value == formula
    assert cell.data_type == "s"
    assert cell.quotePrefix


@pytest.mark.django_db
def test_the_exports_take_the_lists_filters(api, reviewed):
    client = api("auditor")
    listed = client.get("/api/audit/events/", {"person": "袁冕", "page_size": 500}).json()
    ids = sorted(e["id"] for e in listed["results"])
    assert ids
    rows = xlsx_rows(client.get(XLSX_URL, {"person": "袁冕"}))
    assert sorted(column(rows, "编号")) == ids
    assert set(column(rows, "操作人")) == {"袁冕"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", [XLSX_URL, CSV_URL])
def test_outsiders_get_no_export(api, anon, reviewed, url):
    """A preparer is refused (403); without a login, 401 or 403; an auditor of 鄂州 gets none
    of 南岳's events, not even when naming its declaration."""
    assert api("ny_preparer").get(url).status_code == 403
    assert api("ny_dept").get(url, {"declaration": reviewed.pk}).status_code == 403
    assert anon.get(url).status_code in (401, 403)
    response = api("ez_auditor").get(url, {"declaration": reviewed.pk})
    rows = xlsx_rows(response) if url == XLSX_URL else csv_rows(response)
    assert rows[1:] == []
    everything = api("ez_auditor").get(url)
    rows = xlsx_rows(everything) if url == XLSX_URL else csv_rows(everything)
    assert NY_MOVE not in column(rows, "申报表")
    assert EZ_PROJECT in column(rows, "申报表")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [XLSX_URL, CSV_URL, "/api/audit/events/"])
def test_a_bad_filter_is_a_chinese_400(api, demo, url):
    response = api("auditor").get(url, {"year": "二〇二〇", "stage": "nowhere"})
    assert response.status_code == 400
    assert set(response.json()) == {"year", "stage"}
    assert_chinese(response.json())
