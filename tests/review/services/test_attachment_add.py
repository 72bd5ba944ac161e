"""attachment_add: PDF, Word, Excel and images, judged by their content and not their name,
under a size limit, downloaded as uploaded; none once the declaration is submitted. One
attach event (and one detach event for attachment_remove)."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditAction
from declarations.models import Attachment
from organisations.models import Role
from review import drafts as services
from review.services import declaration_submit
from tests.audit.helpers import assert_event, only_new_event
from tests.declarations.helpers import (
    PDF,
    docx_bytes,
    edit_url,
    png_bytes,
    post_attachment,
    upload,
    xlsx_bytes,
)
from tests.pages import flash_messages, page_of
from tests.review.helpers import EZ, EZ_PROJECT, last_event_pk, seed, user


@pytest.mark.django_db
def test_attach_and_detach_write_one_event_each(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    declaration = seed(EZ_PROJECT)
    upload = SimpleUploadedFile(
        "测算依据.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    )
    before = last_event_pk()
    attachment = services.attachment_add(
        actor=user(EZ.preparer), declaration_id=declaration.pk, upload=upload
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.ATTACH,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )
    assert (event.details["name"], event.details["sha256"]) == ("测算依据.pdf", attachment.sha256)

    before = last_event_pk()
    services.attachment_remove(
        actor=user(EZ.preparer), declaration_id=declaration.pk, attachment_id=attachment.pk
    )
    event = only_new_event(before)
    assert event.action == AuditAction.DETACH
    assert event.details["sha256"] == attachment.sha256


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("立项依据.pdf", PDF, "application/pdf"),
        (
            "实施方案.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "资金测算.xlsx",
            xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("现场照片.png", png_bytes(), "image/png"),
    ],
    ids=["pdf", "docx", "xlsx", "png"],
)
def test_real_files_are_accepted_and_downloaded_as_uploaded(
    client, ny_relocation, login, name, content, content_type
):
    """A real file of an accepted kind is stored with its name, size and checksum, listed on the
    edit page, and downloads with exactly the bytes uploaded."""
    login("ny_preparer")
    version = ny_relocation.version

    response = post_attachment(client, ny_relocation, name, content, description="附件说明")

    assert response.redirect_chain == [(edit_url(ny_relocation), 302)]
    assert "附件已上传。" in flash_messages(response)
    attachment = ny_relocation.attachments.get()
    assert attachment.original_name == name
    assert attachment.description == "附件说明"
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert Path(name).stem not in attachment.file.name, "the stored name is not the given one"
    links = page_of(response).by_id("attachments").find_all("a")
    assert [a.text for a in links] == [name]
    ny_relocation.refresh_from_db()
    assert ny_relocation.version == version + 1

    download = client.get(links[0].attrs["href"])

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


UNSUPPORTED = "只能上传PDF、Word、Excel 或图片（JPG、PNG、GIF、BMP、WebP、TIFF）。"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "扫描件.pdf",
            png_bytes(),
            "文件扩展名为“.pdf”，但内容是PNG（.png），已拒绝上传。",
        ),
        (
            "实施方案.docx",
            "这其实是一个文本文件。\n".encode(),
            "文件内容不是有效的Word文件，可能扩展名被修改过，已拒绝上传。",
        ),
        (
            "资金测算.docx",
            xlsx_bytes(),
            "文件扩展名为“.docx”，但内容是Excel（.xlsx），已拒绝上传。",
        ),
        (
            "资金测算.xlsx",
            PDF,
            "文件扩展名为“.xlsx”，但内容是PDF（.pdf），已拒绝上传。",
        ),
        (
            "setup.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            f"不支持的文件类型“.exe”，{UNSUPPORTED}",
        ),
        (
            "依据.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            "文件内容不是有效的PDF文件，可能扩展名被修改过，已拒绝上传。",
        ),
        (
            "说明.html",
            b"<html><script>alert(1)</script></html>",
            f"不支持的文件类型“.html”，{UNSUPPORTED}",
        ),
    ],
    ids=[
        "png-named-pdf",
        "text-named-docx",
        "xlsx-named-docx",
        "pdf-named-xlsx",
        "exe",
        "exe-named-pdf",
        "html",
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(
    client, ny_relocation, login, name, content, message
):
    """The content decides: a forged or unsupported file is refused with a clear message and
    nothing is stored."""
    login("ny_preparer")
    version = ny_relocation.version

    response = post_attachment(client, ny_relocation, name, content)

    assert response.redirect_chain == [(edit_url(ny_relocation), 302)]
    assert message in flash_messages(response)
    assert not Attachment.objects.exists()
    ny_relocation.refresh_from_db()
    assert ny_relocation.version == version


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(client, ny_relocation, login, settings):
    """Over ATTACHMENT_MAX_BYTES the file is refused, saying its size and the limit; a file of
    exactly the limit is accepted."""
    settings.ATTACHMENT_MAX_BYTES = 1024
    login("ny_preparer")
    too_big = PDF[:-6] + b"%" * (2000 - len(PDF)) + b"%%EOF\n"
    assert len(too_big) == 2000

    response = post_attachment(client, ny_relocation, "大文件.pdf", too_big)

    assert "文件过大（2.0 KB），附件不能超过 1.0 KB。" in flash_messages(response)
    assert not Attachment.objects.exists()

    just_fits = PDF[:-6] + b"%" * (1024 - len(PDF)) + b"%%EOF\n"
    assert len(just_fits) == 1024
    response = post_attachment(client, ny_relocation, "刚好.pdf", just_fits)
    assert "附件已上传。" in flash_messages(response)
    assert ny_relocation.attachments.get().size == 1024


@pytest.mark.django_db
def test_a_submitted_declaration_takes_no_new_attachments(client, ny_grid, login, demo):
    """Once submitted, attachments are part of what the reviewers stamp: uploading or deleting
    is refused (403) while the attachment stays downloadable."""
    login("ny_preparer")
    post_attachment(client, ny_grid, "立项依据.pdf", PDF)
    attachment = ny_grid.attachments.get()
    declaration_submit(actor=demo.user("ny_preparer"), declaration_id=ny_grid.pk)
    base = f"/declarations/{ny_grid.pk}/attachments/"

    assert client.post(base, {"file": upload("补充.pdf", PDF)}).status_code == 403
    assert client.post(f"{base}{attachment.pk}/delete/").status_code == 403
    assert list(Attachment.objects.values_list("pk", flat=True)) == [attachment.pk]
    download = client.get(f"{base}{attachment.pk}/")
    assert b"".join(download.streaming_content) == PDF


def _needing_zip_version(content: bytes, version: int) -> bytes:
    """The archive with every central-directory entry claiming it needs `version` to extract."""
    data = bytearray(content)
    start = data.find(b"PK\x01\x02")
    while start != -1:
        data[start + 6 : start + 8] = version.to_bytes(2, "little")
        start = data.find(b"PK\x01\x02", start + 4)
    return bytes(data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("实施方案.docx", _needing_zip_version(docx_bytes(), 100)),
        ("资金测算.xlsx", _needing_zip_version(xlsx_bytes(), 99)),
        ("实施方案.docx", docx_bytes()[: len(docx_bytes()) - 30]),
    ],
    ids=["docx-zip-version-10.0", "xlsx-zip-version-9.9", "docx-truncated"],
)
def test_an_archive_zipfile_cannot_read_is_refused_in_chinese(
    client, ny_relocation, login, name, content
):
    """A Word or Excel file whose zip directory names an unsupported "version needed to
    extract" (a NotImplementedError, a 500 before) or is cut short is refused with a clear
    message; nothing is stored."""
    login("ny_preparer")
    version = ny_relocation.version

    response = post_attachment(client, ny_relocation, name, content)

    assert response.redirect_chain == [(edit_url(ny_relocation), 302)]
    assert (
        "文件无法读取（压缩格式不受支持或文件已损坏），已拒绝上传。"
        "请用 Word 或 Excel 重新保存后再上传。"
    ) in flash_messages(response)
    assert not Attachment.objects.exists()
    ny_relocation.refresh_from_db()
    assert ny_relocation.version == version
