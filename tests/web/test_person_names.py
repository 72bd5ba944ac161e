"""A Chinese name set as given name 财二 and family name 李 reads 李财二 wherever it shows:
the greeting, the task's 办理人, the stamp's 签署人 on the printed form, the Excel sheets and
the audit log."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from review import services as review
from tests.pages import page_of, visible_text
from tests.review.helpers import EZ_PROJECT, open_task, seed, submit, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def li(demo):
    head = user("ez_head")
    head.first_name, head.last_name = "财二", "李"
    head.save()
    return head


def _text(response) -> str:
    assert response.status_code == 200
    return visible_text(page_of(response))


def test_chinese_names_read_family_name_first(web, li):
    declaration = submit(seed(EZ_PROJECT))
    task = open_task(declaration)
    review.task_claim(actor=user("ez_head"), task_id=task.pk)
    client = web("ez_head")

    assert "欢迎，李财二" in _text(client.get("/"))
    assert "办理人：李财二" in _text(client.get(f"/tasks/{task.pk}/"))

    review.task_approve(actor=user("ez_head"), task_id=task.pk, opinion="同意")
    printed = _text(client.get(f"/declarations/{declaration.pk}/print/"))
    assert "签署人：李财二" in printed
    assert "财二 李" not in printed

    response = client.get(f"/declarations/{declaration.pk}/export.xlsx")
    book = load_workbook(BytesIO(response.content))
    cells = [str(c) for row in book["审核意见"].iter_rows(values_only=True) for c in row if c]
    assert "李财二" in cells

    log = _text(web("auditor").get("/audit/", {"declaration": declaration.pk}))
    assert "李财二" in log
    assert "财二 李" not in log
