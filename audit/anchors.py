"""Anchors: every signed checkpoint, kept outside the database and optionally at a witness.

The anchor store is a directory (a volume or host the database's administrator cannot
write) holding one append-only file per log, `<log id>.checkpoints`, with one JSON record
per line: {"note": "<signed checkpoint note>"}. A database that holds less than an anchored
checkpoint sealed (a cut tail, emptied tables, an older copy restored) no longer matches it.

Records are appended with a single write under an exclusive lock and fsynced. A crash can
still leave a torn last record; reading skips it (and any other damaged line) with a warning,
and the next append starts on a fresh line, so one bad record never hides the others.
Records are not trusted here: whoever reads them verifies each note's signature.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from audit.signing import origin_for

logger = logging.getLogger(__name__)

SUFFIX = ".checkpoints"


def anchor_path(directory: str | os.PathLike, log_id: str) -> Path:
    """The file that holds a log's anchored checkpoints."""
    origin_for(log_id)  # refuses ids that are not safe file names
    return Path(directory) / f"{log_id}{SUFFIX}"


def append(directory: str | os.PathLike, log_id: str, note: str) -> None:
    """Append a signed checkpoint of log `log_id` to the store, durably (fsync)."""
    path = anchor_path(directory, log_id)
    if not isinstance(note, str) or note.split("\n", 1)[0] != origin_for(log_id):
        raise ValueError(f"这个检查点不属于日志 {log_id}，不能存入它的锚点文件")
    record = (json.dumps({"note": note}, ensure_ascii=False) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if _ends_torn(descriptor):
            record = b"\n" + record
        _write_all(descriptor, record)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        _fsync_directory(path.parent)


def iter_notes(directory: str | os.PathLike, log_id: str) -> Iterator[str]:
    """The log's anchored notes, oldest first, read as a stream (no file: none)."""
    path = anchor_path(directory, log_id)
    origin = origin_for(log_id)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            note = _parse_record(line, path, number)
            if note is None:
                continue
            if note.split("\n", 1)[0] != origin:
                logger.warning(
                    "anchor %s line %d belongs to another log (%s); ignored",
                    path,
                    number,
                    note.split("\n", 1)[0][:100],
                )
                continue
            yield note


def read(directory: str | os.PathLike, log_id: str) -> list[str]:
    """All of the log's anchored notes, oldest first."""
    return list(iter_notes(directory, log_id))


def send_to_witness(url: str, note: str, timeout: float = 10.0) -> bool:
    """POST a signed checkpoint to a witness as text/plain; log a failure, never raise."""
    if urlsplit(url).scheme not in ("http", "https"):
        logger.warning("audit witness URL %r is not http(s); checkpoint not sent", url)
        return False
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=note.encode("utf-8"),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with _WITNESS_OPENER.open(request, timeout=timeout) as response:
            response.read(65_536)
            status = response.status
    except (OSError, ValueError, http.client.HTTPException) as error:
        logger.warning("audit witness %s did not take the checkpoint: %s", url, error)
        return False
    if not 200 <= status < 300:
        logger.warning("audit witness %s answered HTTP %s to the checkpoint", url, status)
        return False
    return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without the note: count it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_WITNESS_OPENER = urllib.request.build_opener(_NoRedirect)


def _parse_record(line: bytes, path: Path, number: int) -> str | None:
    try:
        record = json.loads(line.decode("utf-8"))
        note = record["note"]
        if not isinstance(note, str) or not note:
            raise TypeError
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        if line.strip():
            logger.warning("anchor %s line %d is torn or damaged; ignored", path, number)
        return None
    return note


def _ends_torn(descriptor: int) -> bool:
    """Whether the file's last record lacks its newline (a write cut short by a crash)."""
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
