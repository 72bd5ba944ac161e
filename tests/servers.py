"""Servers that outage tests start and stop themselves, each on a free port of its own: Redis
(redis-server as a subprocess, never the shared one) and SMTP (aiosmtpd in a thread)."""

import email
import shutil
import socket
import subprocess
import time
from email import policy

import redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (the OS picked it a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server_available() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    """A throw-away redis-server on 127.0.0.1:<port>, without persistence."""

    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Stop the server (only this one, by its own process)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class Inbox:
    """An aiosmtpd handler that keeps what it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        """Every accepted message's recipients, one entry per message and address."""
        return sorted(rcpt for rcpt_tos, _ in self.messages for rcpt in rcpt_tos)


class Blackhole:
    """A port on 127.0.0.1 that drops connection attempts, as a firewall or a lost host does:
    a listening socket whose accept queue is full, so the kernel ignores further SYNs."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(filler)
        time.sleep(0.1)

    def drops_connections(self) -> bool:
        """True when a connection attempt gets no answer at all (it times out)."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.3)
            try:
                probe.connect(("127.0.0.1", self.port))
            except TimeoutError:
                return True
            except OSError:
                return False
            return False

    def close(self) -> None:
        """Free the port (a server may be started on it afterwards)."""
        for sock in [*self.fillers, self.listener]:
            sock.close()
