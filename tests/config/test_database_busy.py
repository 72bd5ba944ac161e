"""On PostgreSQL, a request that cannot get a declaration's row lock within
DATABASE_LOCK_TIMEOUT answers 503 with Retry-After and a Chinese message (JSON under /api/, a
page elsewhere), never a 500; nothing was changed, and the same request succeeds once the lock
is free."""

import threading
import time

import pytest
from django.db import connection, transaction

from declarations.models import Declaration
from review import engine, services
from tests.api.helpers import NY_GRID, NY_RELOCATION, PASSWORD, assert_chinese, token_client
from tests.pages import page_of
from tests.review.helpers import open_task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUSY = "系统繁忙：其他操作正在处理同一数据，您的请求未能完成，请 5 秒后重试。"


class LockHolder:
    """Holds a declaration's row lock in another connection (thread) until released."""

    def __init__(self):
        self.holding, self.released = threading.Event(), threading.Event()
        self.thread = None

    def hold(self, pk: int) -> None:
        def run():
            try:
                with transaction.atomic():
                    Declaration.objects.select_for_update().get(pk=pk)
                    self.holding.set()
                    self.released.wait(timeout=30)
            finally:
                connection.close()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.holding.wait(timeout=10)

    def release(self) -> None:
        self.released.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
            assert not self.thread.is_alive()


@pytest.fixture
def lock_holder(settings):
    settings.DATABASE_LOCK_TIMEOUT = 0.3
    holder = LockHolder()
    yield holder
    holder.release()


@pytest.fixture
def in_review(demo):
    """南岳's grid declaration submitted; its unit-head task is open."""
    declaration = Declaration.objects.get(name=NY_GRID)
    services.declaration_submit(actor=demo.user("ny_preparer"), declaration_id=declaration.pk)
    return declaration, open_task(declaration)


def _timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_an_api_approval_that_cannot_get_the_lock_is_a_503_with_retry_after(in_review, lock_holder):
    """The approval waits DATABASE_LOCK_TIMEOUT (0.3 s here), then answers 503 JSON in Chinese
    with Retry-After; the task is still open, and the same approval succeeds once the other
    transaction has ended."""
    declaration, task = in_review
    head = token_client("ny_head")
    head.raise_request_exception = False
    lock_holder.hold(declaration.pk)

    response, elapsed = _timed(lambda: head.post(f"/api/tasks/{task.pk}/approve/"))

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": BUSY}
    assert elapsed < 3, f"waited {elapsed:.1f}s, not the configured 0.3s"
    task.refresh_from_db()
    assert task.status in engine.OPEN_STATUSES

    lock_holder.release()
    assert head.post(f"/api/tasks/{task.pk}/approve/").status_code == 200
    assert Declaration.objects.get(pk=declaration.pk).stage == "department"


def test_a_draft_save_that_cannot_get_the_lock_is_a_503(demo, lock_holder):
    """Saving a draft through the API while its row is locked: 503 in Chinese, draft unchanged."""
    declaration = Declaration.objects.get(name=NY_RELOCATION)
    preparer = token_client("ny_preparer")
    preparer.raise_request_exception = False
    lock_holder.hold(declaration.pk)

    response = preparer.patch(
        f"/api/declarations/{declaration.pk}/", {"remarks": "改"}, format="json"
    )

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert_chinese(response.json()["detail"])
    assert Declaration.objects.get(pk=declaration.pk).version == declaration.version


def test_a_page_approval_that_cannot_get_the_lock_is_the_busy_page(client, in_review, lock_holder):
    """From the task page: a 503 page in Chinese that says to retry, with Retry-After."""
    declaration, task = in_review
    assert client.login(username="ny_head", password=PASSWORD)
    client.raise_request_exception = False
    lock_holder.hold(declaration.pk)

    response = client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = page_of(response)
    assert page.find("h1").text == "系统繁忙"
    assert BUSY in page.text
