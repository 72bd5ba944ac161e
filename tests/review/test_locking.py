"""Every change goes through a service that locks the declaration row (SELECT … FOR UPDATE on
PostgreSQL) before it writes anything."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from declarations.content import content_of
from declarations.models import Stage
from review import drafts as services
from review import services as review
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, seed, submit, user

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
LOCK = re.compile(r'FROM "approvals_declaration".*FOR UPDATE', re.IGNORECASE | re.DOTALL)


def _submit(ctx):
    review.declaration_submit(actor=user(EZ.preparer), declaration_id=ctx["declaration"].pk)


def _edit(ctx):
    content = content_of(ctx["declaration"])
    content.fields["remarks"] = "改"
    services.declaration_save(
        actor=user(EZ.preparer), declaration_id=ctx["declaration"].pk, content=content
    )


def _attach(ctx):
    services.attachment_add(
        actor=user(EZ.preparer),
        declaration_id=ctx["declaration"].pk,
        upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    )


SERVICES = {
    "submit": (None, _submit),
    "edit": (None, _edit),
    "attach": (None, _attach),
    "withdraw": (
        "submitted",
        lambda c: review.declaration_withdraw(
            actor=user(EZ.preparer), declaration_id=c["declaration"].pk
        ),
    ),
    "comment": (
        None,
        lambda c: review.declaration_comment(
            actor=user(EZ.preparer), declaration_id=c["declaration"].pk, text="说明"
        ),
    ),
    "claim": (
        Stage.DEPARTMENT,
        lambda c: review.task_claim(actor=user("ez_dept"), task_id=c["task"].pk),
    ),
    "release": (
        "claimed",
        lambda c: review.task_release(actor=user("ez_dept"), task_id=c["task"].pk),
    ),
    "approve": (
        Stage.DEPARTMENT,
        lambda c: review.task_approve(actor=user("ez_dept"), task_id=c["task"].pk),
    ),
    "return": (
        Stage.DEPARTMENT,
        lambda c: review.task_return(actor=user("ez_dept"), task_id=c["task"].pk, opinion="改"),
    ),
    "reject": (
        Stage.DEPARTMENT,
        lambda c: review.task_reject(actor=user("ez_dept"), task_id=c["task"].pk, opinion="否"),
    ),
    "reassign": (
        Stage.DEPARTMENT,
        lambda c: review.task_reassign(
            actor=user("admin"), task_id=c["task"].pk, to_user_id=user("ez_dept2").pk, reason="r"
        ),
    ),
    "hand_over": (
        "claimed",
        lambda c: review.task_hand_over(
            actor=user("ez_dept"), task_id=c["task"].pk, to_user_id=user("ez_dept2").pk, reason="r"
        ),
    ),
}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_locks_the_declaration_before_writing(demo, second_dept, settings, tmp_path, name):
    """The service's first statement touching the declaration's state is a SELECT … FOR UPDATE
    of the declaration row; no INSERT/UPDATE/DELETE comes before it."""
    settings.MEDIA_ROOT = str(tmp_path)
    state, call = SERVICES[name]
    declaration = seed(EZ_PROJECT)
    ctx = {"declaration": declaration}
    if state == "submitted":
        submit(declaration)
    elif state is not None:
        ctx["task"] = advance_to(declaration, Stage.DEPARTMENT)
        if state == "claimed":
            review.task_claim(actor=user("ez_dept"), task_id=ctx["task"].pk)

    with CaptureQueriesContext(connection) as queries:
        call(ctx)
    statements = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, sql in enumerate(statements) if LOCK.search(sql)]
    writes = [i for i, sql in enumerate(statements) if WRITE.match(sql)]
    assert locks, f"{name} never locked the declaration row"
    assert writes, f"{name} wrote nothing?"
    assert locks[0] < writes[0], statements[: writes[0] + 1]
