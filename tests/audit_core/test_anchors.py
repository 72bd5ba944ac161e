"""The anchor store outside the database, and the witness that receives each checkpoint."""

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import anchors
from audit.merkle import leaf_hash
from audit.signing import parse_and_verify, sign_checkpoint

LOG_ID = "log-a"


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def note_for(key, size, log_id=LOG_ID):
    return sign_checkpoint(
        origin=f"perf-approvals/{log_id}",
        size=size,
        root=leaf_hash(str(size).encode()),
        at=datetime(2026, 5, 1, 8, size % 60, tzinfo=UTC),
        private_key=key,
    )


def test_appended_checkpoints_read_back_in_order(tmp_path, key):
    """Notes come back oldest first, byte for byte, in a directory created on demand."""
    directory = tmp_path / "var" / "audit"
    notes = [note_for(key, size) for size in (1, 5, 9)]
    for note in notes:
        anchors.append(directory, LOG_ID, note)
    assert anchors.read(directory, LOG_ID) == notes
    assert [
        parse_and_verify(n, key.public_key()).size for n in anchors.read(directory, LOG_ID)
    ] == [
        1,
        5,
        9,
    ]
    assert sorted(p.name for p in directory.iterdir()) == ["log-a.checkpoints"]


def test_an_empty_store_holds_no_checkpoints(tmp_path):
    """No directory or no file yet: nothing anchored, no error."""
    assert anchors.read(tmp_path / "missing", LOG_ID) == []
    assert anchors.read(tmp_path, LOG_ID) == []


def test_a_torn_last_record_is_skipped_with_a_warning(tmp_path, key, caplog):
    """A crash mid-write leaves half a record: reading warns and returns the whole ones; the
    next append starts a fresh line, so it is not glued onto the torn one."""
    first, second = note_for(key, 1), note_for(key, 2)
    anchors.append(tmp_path, LOG_ID, first)
    path = anchors.anchor_path(tmp_path, LOG_ID)
    whole = path.read_bytes()
    anchors.append(tmp_path, LOG_ID, second)
    path.write_bytes(whole + path.read_bytes()[len(whole) :][:40])
    with caplog.at_level(logging.WARNING, logger="audit.anchors"):
        assert anchors.read(tmp_path, LOG_ID) == [first]
    assert "line 2 is torn or damaged" in caplog.text
    third = note_for(key, 3)
    anchors.append(tmp_path, LOG_ID, third)
    assert anchors.read(tmp_path, LOG_ID) == [first, third]


def test_a_complete_record_missing_only_its_newline_still_counts(tmp_path, key):
    """A write cut just before its newline lost nothing: the record is read, and the next
    append still lands on its own line."""
    first, second = note_for(key, 1), note_for(key, 2)
    anchors.append(tmp_path, LOG_ID, first)
    path = anchors.anchor_path(tmp_path, LOG_ID)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert anchors.read(tmp_path, LOG_ID) == [first]
    anchors.append(tmp_path, LOG_ID, second)
    assert anchors.read(tmp_path, LOG_ID) == [first, second]


@pytest.mark.parametrize(
    "damage",
    [b"\x00" * 300 + b"\n", b"\xff\xfe not utf-8\n", b'{"other": 1}\n', b'{"note": 7}\n', b"[]\n"],
)
def test_damaged_lines_anywhere_never_break_reading(tmp_path, key, damage, caplog):
    """Zeroed blocks, bad UTF-8 or records of the wrong shape between good records are
    skipped with a warning naming the line; the good records on both sides survive."""
    first, second = note_for(key, 1), note_for(key, 2)
    anchors.append(tmp_path, LOG_ID, first)
    with anchors.anchor_path(tmp_path, LOG_ID).open("ab") as handle:
        handle.write(damage)
    anchors.append(tmp_path, LOG_ID, second)
    assert anchors.read(tmp_path, LOG_ID) == [first, second]
    assert "line 2 is torn or damaged" in caplog.text


def test_each_log_has_its_own_file_and_foreign_records_are_ignored(tmp_path, key, caplog):
    """Two databases' logs share a directory without mixing; a checkpoint of log B copied
    into log A's file is not read as one of A's."""
    anchors.append(tmp_path, "log-a", note_for(key, 1, "log-a"))
    anchors.append(tmp_path, "log-b", note_for(key, 7, "log-b"))
    foreign = anchors.anchor_path(tmp_path, "log-b").read_bytes()
    with anchors.anchor_path(tmp_path, "log-a").open("ab") as handle:
        handle.write(foreign)
    assert [
        parse_and_verify(n, key.public_key()).size for n in anchors.read(tmp_path, "log-a")
    ] == [1]
    assert "belongs to another log (perf-approvals/log-b)" in caplog.text
    assert len(anchors.read(tmp_path, "log-b")) == 1


