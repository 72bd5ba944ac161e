"""The embedded default under concurrency: `manage.py runserver` (threaded) on a SQLite file, as
`make run` serves it, whatever database the rest of the suite uses.

Four simultaneous approvals of one task give one 200 and three 409s (they were one 200 and three
500s, "database is locked"); a write lock held longer than DATABASE_LOCK_TIMEOUT is a 503 with
Retry-After, never a 500.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.api.helpers import NY_GRID, NY_RELOCATION, PASSWORD, assert_chinese

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _embedded_env(database: Path, **extra) -> dict:
    """The environment of `make run`: local settings, a SQLite file, no broker, no Redis."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, MANAGE, *args], env=env, check=True, capture_output=True, timeout=300
    )


class Server:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str, body=None, token: str | None = None):
        """(status, headers, JSON body) of one request."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, response.headers, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            content_type = error.headers.get("Content-Type", "")
            parsed = json.loads(payload) if content_type.startswith("application/json") else None
            return error.code, error.headers, parsed

    def token(self, username: str) -> str:
        status, _, body = self.call(
            "POST", "/api/auth/token/", {"username": username, "password": PASSWORD}
        )
        assert status == 200, (status, body)
        return body["token"]


@contextmanager
def running_server(env: dict):
    """`manage.py runserver --noreload` on a free port, until the block ends."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = Server(port)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{server.base}/accounts/login/", timeout=2)  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not answer within 60 s"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """A migrated SQLite file holding the demo data, as `make run` leaves it."""
    path = tmp_path_factory.mktemp("embedded") / "db.sqlite3"
    env = _embedded_env(path, MEDIA_ROOT=str(path.parent / "media"))
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_demo")
    return path


def _declaration_id(server: Server, name: str, token: str) -> int:
    _, _, listing = server.call("GET", f"/api/declarations/?search={quote(name)}", token=token)
    [declaration] = listing["results"]
    return declaration["id"]


def _submit_grid(server: Server) -> int:
    """Submit 南岳's grid declaration as its preparer; the id of the unit head's task."""
    preparer, head = server.token("ny_preparer"), server.token("ny_head")
    declaration = _declaration_id(server, NY_GRID, preparer)
    status, _, body = server.call(
        "POST", f"/api/declarations/{declaration}/submit/", token=preparer
    )
    assert status == 200, body
    _, _, tasks = server.call("GET", "/api/tasks/", token=head)
    return next(t["id"] for t in tasks["results"] if t["declaration"] == declaration)


def test_four_simultaneous_approvals_give_one_success_and_three_conflicts(database):
    """The unit head's approval sent four times at once (four tabs, a double tap twice): one
    200, three 409s saying the task was already handled; one stamp, and the declaration moves
    on to the competent department."""
    with running_server(_embedded_env(database)) as server:
        task = _submit_grid(server)
        token = server.token("ny_head")
        barrier = threading.Barrier(4)
        results = []

        def approve():
            barrier.wait(timeout=10)
            results.append(
                server.call("POST", f"/api/tasks/{task}/approve/", {"opinion": "同意"}, token)
            )

        threads = [threading.Thread(target=approve) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert sorted(status for status, _, _ in results) == [200, 409, 409, 409], [
            (status, body) for status, _, body in results
        ]
        for status, _, body in results:
            if status == 409:
                assert "已被处理" in body["detail"]
        _, _, done = server.call("GET", f"/api/tasks/{task}/", token=token)
        declaration = done["declaration"]
        _, _, detail = server.call(
            "GET", f"/api/declarations/{declaration}/", token=server.token("ny_preparer")
        )
        assert detail["stage"] == "department"
        assert [s["stage"] for s in detail["stamps"]].count("unit_head") == 1


def test_a_write_lock_held_too_long_is_a_503_with_retry_after(database):
    """While another process holds SQLite's write lock beyond DATABASE_LOCK_TIMEOUT (1 s here),
    saving a draft answers 503 in Chinese with Retry-After; once the lock is free it succeeds."""
    env = _embedded_env(database, DATABASE_LOCK_TIMEOUT="1")
    with running_server(env) as server:
        token = server.token("ny_preparer")
        declaration = _declaration_id(server, NY_RELOCATION, token)
        patch = f"/api/declarations/{declaration}/"
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            start = time.monotonic()
            status, headers, body = server.call("PATCH", patch, {"remarks": "忙时修改"}, token)
            elapsed = time.monotonic() - start
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        assert status == 503, (status, body)
        assert headers["Retry-After"] == "5"
        assert_chinese(body["detail"])
        assert elapsed < 10, f"waited {elapsed:.1f}s"
        status, _, body = server.call("PATCH", patch, {"remarks": "空闲时修改"}, token)
        assert (status, body["remarks"]) == (200, "空闲时修改")
