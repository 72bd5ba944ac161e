"""Return for revision, resubmission, rejection, withdrawal, reassignment and hand-over."""

import re

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from organisations.models import Jurisdiction
from review import errors
from review import services as review
from review.models import ReviewProcess, ReviewTask
from review.permissions import NotAllowed
from tests.html import form_fields, post_data
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    REVIEW_STAGES,
    STALE_MARK,
    advance_to,
    approve,
    approve_to_end,
    fresh,
    last_event_pk,
    login,
    open_task,
    open_tasks,
    opinion_cell,
    page_text,
    people_of,
    seed,
    submit,
    user,
)

PREVIOUS = {
    Stage.DEPARTMENT: Stage.UNIT_HEAD,
    Stage.FINANCE: Stage.DEPARTMENT,
    Stage.PERFORMANCE: Stage.FINANCE,
}


def _history_stamp_rows(html: str) -> list[tuple[int, str]]:
    """(round, stage label) of each row of the history page's stamp table."""
    return [
        (int(r), label)
        for r, label in re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", html, flags=re.S)
    ]


# --- Return to the preparer and resubmit ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("stage", REVIEW_STAGES)
def test_return_to_preparer_then_resubmission_goes_through_all_stages_again(client, demo, stage):
    """Returned (退回修改) to the preparer at any stage, the declaration becomes editable with no
    open task; resubmitted, it starts round 2 at the unit head and can be approved to the end.
    Stamps, the history page and the audit log show both rounds."""
    declaration = seed(NY_MOVE)
    people = people_of(declaration)
    task = advance_to(declaration, stage)

    login(client, people.reviewers[stage])
    response = client.post(
        f"/tasks/{task.pk}/return/", {"opinion": "请补充资金测算依据", "to": "preparer"}
    )
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.RETURNED
    assert declaration.stage == ""
    assert declaration.returned_from_stage == stage
    assert declaration.is_editable
    assert open_tasks(declaration) == []
    assert ReviewTask.objects.get(pk=task.pk).status == STATUS.DONE
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.RETURN)
    assert (event.stage, event.opinion, event.result) == (stage, "请补充资金测算依据", "ok")

    login(client, people.preparer)
    assert client.get(f"/declarations/{declaration.pk}/edit/").status_code == 200
    response = client.post(f"/declarations/{declaration.pk}/submit/")
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.review_round == 2
    assert declaration.stage == Stage.UNIT_HEAD
    assert ReviewProcess.objects.filter(declaration=declaration).count() == 2

    declaration = approve_to_end(declaration)
    assert declaration.status == DeclarationStatus.APPROVED

    stamps = list(declaration.stamps.values_list("round", "stage"))
    round1 = [Stage.SUBMISSION, *REVIEW_STAGES[: REVIEW_STAGES.index(stage)]]
    assert [s for r, s in stamps if r == 1] == round1
    assert [s for r, s in stamps if r == 2] == [Stage.SUBMISSION, *REVIEW_STAGES]

    submits = AuditEvent.objects.filter(declaration=declaration, action=AuditAction.SUBMIT)
    assert [e.details["round"] for e in submits.order_by("pk")] == [1, 2]
    assert [e.details["entry_stage"] for e in submits.order_by("pk")] == ["unit_head"] * 2

    response = client.get(f"/declarations/{declaration.pk}/history/")
    assert response.status_code == 200
    html = page_text(response)
    rows = _history_stamp_rows(html)
    assert {r for r, _ in rows} == {1, 2}
    assert len(rows) == len(stamps)
    assert html.count("<td>提交</td>") == 2
    assert "退回修改" in html
    assert "请补充资金测算依据" in html


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_require_an_opinion(client, demo, action):
    """退回修改 and 不予通过 need an opinion: without one nothing changes and nothing is audited."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    service = review.task_return if action == "return" else review.task_reject
    with pytest.raises(errors.OpinionRequired):
        service(actor=user(EZ.reviewers[Stage.DEPARTMENT]), task_id=task.pk, opinion="  ")

    login(client, EZ.reviewers[Stage.DEPARTMENT])
    response = client.post(
        f"/tasks/{task.pk}/{action}/", {"opinion": ""}, HTTP_REFERER=f"/tasks/{task.pk}/"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    declaration = fresh(declaration)
    assert (declaration.status, declaration.stage) == ("submitted", Stage.DEPARTMENT)
    assert ReviewTask.objects.get(pk=task.pk).status in ("NEW", "ASSIGNED")
    assert not AuditEvent.objects.filter(pk__gt=before, result=AuditResult.OK).exists()


# --- Return to the previous stage -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.DEPARTMENT, Stage.FINANCE, Stage.PERFORMANCE])
def test_return_to_previous_stage(client, demo, stage):
    """退回上一环节 sends the declaration back to the stage before, still under review in the same
    round; once that stage approves again it comes back to the returning stage."""
    declaration = seed(NY_GRID)
    people = people_of(declaration)
    task = advance_to(declaration, stage)
    previous = PREVIOUS[stage]

    login(client, people.reviewers[stage])
    response = client.post(
        f"/tasks/{task.pk}/return/", {"opinion": "请上一环节重新核实", "to": "previous"}
    )
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.stage == previous
    assert declaration.review_round == 1
    assert not declaration.is_editable
    back = open_task(declaration)
    assert back.stage == previous
    assert back.owner.username == people.reviewers[previous]
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.RETURN)
    assert event.details["decision"] == "return_previous"
    assert event.details["next_stage"] == previous

    approve(declaration, opinion="已重新核实，同意")
    declaration = fresh(declaration)
    assert declaration.stage == stage
    approve_to_end(declaration)
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.APPROVED
    previous_stamps = declaration.stamps.filter(stage=previous).order_by("pk")
    assert [s.round for s in previous_stamps] == [1, 1]
    assert previous_stamps.last().opinion == "已重新核实，同意"


# --- resubmit_to_returning_stage ----------------------------------------------------------------


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


# --- Edits between return and resubmission change the digest ------------------------------------


@pytest.mark.django_db
def test_edit_after_return_changes_the_digest_and_marks_older_stamps(client, demo):
    """An edit between return and resubmission changes the content digest: the new stamps carry
    a different digest, and the printed form marks the older stamps as not matching
    (盖章时的内容与当前内容不同) while the new ones match."""
    declaration = seed(NY_MOVE)
    people = people_of(declaration)
    task = advance_to(declaration, Stage.FINANCE)
    old = {s.stage: s for s in declaration.stamps.all()}
    old_digest = content_digest(fresh(declaration))
    assert {s.digest for s in old.values()} == {old_digest}
    review.task_return(
        actor=user(people.reviewers[Stage.FINANCE]), task_id=task.pk, opinion="请补充说明"
    )

    # The preparer edits the remarks through the edit page and saves the draft.
    login(client, people.preparer)
    page = client.get(f"/declarations/{declaration.pk}/edit/")
    assert page.status_code == 200
    data = post_data(
        form_fields(page_text(page), "edit-form"),
        remarks="已按财政业务股室意见补充资金测算说明。",
        action="save",
    )
    response = client.post(f"/declarations/{declaration.pk}/edit/", data)
    assert response.status_code == 302, page_text(response)[:2000]
    declaration = fresh(declaration)
    assert declaration.remarks == "已按财政业务股室意见补充资金测算说明。"
    new_digest = content_digest(declaration)
    assert new_digest != old_digest

    response = client.post(f"/declarations/{declaration.pk}/submit/")
    assert response.status_code == 302
    approve(fresh(declaration), opinion="修改后同意")  # unit head, round 2

    declaration = fresh(declaration)
    submission2 = declaration.stamps.get(stage=Stage.SUBMISSION, round=2)
    head2 = declaration.stamps.get(stage=Stage.UNIT_HEAD, round=2)
    assert submission2.digest == head2.digest == new_digest
    assert old[Stage.SUBMISSION].digest != submission2.digest
    assert old[Stage.UNIT_HEAD].digest != head2.digest

    html = page_text(client.get(f"/declarations/{declaration.pk}/print/"))
    assert STALE_MARK not in opinion_cell(html, Stage.UNIT_HEAD)
    assert "修改后同意" in opinion_cell(html, Stage.UNIT_HEAD)
    department = opinion_cell(html, Stage.DEPARTMENT)
    assert STALE_MARK in department
    assert old[Stage.DEPARTMENT].digest in department

    history = page_text(client.get(f"/declarations/{declaration.pk}/history/"))
    assert old_digest in history
    assert new_digest in history


# --- Reject -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("stage", REVIEW_STAGES)
def test_reject_ends_the_review_as_rejected(client, demo, stage):
    """不予通过 ends the review: status rejected, no open task, the process finished, and the
    declaration can be neither edited nor resubmitted."""
    declaration = seed(NY_GRID)
    people = people_of(declaration)
    task = advance_to(declaration, stage)
    login(client, people.reviewers[stage])
    response = client.post(f"/tasks/{task.pk}/reject/", {"opinion": "项目不符合专项资金投向"})
    assert response.status_code == 302

    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.REJECTED
    assert declaration.stage == ""
    assert open_tasks(declaration) == []
    assert ReviewProcess.objects.get(declaration=declaration).status == PROCESS.DONE
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.REJECT)
    assert (event.stage, event.opinion, event.actor.username) == (
        stage,
        "项目不符合专项资金投向",
        people.reviewers[stage],
    )
    assert not declaration.stamps.filter(stage=stage).exists()

    with pytest.raises(NotAllowed):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    login(client, people.preparer)
    assert client.post(f"/declarations/{declaration.pk}/submit/").status_code == 403
    assert client.get(f"/declarations/{declaration.pk}/edit/").status_code == 403
    with pytest.raises(errors.AlreadyHandled):
        review.task_approve(actor=user(people.reviewers[stage]), task_id=task.pk)
    assert fresh(declaration).status == DeclarationStatus.REJECTED
    assert ReviewProcess.objects.filter(declaration=declaration).count() == 1


# --- Withdraw ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_withdraw_before_the_unit_head_acts(client, demo):
    """The submitter may withdraw (撤回) while the unit head has not acted: the task is cancelled
    and leaves the unit head's list, the draft is editable again and can be resubmitted."""
    declaration = submit(seed(EZ_PROJECT))
    task = open_task(declaration)
    login(client, EZ.preparer)
    response = client.post(f"/declarations/{declaration.pk}/withdraw/")
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.WITHDRAWN
    assert declaration.stage == ""
    assert declaration.is_editable
    assert open_tasks(declaration) == []
    assert ReviewTask.objects.get(pk=task.pk).status == STATUS.CANCELED
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.WITHDRAW)
    assert (event.actor.username, event.result, event.stage) == (EZ.preparer, "ok", "unit_head")

    login(client, EZ.reviewers[Stage.UNIT_HEAD])
    assert task.pk not in {
        int(pk) for pk in re.findall(r'href="/tasks/(\d+)/"', page_text(client.get("/tasks/")))
    }
    with pytest.raises(errors.AlreadyHandled):
        review.task_approve(actor=user(EZ.reviewers[Stage.UNIT_HEAD]), task_id=task.pk)
    assert not declaration.stamps.filter(stage=Stage.UNIT_HEAD).exists()

    declaration = submit(declaration)
    assert (declaration.status, declaration.review_round) == ("submitted", 2)
    assert open_task(declaration).stage == Stage.UNIT_HEAD


