"""Links in notices point at the site as the request that caused them reached it (any host and
port the site is served on); without a request (the deadline sweep) they use SITE_URL."""

import pytest
from django.core import mail
from django.test import Client

from notifications.sweeps import sweep_deadlines
from tests.declarations.helpers import PASSWORD
from tests.notifications.helpers import NY_MOVE, notifications, seed

pytestmark = pytest.mark.django_db


def _client(username: str, host: str) -> Client:
    client = Client(HTTP_HOST=host)
    assert client.login(username=username, password=PASSWORD)
    return client


def test_a_notice_links_to_the_host_and_port_the_change_was_made_on(
    demo, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    declaration = seed(NY_MOVE)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client("ny_preparer", "127.0.0.1:8123").post(
            f"/declarations/{declaration.pk}/submit/"
        )
    assert response.status_code == 302
    (notice,) = notifications("ny_head", "task_created")
    link = f"http://127.0.0.1:8123{notice.url}"
    assert link in notice.body
    (message,) = mail.outbox
    assert link in message.body
    assert ":8000" not in message.body


def test_a_notice_from_the_api_links_to_the_api_request_host(demo, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    declaration = seed(NY_MOVE)
    client = _client("ny_preparer", "localhost:9001")
    assert client.post(f"/api/declarations/{declaration.pk}/submit/").status_code == 200
    (notice,) = notifications("ny_head", "task_created")
    assert f"http://localhost:9001{notice.url}" in notice.body


def test_a_notice_without_a_request_links_to_site_url(flow, settings, time_machine):
    """The deadline sweep runs in a worker or cron: its reminders use SITE_URL."""
    settings.SITE_URL = "https://jx.example.gov.cn"
    task = flow.submit(seed(NY_MOVE))
    time_machine.move_to(task.remind_at)
    sweep_deadlines()
    (notice,) = notifications("ny_head", "reminder")
    assert f"https://jx.example.gov.cn/tasks/{task.pk}/" in notice.body
