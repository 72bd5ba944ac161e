"""The happy path: each seed declaration goes from draft to approved through the web pages,
collecting five stamps (submission and four review stages) that the printed form shows."""

from datetime import UTC, datetime

import pytest
import time_machine
from viewflow.workflow.status import PROCESS, STATUS

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from review import errors
from review import services as review
from review.models import ReviewProcess, ReviewTask
from review.permissions import NotAllowed
from tests.review.helpers import (
    REVIEW_STAGES,
    SEED_NAMES,
    STALE_MARK,
    approve_to_end,
    cn_date,
    fresh,
    login,
    open_task,
    open_tasks,
    opinion_cell,
    page_text,
    people_of,
    seed,
    submit,
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
def test_approve_without_opinion_stamps_the_default_opinion(client, demo):
    """Approving with an empty opinion records 同意 on the stamp, the audit event and the form."""
    declaration = seed(SEED_NAMES[0])
    people = people_of(declaration)
    login(client, people.preparer)
    client.post(f"/declarations/{declaration.pk}/submit/")
    login(client, people.reviewers[Stage.UNIT_HEAD])
    task = open_task(declaration)
    response = client.post(f"/tasks/{task.pk}/approve/", {"opinion": "   "})
    assert response.status_code == 302
    stamp = declaration.stamps.get(stage=Stage.UNIT_HEAD)
    assert stamp.opinion == "同意"
    event = AuditEvent.objects.get(declaration=declaration, action=AuditAction.APPROVE)
    assert event.opinion == "同意"
    html = page_text(client.get(f"/declarations/{declaration.pk}/print/"))
    assert "同意" in opinion_cell(html, Stage.UNIT_HEAD)


@pytest.mark.django_db
def test_every_stage_task_goes_to_the_right_reviewer_and_no_one_else(demo):
    """At each stage exactly one open task exists, for the stage's role in the organisation that
    reviews this declaration; the previous task is done."""
    declaration = seed(SEED_NAMES[1])
    people = people_of(declaration)
    review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    expected_org = {
        Stage.UNIT_HEAD: people.unit,
        Stage.DEPARTMENT: people.department,
        Stage.FINANCE: people.finance,
        Stage.PERFORMANCE: people.performance,
    }
    for stage in REVIEW_STAGES:
        tasks = open_tasks(declaration)
        assert len(tasks) == 1
        task = tasks[0]
        assert task.stage == stage
        assert task.candidate_organisation.name == expected_org[stage]
        assert task.owner.username == people.reviewers[stage]
        assert task.due_at is not None
        assert task.due_at > task.created
        review.task_approve(actor=user(people.reviewers[stage]), task_id=task.pk)
        assert ReviewTask.objects.get(pk=task.pk).status == STATUS.DONE
    assert open_tasks(declaration) == []


@pytest.mark.django_db
def test_approved_declaration_is_locked_for_everyone(client, demo):
    """Once approved nothing can change it: no edit, no resubmission, no withdrawal, and the
    finished tasks cannot be decided again."""
    declaration = seed(SEED_NAMES[0])
    people = people_of(declaration)
    declaration = approve_to_end(submit(declaration))
    assert declaration.status == DeclarationStatus.APPROVED
    last = ReviewTask.objects.filter(declaration=declaration, stage=Stage.PERFORMANCE).get()

    with pytest.raises(NotAllowed):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
    with pytest.raises(errors.AlreadyHandled) as handled:
        review.task_approve(actor=user(people.reviewers[Stage.PERFORMANCE]), task_id=last.pk)
    assert "已被处理" in handled.value.message
    with pytest.raises((errors.AlreadyHandled, NotAllowed)):
        review.declaration_withdraw(actor=user(people.preparer), declaration_id=declaration.pk)

    login(client, people.preparer)
    assert client.post(f"/declarations/{declaration.pk}/submit/").status_code == 403
    assert client.get(f"/declarations/{declaration.pk}/edit/").status_code == 403
    assert fresh(declaration).status == DeclarationStatus.APPROVED
    assert declaration.stamps.count() == 5


@pytest.mark.django_db
def test_printed_dates_are_the_local_date_of_the_stamp(client, demo):
    """A stamp made at 01:30 Beijing time (17:30 UTC the day before) is dated with the local
    day on the printed form: 2026年11月22日, not the 21st."""
    declaration = seed(SEED_NAMES[2])
    people = people_of(declaration)
    with time_machine.travel(datetime(2026, 11, 21, 17, 30, tzinfo=UTC), tick=True):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
        review.task_approve(
            actor=user(people.reviewers[Stage.UNIT_HEAD]), task_id=open_task(declaration).pk
        )
    stamp = declaration.stamps.get(stage=Stage.UNIT_HEAD)
    assert stamp.stamped_at.date().day == 21  # UTC
    login(client, people.preparer)
    html = page_text(client.get(f"/declarations/{declaration.pk}/print/"))
    cell = opinion_cell(html, Stage.UNIT_HEAD)
    assert "2026年11月22日" in cell
    assert "2026年11月21日" not in html
    assert f"填报单位（盖章）：{people.unit}" in html