@pytest.mark.django_db
def test_withdraw_is_refused_once_the_unit_head_has_acted(client, demo):
    """After the unit head approved, withdrawing is refused and nothing changes."""
    declaration = seed(EZ_PROJECT)
    advance_to(declaration, Stage.DEPARTMENT)
    with pytest.raises(errors.AlreadyHandled):
        review.declaration_withdraw(actor=user(EZ.preparer), declaration_id=declaration.pk)
    login(client, EZ.preparer)
    response = client.post(
        f"/declarations/{declaration.pk}/withdraw/",
        HTTP_REFERER=f"/declarations/{declaration.pk}/",
    )
    assert response.status_code == 302
    declaration = fresh(declaration)
    assert (declaration.status, declaration.stage) == ("submitted", Stage.DEPARTMENT)
    assert open_task(declaration).stage == Stage.DEPARTMENT
    assert not AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.WITHDRAW, result=AuditResult.OK
    ).exists()


@pytest.mark.django_db
def test_only_the_submitter_may_withdraw(client, demo):
    """The unit head cannot withdraw a submission (403) and the refusal is audited."""
    declaration = submit(seed(EZ_PROJECT))
    login(client, EZ.reviewers[Stage.UNIT_HEAD])
    response = client.post(f"/declarations/{declaration.pk}/withdraw/")
    assert response.status_code == 403
    assert fresh(declaration).status == DeclarationStatus.SUBMITTED
    refused = AuditEvent.objects.get(declaration=declaration, action=AuditAction.WITHDRAW)
    assert (refused.result, refused.actor.username) == (AuditResult.REFUSED, "ez_head")


