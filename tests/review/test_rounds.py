"""What changed since the last round when a declaration comes back: fields, goals and
indicator rows, each added, removed or changed (old → new), for the preparer while they edit
and for the reviewer of the resubmitted round."""

import pytest

from declarations.models import DeclarationStatus, Stage
from review import services as review
from review.models import ReviewProcess
from review.rounds import changes_for_round, changes_since_last_round
from tests.declarations.helpers import change_content
from tests.review.helpers import NY_MOVE, advance_to, fresh, people_of, seed, submit, user


def _returned(declaration):
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_return(
        actor=user(people_of(declaration).reviewers[Stage.DEPARTMENT]),
        task_id=task.pk,
        opinion="请修改指标",
    )
    declaration = fresh(declaration)
    assert declaration.status == DeclarationStatus.RETURNED
    return declaration


def _revise(content):
    content.fields["remarks"] = "已按主管部门意见修改。"
    content.indicators[0].update(value="20")  # ≥17个 → ≥20个
    del content.indicators[5]  # the second 社会效益 row: 保障社会治安状况良好, 有所帮助
    content.indicators.append(
        {
            "horizon": "annual",
            "level1": "output",
            "level2": "quality",
            "name": "视频终端在线率",
            "operator": "≥",
            "value": "95",
            "unit": "%",
            "target_text": "",
            "basis": "",
        }
    )
    content.annual_goals[0] = "完成区综治中心的搬迁并投入使用。"


def _summary(changes) -> list[tuple[str, str, str, str]]:
    return [(c.kind_label, c.what, c.old, c.new) for c in changes.changes]


@pytest.mark.django_db
def test_the_submission_of_each_round_is_kept(demo):
    declaration = submit(seed(NY_MOVE))
    process = ReviewProcess.objects.get(declaration=declaration, round=1)
    assert process.submitted_content["fields"]["name"] == NY_MOVE
    assert len(process.submitted_content["indicators"]) == declaration.indicators.count()


@pytest.mark.django_db
def test_the_preparer_sees_what_they_changed_since_the_return(demo):
    declaration = _returned(seed(NY_MOVE))
    assert changes_since_last_round(declaration).changes == []
    change_content(declaration, _revise)

    changes = changes_since_last_round(fresh(declaration))

    assert changes.title == "退回后相对第1轮提交内容的修改"
    summary = _summary(changes)
    assert ("新增", "其他需要说明的问题", "", "已按主管部门意见修改。") not in summary  # was 无
    assert ("修改", "其他需要说明的问题", "无", "已按主管部门意见修改。") in summary
    assert (
        "修改",
        "年度绩效目标1",
        "完成区综治中心的搬迁。",
        "完成区综治中心的搬迁并投入使用。",
    ) in summary
    changed = [s for s in summary if s[0] == "修改" and s[1] == "绩效指标（年度目标）"]
    assert len(changed) == 1
    assert "≥17个" in changed[0][2]
    assert "≥20个" in changed[0][3]
    added = [s for s in summary if s[0] == "新增" and s[1] == "绩效指标（年度目标）"]
    assert len(added) == 1
    assert "视频终端在线率" in added[0][3]
    assert "≥95%" in added[0][3]
    removed = [s for s in summary if s[0] == "删除" and s[1] == "绩效指标（年度目标）"]
    assert len(removed) == 1
    assert "保障社会治安状况良好" in removed[0][2]
    assert "有所帮助" in removed[0][2]


@pytest.mark.django_db
def test_the_reviewer_of_the_resubmitted_round_sees_the_same_changes(demo):
    declaration = _returned(seed(NY_MOVE))
    change_content(declaration, _revise)
    draft = _summary(changes_since_last_round(fresh(declaration)))
    declaration = submit(fresh(declaration))

    changes = changes_for_round(declaration, 2)

    assert changes.title == "第2轮与第1轮提交相比的修改"
    assert _summary(changes) == draft
    assert _summary(changes_since_last_round(declaration)) == draft
    assert changes_for_round(declaration, 1) is None


@pytest.mark.django_db
def test_a_round_kept_before_this_change_says_it_cannot_compare(demo):
    declaration = _returned(seed(NY_MOVE))
    ReviewProcess.objects.filter(declaration=declaration).update(submitted_content=None)
    changes = changes_since_last_round(declaration)
    assert changes.known is False
    assert changes.changes == []
