"""Excel exports (openpyxl): one declaration with its indicator table, a filtered list, or audit
events (also as CSV).

Every cell goes through one rule: text that a spreadsheet would take for a formula (OWASP's CSV
injection list) is written as text. The CSV helpers below apply the same rule.
"""

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO, StringIO
from typing import TypeVar
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from declarations.layout import printed_form
from declarations.models import Declaration
from declarations.stages import Stage
from organisations.models import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
# Google Sheets: =1+1, +1, -1, @SUM(A1), and a tab or carriage return before any of them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "0.####"
_Response = TypeVar("_Response", bound=HttpResponseBase)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _clean(value):
    """Text pasted from Word can hold control characters that a workbook cannot store."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(" ", value)
    return value


def looks_like_formula(value) -> bool:
    """Whether a spreadsheet would read this text as a formula rather than as what was typed."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _keep_as_text(cell) -> None:
    # openpyxl makes any string starting with "=" a formula cell; a string cell with Excel's
    # quote prefix stays text even when someone edits it in the spreadsheet later.
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _append(sheet, row) -> None:
    sheet.append([_clean(value) for value in row])
    for cell in sheet[sheet.max_row]:
        _keep_as_text(cell)


def _header(sheet, titles: list[str], widths: list[int]) -> None:
    _append(sheet, titles)
    for index, width in enumerate(widths, start=1):
        sheet.cell(row=sheet.max_row, column=index).font = BOLD
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{sheet.max_row + 1}"


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def declaration_workbook(declaration: Declaration) -> Workbook:
    """The whole declaration: basic data, funding, goals, indicators and review opinions."""
    form = printed_form(declaration)
    book = Workbook()
    info = book.active
    info.title = "申报表"
    _header(info, ["项目", "内容"], [28, 90])
    rows = [
        ("申报表", form["title"]),
        ("年度", declaration.fiscal_year),
        ("填报单位", declaration.reporting_unit.name),
        (
            "主管部门",
            declaration.competent_department.name if declaration.competent_department else "",
        ),
        ("单位负责人", declaration.unit_head_name),
        ("项目（专项）名称", declaration.name),
        ("项目类别", declaration.category),
        ("项目性质", declaration.get_nature_display()),
        ("起止时间", form["period"]),
        ("专项负责人", declaration.owner),
        ("联系人", declaration.contact_name),
        ("联系电话", declaration.contact_phone),
        ("专项概况", declaration.summary),
        ("立项依据", declaration.basis),
        ("项目预算（万元）", declaration.budget),
        ("单位已有的保证专项实施的制度、措施", declaration.measures),
        *[(f"中长期绩效目标{i}", text) for i, text in enumerate(form["long_term_goals"], 1)],
        *[(f"年度绩效目标{i}", text) for i, text in enumerate(form["annual_goals"], 1)],
        ("其他需要说明的问题", declaration.remarks),
        ("状态", declaration.get_status_display()),
    ]
    for label, value in rows:
        _append(info, [label, value])
        info.cell(row=info.max_row, column=2).alignment = WRAP
        if label == "项目预算（万元）":
            info.cell(row=info.max_row, column=2).number_format = MONEY_FORMAT

    funding = book.create_sheet("资金来源")
    _header(funding, ["资金来源", "金额（万元）"], [16, 16])
    for line in declaration.funding_lines.all():
        _append(funding, [line.get_source_display(), line.amount])
        funding.cell(row=funding.max_row, column=2).number_format = MONEY_FORMAT

    indicators = book.create_sheet("绩效指标")
    _header(
        indicators,
        [
            "绩效目标分类",
            "目标期限",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标值",
            "指标值确定依据",
        ],
        [14, 10, 12, 18, 48, 30, 30],
    )
    for block in form["indicator_blocks"]:
        for row in block.rows:
            item = row.indicator
            _append(
                indicators,
                [
                    row.code,
                    block.title,
                    item.get_level1_display(),
                    item.get_level2_display(),
                    item.name,
                    item.target_display,
                    item.basis,
                ],
            )

    opinions = book.create_sheet("审核意见")
    _header(
        opinions,
        ["环节", "审核意见", "盖章", "签署人", "日期", "内容摘要（SHA-256）"],
        [24, 30, 30, 14, 20, 66],
    )
    for opinion in form["opinions"]:
        stamp = opinion.stamp
        _append(
            opinions,
            [
                opinion.title,
                stamp.opinion if stamp else "",
                stamp.seal if stamp else "",
                stamp.signer_name if stamp else "",
                _local(stamp.stamped_at) if stamp else None,
                stamp.digest if stamp else "",
            ],
        )
    return book


LIST_COLUMNS = [
    ("编号", 8),
    ("年度", 8),
    ("填报单位", 36),
    ("主管部门", 24),
    ("类型", 10),
    ("名称", 40),
    ("项目性质", 10),
    ("预算（万元）", 14),
    ("状态", 10),
    ("当前环节", 18),
    ("提交时间", 20),
    ("更新时间", 20),
]


def declarations_workbook(declarations) -> Workbook:
    """One row per declaration of a (scoped, filtered) list."""
    book = Workbook()
    sheet = book.active
    sheet.title = "申报表清单"
    _header(sheet, [c for c, _ in LIST_COLUMNS], [w for _, w in LIST_COLUMNS])
    for d in declarations.iterator(chunk_size=500):
        _append(
            sheet,
            [
                d.pk,
                d.fiscal_year,
                d.reporting_unit.name,
                d.competent_department.name if d.competent_department else "",
                d.get_kind_display(),
                d.name,
                d.get_nature_display(),
                d.budget,
                d.get_status_display(),
                d.get_stage_display(),
                _local(d.submitted_at),
                _local(d.updated_at),
            ],
        )
        sheet.cell(row=sheet.max_row, column=8).number_format = MONEY_FORMAT
    return book