# --- Reassign (administrator) and hand over (reviewer) ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("claimed", [False, True])
def test_administrator_reassigns_a_task_with_a_reason(client, demo, second_dept, claimed):
    """An administrator reassigns (转交) a task to another reviewer of the stage; a reason is
    required; the move is audited with from and to, and the new holder can decide."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    assert (task.status, task.owner_id) == (STATUS.NEW, None)  # two candidates: shared queue
    if claimed:
        review.task_claim(actor=user("ez_dept"), task_id=task.pk)

    login(client, "admin")
    page = client.get(f"/tasks/{task.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/tasks/{task.pk}/reassign/",
        {"to_user": str(second_dept.pk), "reason": ""},
        HTTP_REFERER=f"/tasks/{task.pk}/",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == (user("ez_dept").pk if claimed else None)
    with pytest.raises(errors.OpinionRequired):
        review.task_reassign(
            actor=user("admin"), task_id=task.pk, to_user_id=second_dept.pk, reason=" "
        )

    response = client.post(
        f"/tasks/{task.pk}/reassign/", {"to_user": str(second_dept.pk), "reason": "原审核人出差"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == second_dept.pk
    assert task.status == STATUS.ASSIGNED
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.REASSIGN)
    assert event.result == AuditResult.OK
    assert event.actor.username == "admin"
    assert event.opinion == "原审核人出差"
    assert event.details["from"] == ("ez_dept" if claimed else "")
    assert event.details["to"] == "ez_dept2"
    assert event.details["task"] == task.pk

    if claimed:
        with pytest.raises(NotAllowed):
            review.task_approve(actor=user("ez_dept"), task_id=task.pk)
    review.task_approve(actor=user("ez_dept2"), task_id=task.pk)
    assert fresh(declaration).stage == Stage.FINANCE


@pytest.mark.django_db
def test_reassign_is_for_administrators_and_to_candidates_only(demo, second_dept):
    """A reviewer cannot use 转交, and an administrator cannot reassign to someone outside the
    stage; both refusals are audited and the task does not move."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    with pytest.raises(NotAllowed):
        review.task_reassign(
            actor=user("ez_dept"), task_id=task.pk, to_user_id=second_dept.pk, reason="x"
        )
    with pytest.raises(NotAllowed):
        review.task_reassign(
            actor=user("admin"), task_id=task.pk, to_user_id=user("ez_finance").pk, reason="x"
        )
    task.refresh_from_db()
    assert task.owner_id is None
    refused = AuditEvent.objects.filter(
        declaration=declaration, action=AuditAction.REASSIGN, result=AuditResult.REFUSED
    )
    assert sorted(refused.values_list("actor__username", flat=True)) == ["admin", "ez_dept"]


