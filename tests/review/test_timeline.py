"""The timeline of a declaration: every round and stage with who (name family first, role and
organisation in words), opinion, seal, time and digest; returns, hand-overs, urges and
withdrawals included; stamps of a returned round shown as history. Built in a constant number
of queries whatever the number of rounds."""

import pytest

from declarations.models import Stage
from organisations.models import Role
from review import services as review
from review.timeline import declaration_timeline
from tests.review.helpers import (
    EZ_PROJECT,
    NY_MOVE,
    advance_to,
    approve,
    fresh,
    open_task,
    people_of,
    seed,
    submit,
    user,
)

INTERNAL_CODES = [*Role.values, *Stage.values, "return_preparer", "return_previous"]


def _return_to_preparer(declaration, opinion: str = "请补充测算依据") -> None:
    task = open_task(declaration)
    review.task_return(
        actor=user(people_of(declaration).reviewers[task.stage]), task_id=task.pk, opinion=opinion
    )


def _rounds(declaration, count: int):
    """Submit the declaration `count` times, each round returned by the unit head but the last."""
    for number in range(1, count + 1):
        declaration = submit(declaration)
        if number < count:
            _return_to_preparer(declaration, f"第{number}轮退回")
    return fresh(declaration)


def _texts(rounds) -> list[str]:
    return [
        " ".join(
            [e.action_label, e.actor, e.role, e.organisation, e.stage, e.opinion, e.note, e.seal]
        )
        for r in rounds
        for e in r.entries
    ]


@pytest.mark.django_db
def test_every_round_and_stage_with_who_opinion_seal_and_digest(demo):
    """Round 1 returned by the business section, round 2 approved by the unit head: two rounds,
    each with its submission, stamps and decisions; people, roles and stages in words."""
    declaration = seed(NY_MOVE)
    people = people_of(declaration)
    task = advance_to(declaration, Stage.FINANCE)
    review.task_return(
        actor=user(people.reviewers[Stage.FINANCE]), task_id=task.pk, opinion="请补充测算依据"
    )
    declaration = submit(fresh(declaration))
    approve(declaration, opinion="修改后同意")

    rounds = declaration_timeline(user("ny_auditor"), fresh(declaration))

    assert [r.title for r in rounds] == ["起草", "第1轮审核", "第2轮审核"]
    assert {e.action_label for e in rounds[0].entries} <= {"新建", "保存草稿"}
    first = rounds[1].entries
    assert [e.action_label for e in first] == ["提交", "同意", "同意", "退回修改"]
    head = first[1]
    assert head.actor == "袁冕"
    assert head.role == "单位负责人"
    assert head.organisation == people.unit
    assert head.stage == "单位负责人"
    assert head.opinion == "同意"
    assert head.seal == people.unit
    assert len(head.digest) == 64
    returned = first[3]
    assert returned.opinion == "请补充测算依据"
    assert returned.role == "财政业务股室审核人"
    assert returned.note == "退回填报单位"
    assert first[2].seal == people.department_seal
    # Round 1's stamps were returned: they are history now; round 2's stand.
    assert [e.stamp_standing for e in first if e.seal] == [False, False, False]
    second = rounds[2].entries
    assert [e.action_label for e in second] == ["提交", "同意"]
    assert [e.stamp_standing for e in second] == [True, True]
    for text in _texts(rounds):
        for code in INTERNAL_CODES:
            assert code not in text.split(), (code, text)


@pytest.mark.django_db
def test_urges_and_withdrawals_are_in_the_timeline(demo):
    """A withdrawal ends round 1; in round 2, after the unit head's approval, the preparer
    urges the department: both are in the timeline, by name and stage in words."""
    declaration = seed(NY_MOVE)
    people = people_of(declaration)
    declaration = submit(declaration)
    review.declaration_withdraw(actor=user(people.preparer), declaration_id=declaration.pk)
    declaration = submit(fresh(declaration))
    approve(declaration)  # unit head
    declaration = fresh(declaration)
    review.declaration_urge(actor=user(people.preparer), declaration_id=declaration.pk)

    rounds = declaration_timeline(user("ny_auditor"), fresh(declaration))

    labels = [[e.action_label for e in r.entries] for r in rounds[1:]]
    assert labels[0] == ["提交", "撤回"]
    assert labels[1] == ["提交", "同意", "催办"]
    urge = rounds[2].entries[-1]
    assert urge.actor == "旷晓红"
    assert urge.stage == "主管部门"


@pytest.mark.django_db
def test_a_hand_over_names_both_people(demo, second_dept):
    """移交: the note says from whom and to whom, by name, not by login."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    review.task_hand_over(
        actor=user("ez_dept"), task_id=task.pk, to_user_id=second_dept.pk, reason="出差"
    )
    entry = declaration_timeline(user("ez_auditor"), fresh(declaration))[-1].entries[-1]
    assert entry.action_label == "移交"
    assert entry.opinion == "出差"
    assert "鄂州市主管部门审核人乙" in entry.note
    assert "ez_dept2" not in entry.note


@pytest.mark.django_db
@pytest.mark.parametrize("rounds", [1, 10])
def test_the_timeline_takes_the_same_queries_for_1_and_10_rounds(
    demo, rounds, django_assert_max_num_queries
):
    """Events, stamps and the people named are read once each, however long the history."""
    declaration = _rounds(seed(NY_MOVE), rounds)
    auditor = user("ny_auditor")
    declaration_timeline(auditor, declaration)  # warm the caches a person's roles live in
    with django_assert_max_num_queries(6):
        timeline = declaration_timeline(auditor, declaration)
    assert [r.title for r in timeline][1:] == [f"第{n}轮审核" for n in range(1, rounds + 1)]


# The pages' bound: the same for 1 and for 10 rounds (one more query reads the earlier round's
# content once there is one).
PAGE_QUERIES = 40


@pytest.mark.django_db
@pytest.mark.parametrize("rounds", [1, 10])
@pytest.mark.parametrize("path", ["/declarations/{pk}/", "/tasks/{task}/"])
def test_the_pages_take_the_same_queries_for_1_and_10_rounds(
    client, demo, path, rounds, django_assert_max_num_queries
):
    """The declaration page and the task page grow no query per round."""
    declaration = _rounds(seed(NY_MOVE), rounds)
    url = path.format(pk=declaration.pk, task=open_task(declaration).pk)
    client.force_login(user("ny_head"))
    client.get(url)  # warm up
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert f"第{rounds}轮审核" in response.content.decode()