def _attachment(response: _Response, filename: str) -> _Response:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(book: Workbook, filename: str) -> HttpResponse:
    """The workbook as a download named `filename`."""
    buffer = BytesIO()
    book.save(buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX), filename)


def csv_cell(value):
    """A value for a CSV export: text a spreadsheet would take for a formula gets a leading
    single quote (OWASP), so that it opens as text."""
    return f"'{value}" if looks_like_formula(value) else value


def csv_text(rows) -> str:
    """Rows (lists of values) as CSV text, every cell through csv_cell."""
    buffer = StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def csv_response(rows, filename: str) -> HttpResponse:
    """Rows as a CSV download; the byte-order mark makes Excel read the Chinese as UTF-8."""
    body = "\ufeff" + csv_text(rows)
    return _attachment(HttpResponse(body.encode("utf-8"), content_type=CSV), filename)


# --- The audit log ------------------------------------------------------------------------------

AUDIT_COLUMNS = [
    ("编号", 10),
    ("时间", 20),
    ("动作", 12),
    ("结果", 8),
    ("操作人", 16),
    ("账号", 14),
    ("角色", 18),
    ("组织", 32),
    ("申报表编号", 10),
    ("申报表", 40),
    ("年度", 8),
    ("环节", 18),
    ("意见", 40),
    ("详情", 40),
    ("内容摘要（SHA-256）", 66),
    ("客户端 IP", 16),
]
# What the keys of an event's details mean, in words; values that are stage or role codes are
# shown by their labels.
DETAIL_LABELS = {
    "fiscal_year": "年度",
    "from": "原",
    "from_year": "原年度",
    "version": "版本",
    "name": "文件名",
    "sha256": "文件摘要",
    "round": "轮次",
    "entry_stage": "进入环节",
    "stamp": "签章编号",
    "task": "任务编号",
    "decision": "决定",
    "next_stage": "下一环节",
    "to": "转交给",
    "reason": "理由",
    "audit_log": "审计日志",
}
DECISION_LABELS = {"approve": "同意", "return": "退回修改", "reject": "不予通过"}


def _label(choices, value: str) -> str:
    """The label of a stored code (a role, stage or decision), or the text itself if unknown."""
    return str(choices.get(value, value)) if value else ""


def role_label(code: str) -> str:
    """填报人 for preparer: a role as the UI names it."""
    return _label(dict(Role.choices), code)


def stage_label(code: str) -> str:
    """主管部门 for department: a stage as the UI names it."""
    return _label(dict(Stage.choices), code)


def details_text(details: dict) -> str:
    """An event's details as words: 轮次：2；下一环节：主管部门 (no codes, no dictionaries)."""
    stages, roles = dict(Stage.choices), dict(Role.choices)
    parts = []
    for key, value in (details or {}).items():
        if value in ("", None, {}, []):
            continue
        if key in ("entry_stage", "next_stage") or (isinstance(value, str) and value in stages):
            value = _label(stages, value)
        elif isinstance(value, str) and value in roles:
            value = _label(roles, value)
        elif key == "decision":
            value = _label(DECISION_LABELS, value)
        elif value is True:
            value = "是"
        parts.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
    return "；".join(parts)


def audit_event_row(event) -> list:
    """One audit event as the export's cells, in AUDIT_COLUMNS order, every code in words."""
    declaration = event.declaration
    return [
        event.pk,
        _local(event.at),
        event.get_action_display(),
        event.get_result_display(),
        event.actor_name,
        event.actor.get_username() if event.actor else "",
        role_label(event.role),
        event.organisation_name,
        event.declaration_id,
        declaration.name if declaration else "",
        declaration.fiscal_year if declaration else None,
        stage_label(event.stage),
        event.opinion,
        details_text(event.details),
        event.digest,
        event.ip or "",
    ]


def _audit_rows(events) -> Iterator[list]:
    for event in events.select_related("actor", "declaration").iterator(chunk_size=2000):
        yield audit_event_row(event)


def audit_events_xlsx_response(events, filename: str) -> FileResponse:
    """Audit events as an .xlsx download. openpyxl's write-only mode keeps memory flat however
    long the list; the workbook goes through a temporary file, streamed back in chunks."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    for index, (_title, width) in enumerate(AUDIT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_write_only_cell(sheet, title, font=BOLD) for title, _w in AUDIT_COLUMNS])
    for row in _audit_rows(events):
        sheet.append([_write_only_cell(sheet, value) for value in row])
    target = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    book.save(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX)


def _write_only_cell(sheet, value, *, font=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_clean(value))
    _keep_as_text(cell)
    if font is not None:
        cell.font = font
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    return cell


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
    for row in rows:
        cells = ["" if value is None else value for value in row]
        yield writer.writerow([csv_cell(_csv_value(value)) for value in cells]).encode("utf-8")


def _csv_value(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def audit_events_csv_response(events, filename: str) -> StreamingHttpResponse:
    """Audit events as a CSV download, streamed row by row (UTF-8 with a BOM, for Excel)."""
    response = StreamingHttpResponse(
        _csv_lines([title for title, _w in AUDIT_COLUMNS], _audit_rows(events)), content_type=CSV
    )
    return _attachment(response, filename)