@pytest.mark.django_db
def test_reviewer_hands_over_own_task_to_a_colleague(client, demo, second_dept):
    """A reviewer hands their own (claimed) task to a colleague with the same role and scope;
    a reason is required; it is audited with from and to; afterwards only the colleague may
    decide."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ez_dept")
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"

    response = client.post(
        f"/tasks/{task.pk}/hand_over/",
        {"to_user": str(second_dept.pk), "reason": "  "},
        HTTP_REFERER=f"/tasks/{task.pk}/",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"
    assert not AuditEvent.objects.filter(action=AuditAction.HAND_OVER).exists()

    response = client.post(
        f"/tasks/{task.pk}/hand_over/", {"to_user": str(second_dept.pk), "reason": "休假"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner_id == second_dept.pk
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.HAND_OVER)
    assert (event.result, event.actor.username, event.opinion) == ("ok", "ez_dept", "休假")
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")
    assert event.role == "department_reviewer"
    assert event.organisation.name == EZ.department

    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 403
    review.task_approve(actor=user("ez_dept2"), task_id=task.pk, opinion="同意")
    stamp = fresh(declaration).stamps.get(stage=Stage.DEPARTMENT)
    assert stamp.signer.username == "ez_dept2"


@pytest.mark.django_db
def test_hand_over_only_own_task_and_only_to_same_role_and_scope(demo, second_dept):
    """One cannot hand over a task one does not hold, nor to someone of another role or another
    jurisdiction; the refusals are audited and the task stays where it was."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    with pytest.raises(NotAllowed):  # not the holder
        review.task_hand_over(
            actor=user("ez_dept2"), task_id=task.pk, to_user_id=second_dept.pk, reason="x"
        )
    for target in ("ez_finance", "ny_dept", "ez_head"):
        with pytest.raises(NotAllowed):
            review.task_hand_over(
                actor=user("ez_dept"), task_id=task.pk, to_user_id=user(target).pk, reason="x"
            )
    task.refresh_from_db()
    assert task.owner.username == "ez_dept"
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.HAND_OVER, result=AuditResult.REFUSED, declaration=declaration
        ).count()
        == 4
    )
