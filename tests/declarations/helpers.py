"""Constants and helpers shared by the declaration tests."""

import copy
import struct
import zipfile
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from declarations.content import DeclarationContent, content_of
from declarations.models import Declaration
from review.drafts import declaration_save
from tests.html import form_fields, post_data

PASSWORD = "Demo@2026"
EZ_PROJECT = "市综治中心专项工作经费"
NY_RELOCATION = "区综治中心搬迁、网络租赁及综治中心日常维护经费"
NY_GRID = "网格化管理工作经费"
SEED_IDS = ["ezhou-project", "nanyue-relocation", "nanyue-grid"]
PREPARER_OF = {EZ_PROJECT: "ez_preparer", NY_RELOCATION: "ny_preparer", NY_GRID: "ny_preparer"}


def edit_url(declaration: Declaration) -> str:
    return f"/declarations/{declaration.pk}/edit/"


def newest_declaration() -> Declaration:
    """The declaration created last."""
    return Declaration.objects.order_by("-pk").first()


def edit_fields(client, declaration: Declaration) -> dict[str, list[str]]:
    """GET the edit page and read the edit form as a browser would submit it."""
    response = client.get(edit_url(declaration))
    assert response.status_code == 200
    return form_fields(response.content.decode(), "edit-form")


def post_edit(client, declaration: Declaration, fields: dict, action: str = "save", **changes):
    """POST the edit form back with some fields changed (use **{"a-0-b": v} for row fields)."""
    return client.post(edit_url(declaration), post_data(fields, action=action, **changes))


def change_content(declaration: Declaration, change) -> Declaration:
    """Save the declaration through the service after `change(content)` edited a copy of it."""
    content: DeclarationContent = copy.deepcopy(content_of(declaration))
    change(content)
    return declaration_save(
        actor=declaration.created_by, declaration_id=declaration.pk, content=content
    )


def workbook_of(response):
    """The xlsx a response carries, opened with openpyxl."""
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(BytesIO(response.content))


def sheet_rows(sheet) -> list[list]:
    """Every row of a worksheet as a list of cell values."""
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def listed_in_export(response) -> list[str]:
    """The names (column 名称) on the rows of a list export, blank rows left out."""
    rows = sheet_rows(workbook_of(response).active)
    column = rows[0].index("名称")
    return [row[column] for row in rows[1:] if any(value is not None for value in row)]


# --- Real files of each accepted kind, built in memory ------------------------------------------

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def docx_bytes() -> bytes:
    """A minimal but valid Word document (the three parts Word needs)."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>立项依据</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """A real Excel workbook, written by openpyxl."""
    book = Workbook()
    book.active.append(["资金来源", "金额（万元）"])
    book.active.append(["本级", 10])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_attachment(client, declaration, name: str, content: bytes, description: str = ""):
    """Upload through the edit page's form and follow to the page it leads to."""
    return client.post(
        f"/declarations/{declaration.pk}/attachments/",
        {"file": upload(name, content), "description": description},
        follow=True,
    )
