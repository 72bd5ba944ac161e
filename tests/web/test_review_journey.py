"""Journeys through the web pages: each seed declaration goes from draft to approved,
collecting five stamps (submission and four review stages) that the printed form shows;
a return, an edit on the edit page and a resubmission change the digest, and the printed
form marks the older stamps."""

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from review import services as review
from review.models import ReviewProcess, ReviewTask
from tests.html import form_fields, post_data
from tests.review.helpers import (
    NY_MOVE,
    REVIEW_STAGES,
    SEED_NAMES,
    STALE_MARK,
    advance_to,
    approve,
    cn_date,
    fresh,
    login,
    open_task,
    open_tasks,
    opinion_cell,
    page_text,
    people_of,
    seed,
    task_ids_on_page,
    user,
)

OPINIONS = {
    Stage.UNIT_HEAD: "同意申报，单位负责人已审阅",
    Stage.DEPARTMENT: "同意，符合主管部门要求",
    Stage.FINANCE: "同意，资金来源清楚",
    Stage.PERFORMANCE: "同意，绩效目标合理可行",
}


def _task_from_inbox(client, declaration) -> int:
    """The reviewer finds the declaration's task in their task list, as a person would."""
    response = client.get("/tasks/", {"q": declaration.name})
    assert response.status_code == 200
    ids = task_ids_on_page(page_text(response))
    assert len(ids) == 1, f"expected one task for {declaration.name} in the list, got {ids}"
    return ids.pop()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_declaration_goes_from_draft_to_approved_with_five_stamps(client, demo, name):
    """Submitted by the preparer and approved by the unit head, the competent department, the
    finance business section and performance supervision, each seed declaration ends approved,
    with one stamp per stage (submission + 4), each signed, sealed and binding the content."""
    declaration = seed(name)
    people = people_of(declaration)
    assert declaration.status == DeclarationStatus.DRAFT

    login(client, people.preparer)
    response = client.post(f"/declarations/{declaration.pk}/submit/")
    assert response.status_code == 302
    assert response["Location"] == f"/declarations/{declaration.pk}/"
    declaration = fresh(declaration)
    assert (declaration.status, declaration.stage) == (DeclarationStatus.SUBMITTED, "unit_head")

    for stage in REVIEW_STAGES:
        reviewer = people.reviewers[stage]
        # One candidate per stage in the demo: the task goes straight into their inbox.
        task = open_task(declaration)
        assert (task.stage, task.status, task.owner.username) == (
            stage,
            STATUS.ASSIGNED,
            reviewer,
        )
        login(client, reviewer)
        task_id = _task_from_inbox(client, declaration)
        assert task_id == task.pk
        detail = client.get(f"/tasks/{task_id}/")
        assert detail.status_code == 200
        assert "同意并盖章" in page_text(detail)
        response = client.post(f"/tasks/{task_id}/approve/", {"opinion": OPINIONS[stage]})
        assert response.status_code == 302
        assert response["Location"] == "/tasks/"
        assert ReviewTask.objects.get(pk=task_id).status == STATUS.DONE
        declaration = fresh(declaration)

    assert declaration.status == DeclarationStatus.APPROVED
    assert declaration.stage == ""
    assert open_tasks(declaration) == []
    process = ReviewProcess.objects.get(declaration=declaration)
    assert process.status == PROCESS.DONE

    stamps = list(declaration.stamps.order_by("stamped_at", "pk"))
    assert [s.stage for s in stamps] == [Stage.SUBMISSION, *REVIEW_STAGES]
    digest = content_digest(declaration)
    for stamp in stamps:
        assert stamp.round == 1
        assert stamp.digest == digest
        assert stamp.seal == people.seals[stamp.stage]
        signer = (
            people.preparer if stamp.stage == Stage.SUBMISSION else people.reviewers[stamp.stage]
        )
        assert stamp.signer.username == signer
        if stamp.stage != Stage.SUBMISSION:
            assert stamp.opinion == OPINIONS[stamp.stage]

    events = AuditEvent.objects.filter(declaration=declaration, result=AuditResult.OK)
    assert list(
        events.filter(action__in=[AuditAction.SUBMIT, AuditAction.APPROVE])
        .order_by("pk")
        .values_list("action", "stage", "actor__username")
    ) == [
        (AuditAction.SUBMIT, Stage.SUBMISSION, people.preparer),
        *[(AuditAction.APPROVE, stage, people.reviewers[stage]) for stage in REVIEW_STAGES],
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", SEED_NAMES)
def test_printed_form_shows_four_opinions_seals_and_dates(client, demo, name):
    """The printed form of an approved declaration shows each stage's opinion, signer, seal and
    date (2026年11月22日 style, local date), the unit's seal with the submission date, and no
    stamp marked as not matching the current content."""
    declaration = seed(name)
    people = people_of(declaration)
    login(client, people.preparer)
    client.post(f"/declarations/{declaration.pk}/submit/")
    for stage in REVIEW_STAGES:
        login(client, people.reviewers[stage])
        task = open_task(declaration)
        client.post(f"/tasks/{task.pk}/approve/", {"opinion": OPINIONS[stage]})
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.APPROVED

    login(client, people.preparer)
    response = client.get(f"/declarations/{declaration.pk}/print/")
    assert response.status_code == 200
    html = page_text(response)
    stamps = {s.stage: s for s in declaration.stamps.all()}
    for stage in REVIEW_STAGES:
        stamp = stamps[stage]
        cell = opinion_cell(html, stage)
        assert f"审核意见： {OPINIONS[stage]}" in cell or f"审核意见：{OPINIONS[stage]}" in cell
        assert stamp.signer_name in cell
        assert f"{people.seals[stage]}（盖章）" in cell
        assert cn_date(stamp.stamped_at) in cell
        assert STALE_MARK not in cell
    submission = stamps[Stage.SUBMISSION]
    assert f"填报单位（盖章）：{people.unit}" in html
    assert cn_date(submission.stamped_at) in html
    assert STALE_MARK not in html
    assert "状态：已通过" in html


@pytest.mark.django_db
def test_edit_after_return_changes_the_digest_and_marks_older_stamps(client, demo):
    """An edit between return and resubmission changes the content digest: the new stamps carry
    a different digest and match the content; the returned round's stamps leave the printed form
    and stay in the history."""
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
    # The department stamped the returned round: that stamp no longer stands on the form (the
    # department stamps round 2 itself); it stays in the history.
    assert old[Stage.DEPARTMENT].digest not in html

    history = page_text(client.get(f"/declarations/{declaration.pk}/history/"))
    assert old_digest in history
    assert new_digest in history
