"""task_return (退回修改): to the preparer, who edits and resubmits for a second round
through every stage, or to the previous stage in the same round. One return event."""

import re

import pytest
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent
from declarations.content import content_digest
from declarations.models import DeclarationStatus, Stage
from organisations.models import Role
from review import services as review
from review.models import ReviewProcess, ReviewTask
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    REVIEW_STAGES,
    advance_to,
    approve,
    approve_to_end,
    fresh,
    last_event_pk,
    login,
    open_task,
    open_tasks,
    page_text,
    people_of,
    seed,
    user,
)


@pytest.mark.django_db
@pytest.mark.parametrize("to", ["preparer", "previous"])
def test_return_writes_one_return_event(demo, to):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.FINANCE)
    digest = content_digest(fresh(declaration))
    before = last_event_pk()
    review.task_return(actor=user("ez_finance"), task_id=task.pk, opinion="资金测算不清", to=to)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.RETURN,
        actor="ez_finance",
        role=Role.FINANCE_REVIEWER,
        organisation=EZ.finance,
        declaration=declaration,
        stage=Stage.FINANCE,
        opinion="资金测算不清",
        digest=digest,
    )
    assert event.details["decision"] == (
        "return_previous" if to == "previous" else "return_preparer"
    )


def _history_stamp_rows(html: str) -> list[tuple[int, str]]:
    """(round, stage label) of each row of the history page's stamp table."""
    return [
        (int(r), label)
        for r, label in re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", html, flags=re.S)
    ]


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


PREVIOUS = {
    Stage.DEPARTMENT: Stage.UNIT_HEAD,
    Stage.FINANCE: Stage.DEPARTMENT,
    Stage.PERFORMANCE: Stage.FINANCE,
}


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
