"""What an uploaded attachment really is, judged by its content rather than its name."""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 and Excel 97-2003
ZIP_SIGNATURE = b"PK\x03\x04"

# extension -> (content type, human name)
ALLOWED = {
    "pdf": ("application/pdf", "PDF"),
    "doc": ("application/msword", "Word"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xls": ("application/vnd.ms-excel", "Excel"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "jpg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
    "gif": ("image/gif", "GIF"),
    "bmp": ("image/bmp", "BMP"),
    "webp": ("image/webp", "WebP"),
    "tif": ("image/tiff", "TIFF"),
}
ALIASES = {"jpeg": "jpg", "tiff": "tif"}
ALLOWED_LABEL = "PDF、Word、Excel 或图片（JPG、PNG、GIF、BMP、WebP、TIFF）"
MSG_UNREADABLE_ARCHIVE = (
    "文件无法读取（压缩格式不受支持或文件已损坏），已拒绝上传。"
    "请用 Word 或 Excel 重新保存后再上传。"
)
# What zipfile raises on a damaged or hostile archive: an unsupported "version needed to
# extract" or compression (NotImplementedError), a truncated directory (EOFError, OSError),
# nonsense offsets or sizes (ValueError), encryption (RuntimeError), Zip64 without support.
UNREADABLE_ARCHIVE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return getattr(settings, "ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)


def _extension(name: str) -> str:
    ext = PurePath(name).suffix.lower().lstrip(".")
    return ALIASES.get(ext, ext)


def _zip_names(upload) -> list[str]:
    """The names in a zip archive's directory; ValidationError when it cannot be read."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except UNREADABLE_ARCHIVE as problem:
        raise ValidationError(MSG_UNREADABLE_ARCHIVE) from problem


def _sniff_zip(upload) -> str | None:
    """docx or xlsx, by the parts the archive really holds."""
    names = _zip_names(upload)
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return None


def sniff(upload, claimed: str) -> str | None:
    """The extension that the content shows, or None when it is not an accepted type;
    ValidationError when an archive cannot be read at all."""
    upload.seek(0)
    head = upload.read(8192)
    if head.startswith(ZIP_SIGNATURE):
        return _sniff_zip(upload)
    if head.startswith(OLE_SIGNATURE):
        # An OLE container is either legacy Word or Excel; accept it under either name.
        return claimed if claimed in {"doc", "xls"} else None
    kind = filetype.guess(head)
    if kind is None:
        return None
    detected = ALIASES.get(kind.extension, kind.extension)
    return detected if detected in ALLOWED else None


def check_upload(upload) -> CheckedFile:
    """Refuse a file that is too large, of a type we do not accept, or whose name lies about it."""
    if upload.size > max_bytes():
        size, limit = filesizeformat(upload.size), filesizeformat(max_bytes())
        raise ValidationError(f"文件过大（{size}），附件不能超过 {limit}。")
    if upload.size == 0:
        raise ValidationError("文件是空的。")
    claimed = _extension(upload.name)
    if claimed not in ALLOWED:
        raise ValidationError(
            f"不支持的文件类型“.{claimed or '无扩展名'}”，只能上传{ALLOWED_LABEL}。"
        )
    detected = sniff(upload, claimed)
    if detected is None:
        raise ValidationError(
            f"文件内容不是有效的{ALLOWED[claimed][1]}文件，可能扩展名被修改过，已拒绝上传。"
        )
    if detected != claimed:
        raise ValidationError(
            f"文件扩展名为“.{claimed}”，但内容是{ALLOWED[detected][1]}（.{detected}），已拒绝上传。"
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        extension=claimed,
        content_type=ALLOWED[claimed][0],
        size=upload.size,
        sha256=digest.hexdigest(),
    )