def test_append_refuses_a_checkpoint_of_another_log(tmp_path, key):
    """Filing log B's checkpoint under log A is a bug caught at the door."""
    with pytest.raises(ValueError, match="不属于日志 log-a"):
        anchors.append(tmp_path, "log-a", note_for(key, 1, "log-b"))
    assert not anchors.anchor_path(tmp_path, "log-a").exists()


@pytest.mark.parametrize("log_id", ["../escape", "a/b", "", ".hidden"])
def test_log_ids_cannot_leave_the_directory(tmp_path, log_id):
    """A log id is a plain file name: no path separators, no hidden files."""
    with pytest.raises(ValueError, match="日志标识"):
        anchors.anchor_path(tmp_path, log_id)


def test_append_syncs_the_record_and_the_new_file_to_disk(tmp_path, key, monkeypatch):
    """The record is fsynced before append returns, and a new file's directory entry too."""
    synced = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        synced.append(os.path.realpath(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    anchors.append(tmp_path, LOG_ID, note_for(key, 1))
    path = str(anchors.anchor_path(tmp_path, LOG_ID))
    assert synced == [path, str(tmp_path)]
    synced.clear()
    anchors.append(tmp_path, LOG_ID, note_for(key, 2))
    assert synced == [path]


APPENDER = """
import sys
from datetime import UTC, datetime
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from audit import anchors
from audit.signing import sign_checkpoint
key = Ed25519PrivateKey.generate()
for size in range(int(sys.argv[2])):
    note = sign_checkpoint(origin="perf-approvals/log-a", size=size, root=bytes(32),
                           at=datetime.now(UTC), private_key=key, key_name=sys.argv[3])
    anchors.append(sys.argv[1], "log-a", note)
"""


def test_concurrent_appenders_never_interleave_records(tmp_path):
    """Four processes appending 100 checkpoints each at once leave 400 whole records."""
    root = os.path.dirname(os.path.dirname(anchors.__file__))
    environment = {**os.environ, "PYTHONPATH": root}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(tmp_path), "100", f"writer-{n}"],
            env=environment,
            stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, errors
    notes = anchors.read(tmp_path, LOG_ID)
    assert len(notes) == 400
    for n in range(4):
        sizes = [note.split("\n")[1] for note in notes if f"— writer-{n} " in note]
        assert sizes == [str(size) for size in range(100)]


# --- witness ---------------------------------------------------------------------------------


class Witness:
    """A real HTTP server on a free port that records what it is sent."""

    def __init__(self, status=200, delay=0.0, location=None):
        self.received = []
        witness = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                witness.received.append(("POST", self.path, self.headers["Content-Type"], body))
                time.sleep(delay)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def do_GET(self):
                witness.received.append(("GET", self.path, None, b""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/add-checkpoint"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_the_witness_receives_the_note_as_utf8_text(key):
    """The note is POSTed verbatim as text/plain; charset=utf-8."""
    note = note_for(key, 3)
    with Witness() as witness:
        assert anchors.send_to_witness(witness.url, note, timeout=5) is True
    assert witness.received == [
        ("POST", "/add-checkpoint", "text/plain; charset=utf-8", note.encode("utf-8"))
    ]


def test_a_witness_that_refuses_is_logged_not_raised(key, caplog):
    """An HTTP error answer returns False and leaves a warning naming the witness."""
    with Witness(status=503) as witness:
        assert anchors.send_to_witness(witness.url, note_for(key, 3), timeout=5) is False
    assert f"audit witness {witness.url} did not take the checkpoint" in caplog.text
    assert "503" in caplog.text


def test_a_redirect_is_a_failure_not_a_silent_get(key, caplog):
    """urllib would follow a 302 with a GET that drops the note; that must not count."""
    with Witness(status=302, location="/elsewhere") as witness:
        assert anchors.send_to_witness(witness.url, note_for(key, 3), timeout=5) is False
    assert [method for method, *_ in witness.received] == ["POST"]
    assert "302" in caplog.text


def test_an_unreachable_witness_is_logged_not_raised(key, caplog):
    """Nobody listening on the port: False and a warning."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/add-checkpoint"
    assert anchors.send_to_witness(url, note_for(key, 3), timeout=5) is False
    assert f"audit witness {url} did not take the checkpoint" in caplog.text


def test_a_slow_witness_gives_up_at_the_timeout(key, caplog):
    """A witness that hangs costs the timeout, not the checkpoint."""
    with Witness(delay=3) as witness:
        started = time.monotonic()
        assert anchors.send_to_witness(witness.url, note_for(key, 3), timeout=0.5) is False
        assert time.monotonic() - started < 2.5
    assert "timed out" in caplog.text


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://witness.example/", "witness"])
def test_only_http_witnesses_are_contacted(key, url, caplog):
    """A file:// or schemeless URL in the settings is refused, not opened."""
    assert anchors.send_to_witness(url, note_for(key, 3), timeout=1) is False
    assert "is not http(s)" in caplog.text
