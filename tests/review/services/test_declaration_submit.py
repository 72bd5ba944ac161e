"""declaration_submit: one submit event carrying the submitted content's digest; 保存并提交
submits a complete draft and refuses an incomplete one with the message in place; a
resubmission starts again at the unit head, or, when the jurisdiction says so, at the
stage that returned it."""

import pytest

from audit.models import AuditAction, AuditEvent
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from organisations.models import Jurisdiction, Role
from review import services as review
from tests.audit.helpers import assert_event, only_new_event
from tests.declarations.helpers import EZ_PROJECT, NY_GRID, change_content, edit_fields, post_edit
from tests.pages import field_messages, flash_messages
from tests.review.helpers import (
    EZ,
    REVIEW_STAGES,
    advance_to,
    approve_to_end,
    fresh,
    last_event_pk,
    open_task,
    seed,
    submit,
    user,
)


@pytest.mark.django_db
def test_submit_writes_one_submit_event(demo):
    """Submission: action submit at stage submission, the preparer of the unit, the digest of
    the submitted content (that of the submission stamp), round and entry stage."""
    declaration = seed(EZ_PROJECT)
    before = last_event_pk()
    declaration = submit(declaration)
    event = only_new_event(before)
    stamp = declaration.stamps.get(stage=Stage.SUBMISSION)
    assert_event(
        event,
        action=AuditAction.SUBMIT,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
        stage=Stage.SUBMISSION,
        digest=content_digest(declaration),
    )
    assert event.digest == stamp.digest
    assert event.details["round"] == 1
    assert event.details["entry_stage"] == Stage.UNIT_HEAD


@pytest.mark.django_db
@pytest.mark.parametrize("stage", REVIEW_STAGES)
def test_resubmit_goes_straight_back_to_the_returning_stage_when_configured(demo, stage):
    """With Jurisdiction.resubmit_to_returning_stage set, a resubmitted declaration skips the
    stages that already approved it and goes straight back to the stage that returned it."""
    declaration = seed(EZ_PROJECT)
    Jurisdiction.objects.filter(code="ezhou").update(resubmit_to_returning_stage=True)
    task = advance_to(declaration, stage)
    review.task_return(actor=user(EZ.reviewers[stage]), task_id=task.pk, opinion="请修改")
    declaration = submit(fresh(declaration))

    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.review_round == 2
    assert declaration.stage == stage
    resumed = open_task(declaration)
    assert resumed.stage == stage
    assert resumed.owner.username == EZ.reviewers[stage]
    submit_event = AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.SUBMIT
    ).latest("pk")
    assert submit_event.details["entry_stage"] == stage

    declaration = approve_to_end(declaration)
    assert declaration.status == DeclarationStatus.APPROVED
    round2 = list(declaration.stamps.filter(round=2).values_list("stage", flat=True))
    assert round2 == [Stage.SUBMISSION, *REVIEW_STAGES[REVIEW_STAGES.index(stage) :]]


@pytest.mark.django_db
def test_without_the_option_resubmission_starts_again_at_the_unit_head(demo):
    """By default (option not set) a declaration returned by performance supervision is reviewed
    again from the unit head."""
    declaration = seed(EZ_PROJECT)
    assert not Jurisdiction.objects.get(code="ezhou").resubmit_to_returning_stage
    task = advance_to(declaration, Stage.PERFORMANCE)
    review.task_return(actor=user(EZ.reviewers[Stage.PERFORMANCE]), task_id=task.pk, opinion="改")
    declaration = submit(fresh(declaration))
    assert declaration.stage == Stage.UNIT_HEAD


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "preparer"), [(EZ_PROJECT, "ez_preparer"), (NY_GRID, "ny_preparer")]
)
def test_a_complete_declaration_is_submitted(client, seeds, login, name, preparer):
    """'保存并提交' on a complete draft submits it: to the detail page, 审核中, at the unit head."""
    declaration = seeds[name]
    login(preparer)
    fields = edit_fields(client, declaration)

    response = post_edit(client, declaration, fields, action="submit")

    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{declaration.pk}/"
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.stage == "unit_head"
    assert "已提交，等待单位负责人审核。" in flash_messages(client.get(response["Location"]))


@pytest.mark.django_db
def test_the_submit_button_of_the_detail_page_refuses_an_incomplete_draft(
    client, ny_relocation, login
):
    """POST /submit/ on a draft that breaks a rule answers 400 with the message in place."""
    change_content(ny_relocation, lambda c: c.fields.update(contact_phone="12345"))
    login("ny_preparer")

    response = client.post(f"/declarations/{ny_relocation.pk}/submit/")

    assert response.status_code == 400
    assert field_messages(response, "contact_phone") == [
        "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。"
    ]
    ny_relocation.refresh_from_db()
    assert ny_relocation.status == DeclarationStatus.DRAFT
