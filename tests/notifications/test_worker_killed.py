"""A worker killed with SIGKILL while it sends an e-mail loses nothing and sends nothing twice:
the delivery row stays pending (its transaction died with the worker), the delivery sweep sends
it once, and the Celery message, handed out again after the visibility timeout, sends nothing
more.

A real `celery -A config worker` subprocess (prefork, as in production) talks to a Redis of the
test's own and to the test database, and sends to a real SMTP server that holds the first
message unanswered, so the worker is caught in the middle of a delivery."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connection

from notifications.models import Delivery
from review.services import declaration_submit
from tests.notifications.helpers import NY_MOVE, email_deliveries, seed, user, wait_for
from tests.servers import Inbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


class HoldFirstMessage(Inbox):
    """Leaves the first message's DATA unanswered until released, then refuses it (its sender
    is gone by then); accepts every later message."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._first = True

    async def handle_DATA(self, server, session, envelope):
        if self._first:
            self._first = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """`celery -A config worker` in a process group of its own, logging to a file."""

    def __init__(self, tmp_path: Path, name: str, env: dict):
        self.log = tmp_path / f"{name}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                f"--hostname={name}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def kill(self, sig=signal.SIGKILL) -> None:
        """Send the signal to the worker and its pool processes, and wait for it to end."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


@pytest.fixture
def workers(tmp_path):
    """workers(name, **env) starts a worker; any still running is killed after the test."""
    started = []

    def start(name: str, **env) -> Worker:
        worker = Worker(tmp_path, name, env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def test_worker_killed_while_sending_loses_nothing_and_sends_once(
    demo, broker, own_redis, smtp_server, smtp_port, workers
):
    """The worker takes ny_head's new-task e-mail and is killed with SIGKILL while the SMTP
    server holds it: nothing was accepted, the delivery is still pending with no attempt
    counted, and its Celery message waits unacknowledged in Redis. The delivery sweep then sends
    it: ny_head gets exactly one e-mail. A second worker, whose visibility timeout has passed,
    gets the old message again and runs it: it finds the delivery sent and sends nothing."""
    broker_redis = own_redis()
    broker(broker_redis.url())
    inbox = smtp_server(HoldFirstMessage())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_redis.url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "60",
    }
    first = workers("first", **env)

    declaration_submit(actor=user("ny_preparer"), declaration_id=seed(NY_MOVE).pk)
    assert inbox.holding.wait(timeout=60), first.output()
    first.kill(signal.SIGKILL)
    inbox.release.set()

    (delivery,) = email_deliveries()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
    assert inbox.messages == []
    assert redis.Redis.from_url(broker_redis.url()).hlen("unacked") == 1

    def sweep_sent() -> bool:
        out = StringIO()
        call_command("deliver_notifications", stdout=out)
        return "'sent': 1" in out.getvalue()

    assert wait_for(sweep_sent, timeout=10)  # once the dead worker's row lock is released
    assert inbox.recipients() == ["ny_head@example.gov.cn"]

    # kombu looks for abandoned messages every 10 × 10 s by default: every second here.
    second = workers(
        "second",
        **env,
        CELERY_VISIBILITY_TIMEOUT="1",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
    )
    assert wait_for(lambda: "succeeded" in second.output(), timeout=60), second.output()
    assert "notifications.deliver_email" in second.output()
    assert "'sent'" in second.output()
    second.kill(signal.SIGTERM)
    assert inbox.recipients() == ["ny_head@example.gov.cn"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
