"""declarations.labels names every code a person could meet: it sits below review, so it
repeats the rulebook's extra rights and the decisions; these tests keep them in step."""

from audit.models import AuditAction
from declarations.labels import (
    EXTRA_ACTIONS,
    action_label,
    decision_label,
    detail_pairs,
    details_text,
    role_label,
    stage_label,
)
from organisations.models import Role
from review.models import Decision
from review.permissions import RETURN_PREVIOUS, VIEW_REFUSALS


def test_every_decision_has_the_label_review_gives_it():
    for decision in Decision:
        assert decision_label(decision.value) == decision.label


def test_the_rulebooks_own_rights_have_labels():
    assert set(EXTRA_ACTIONS) == {RETURN_PREVIOUS, VIEW_REFUSALS}
    assert action_label(RETURN_PREVIOUS) == "退回上一环节"
    assert all(action_label(a.value) == a.label for a in AuditAction)


def test_codes_become_words():
    assert role_label("department_reviewer") == "主管部门审核人"
    assert stage_label("unit_head") == "单位负责人"
    assert stage_label("") == ""
    assert all(role_label(r.value) == r.label for r in Role)


def test_details_read_as_labels_and_values():
    assert detail_pairs({"decision": "return_previous", "next_stage": "department"}) == [
        ("决定", "退回上一环节"),
        ("下一环节", "主管部门"),
    ]
    assert (
        details_text({"from": 12, "from_year": 2025}, "copy")
        == "复制自申报表编号：12；原年度：2025"
    )
    assert details_text({"role": "preparer", "active": True, "notified": ["a", "b"]}) == (
        "角色：填报人；有效：是；通知对象：a、b"
    )
    assert details_text({"level": "remind", "skipped": "already overdue"}) == (
        "级别：到期提醒；未发送：已逾期，改发逾期通知"
    )
    assert details_text({"level": "overdue", "notified": ["ny_head"], "skipped": "reminder"}) == (
        "级别：逾期；通知对象：ny_head；未发送：到期提醒（已逾期，由本逾期通知代替）"
    )
