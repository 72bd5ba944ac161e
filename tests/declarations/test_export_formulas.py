"""Exports never hand a spreadsheet a formula: text a user typed that starts with =, +, -, @, a
tab or a carriage return is a text cell in every xlsx export, and gets OWASP's leading quote in
CSV; either way it reads back exactly as typed."""

import csv
from io import StringIO

import pytest

from declarations.exports import csv_response, csv_text
from tests.api.helpers import token_client
from tests.declarations.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PREPARER_OF,
    SEED_IDS,
    change_content,
    sheet_rows,
    workbook_of,
)

PAYLOADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
PAYLOAD_IDS = ["equals", "plus", "minus", "at", "tab", "carriage-return"]
TEXT_FIELDS = {
    "name": "项目（专项）名称",
    "category": "项目类别",
    "owner": "专项负责人",
    "contact_name": "联系人",
    "summary": "专项概况",
    "basis": "立项依据",
    "measures": "单位已有的保证专项实施的制度、措施",
    "remarks": "其他需要说明的问题",
}


def _exports(client, declaration, username: str) -> dict:
    """The three exports that hold a declaration: its page and API workbooks, and the list."""
    return {
        "page": workbook_of(client.get(f"/declarations/{declaration.pk}/export.xlsx")),
        "api": workbook_of(
            token_client(username).get(f"/api/declarations/{declaration.pk}/export.xlsx")
        ),
        "list": workbook_of(client.get("/declarations/export.xlsx")),
    }


def _formula_cells(book) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}={cell.value!r}"
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def _by_label(sheet) -> dict:
    return {row[0]: row[1] for row in sheet_rows(sheet) if row[0] is not None}


def _cells_holding(book, text: str) -> list:
    return [
        cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value == text
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", [EZ_PROJECT, NY_RELOCATION, NY_GRID], ids=SEED_IDS)
def test_no_export_of_a_seed_declaration_holds_a_formula(client, seeds, login, name):
    """The seeds' own targets such as =100% (and every other cell) come out as the text the
    form shows, never as a formula a spreadsheet would evaluate."""
    username = PREPARER_OF[name]
    login(username)
    declaration = seeds[name]
    targets = [i.target_display for i in declaration.indicators.all()]

    for export, book in _exports(client, declaration, username).items():
        assert _formula_cells(book) == [], export
        if export != "list":
            exported = [row[5] for row in sheet_rows(book["绩效指标"])[1:]]
            assert exported == targets, export
    if name != EZ_PROJECT:
        assert "=100%" in targets, "the 南岳 seeds hold a target written =100%"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_typed_text_that_looks_like_a_formula_is_exported_as_typed(client, ny_grid, login, payload):
    """Every text field, goal and indicator cell holding a formula-like payload is a text cell
    (with Excel's quote prefix) in the page, API and list exports, and reads back unchanged."""

    def fill(content):
        content.fields.update(dict.fromkeys(TEXT_FIELDS, payload))
        content.long_term_goals = [payload]
        content.annual_goals = [payload]
        for row in content.indicators:
            row.update(name=payload, target_text=payload, basis=payload, operator="", value=None)

    declaration = change_content(ny_grid, fill)
    login("ny_preparer")

    books = _exports(client, declaration, "ny_preparer")

    for export, book in books.items():
        assert _formula_cells(book) == [], export
        cells = _cells_holding(book, payload)
        assert cells, export
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells), export
    for export in ("page", "api"):
        book = books[export]
        info = _by_label(book["申报表"])
        assert {field: info[label] for field, label in TEXT_FIELDS.items()} == dict.fromkeys(
            TEXT_FIELDS, payload
        )
        assert info["中长期绩效目标1"] == info["年度绩效目标1"] == payload
        indicators = sheet_rows(book["绩效指标"])[1:]
        assert len(indicators) == declaration.indicators.count()
        assert all(row[4:7] == [payload] * 3 for row in indicators), indicators
    listed = sheet_rows(books["list"].active)
    assert payload in [row[5] for row in listed[1:]]


@pytest.mark.django_db
def test_ordinary_text_and_numbers_are_left_alone(client, ny_grid, login):
    """Text that merely contains =, + or - later on, and negative-looking numbers stored as
    numbers, are written as they are, without the text prefix."""
    declaration = change_content(
        ny_grid, lambda content: content.fields.update(name="经费 = 10 + 2", remarks="A-1")
    )
    login("ny_preparer")
    book = workbook_of(client.get(f"/declarations/{declaration.pk}/export.xlsx"))
    info = book["申报表"]
    cells = {row[0].value: row[1] for row in info.iter_rows()}
    assert cells["项目（专项）名称"].value == "经费 = 10 + 2"
    assert not cells["项目（专项）名称"].quotePrefix
    assert cells["其他需要说明的问题"].value == "A-1"
    assert cells["项目预算（万元）"].data_type == "n"


def _read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(StringIO(text, newline="")))


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_csv_cells_that_look_like_formulas_get_a_leading_quote(payload):
    """In CSV, a formula-like cell is prefixed with a single quote (OWASP) and otherwise kept
    exactly, carriage returns included; other cells are untouched."""
    rows = _read_csv(csv_text([["意见", "金额", "说明"], [payload, 12, "同意 = 通过"]]))

    assert rows == [["意见", "金额", "说明"], ["'" + payload, "12", "同意 = 通过"]]


def test_a_csv_download_opens_in_excel_as_utf8_text():
    """The CSV response is UTF-8 with a byte-order mark (Excel then reads the Chinese), offered
    as a download under its Chinese name, with the same protection on every cell."""
    response = csv_response([["审核意见"], ["=1+1"]], "审核记录.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "filename*=UTF-8''%E5%AE%A1%E6%A0%B8%E8%AE%B0%E5%BD%95.csv"
        in (response["Content-Disposition"])
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert _read_csv(body.removeprefix("\ufeff")) == [["审核意见"], ["'=1+1"]]
