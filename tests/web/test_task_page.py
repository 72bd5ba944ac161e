"""The task page: a link to the declaration, its attachments (downloadable within the
rulebook's rights), the timeline, what changed since the last round, the action bar that stays
in reach on a phone, and the reviewer's saved opinion phrases."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from declarations.models import Stage
from review import services as review
from review.models import OpinionPhrase
from tests.declarations.helpers import change_content, png_bytes, post_attachment
from tests.pages import page_of
from tests.review.helpers import (
    NY_MOVE,
    advance_to,
    fresh,
    login,
    open_task,
    page_text,
    people_of,
    seed,
    submit,
    user,
)


def _attached(client, declaration):
    login(client, people_of(declaration).preparer)
    response = post_attachment(client, declaration, "测算依据.png", png_bytes(), "资金测算")
    assert response.status_code == 200
    return declaration.attachments.get()


@pytest.mark.django_db
def test_the_reviewer_sees_and_downloads_the_attachments_and_reaches_the_declaration(client, demo):
    declaration = seed(NY_MOVE)
    attachment = _attached(client, declaration)
    task = advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ny_dept")

    page = page_of(client.get(f"/tasks/{task.pk}/"))

    link = page.by_id("declaration-link")
    assert link.attrs["href"] == f"/declarations/{declaration.pk}/"
    section = page.by_id("attachments")
    assert "测算依据.png" in section.text
    assert "资金测算" in section.text
    download = section.find("a").attrs["href"]
    assert download == f"/declarations/{declaration.pk}/attachments/{attachment.pk}/"
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()


@pytest.mark.django_db
def test_someone_outside_the_declaration_cannot_download_its_attachment(client, demo):
    declaration = seed(NY_MOVE)
    attachment = _attached(client, declaration)
    advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ez_dept")  # another jurisdiction's reviewer
    response = client.get(f"/declarations/{declaration.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_action_bar_offers_what_the_rulebook_allows(client, demo):
    """Held by the unit head: approve, return, reject and release in the bar; an auditor who may
    look at the task gets no bar."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "ny_head")
    bar = page_of(client.get(f"/tasks/{task.pk}/")).by_id("action-bar")
    assert [b.text for b in bar.find_all("button")] == [
        "同意并盖章",
        "退回修改",
        "不予通过",
        "释放",
    ]
    actions = {b.attrs.get("formaction") for b in bar.find_all("button")} - {None}
    assert actions == {f"/tasks/{task.pk}/{a}/" for a in ("approve", "return", "reject")}

    login(client, "ny_auditor")
    html = page_text(client.get(f"/tasks/{task.pk}/"))
    assert 'id="action-bar"' not in html


@pytest.mark.django_db
def test_the_queue_offers_claim_in_the_bar(client, demo, second_dept):
    """A task in the shared queue: claim first, and the decisions a candidate may take."""
    declaration = seed("市综治中心专项工作经费")
    task = advance_to(declaration, Stage.DEPARTMENT)
    assert task.owner_id is None
    login(client, "ez_dept")
    bar = page_of(client.get(f"/tasks/{task.pk}/")).by_id("action-bar")
    assert [b.text for b in bar.find_all("button")] == [
        "认领",
        "同意并盖章",
        "退回修改",
        "不予通过",
    ]


@pytest.mark.django_db
def test_decisions_from_the_bar_reach_the_services(client, demo):
    """The bar's buttons submit the one opinion field: a return carries its opinion."""
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "ny_head")
    response = client.post(
        f"/tasks/{task.pk}/return/", {"opinion": "预算测算不清", "to": "preparer"}
    )
    assert response.status_code == 302
    assert fresh(declaration).status == "returned"


def test_the_bar_sticks_to_the_bottom_of_a_phone_screen():
    """position: sticky at the bottom in the narrow-screen rules of a static stylesheet."""
    css = Path(finders.find("approvals/review.css")).read_text(encoding="utf-8")
    narrow = css[css.index("@media (max-width: 760px)") :]
    rule = re.search(r"\.action-bar\s*\{([^}]*)\}", narrow).group(1)
    assert "position:sticky" in rule.replace(" ", "")
    assert "bottom:0" in rule.replace(" ", "")


@pytest.mark.django_db
def test_the_reviewer_of_a_resubmitted_round_sees_what_changed(client, demo):
    declaration = seed(NY_MOVE)
    task = open_task(submit(declaration))
    review.task_return(actor=user("ny_head"), task_id=task.pk, opinion="请修改备注")
    change_content(fresh(declaration), lambda c: c.fields.update(remarks="已补充说明"))
    task = open_task(submit(fresh(declaration)))
    login(client, "ny_head")
    section = page_of(client.get(f"/tasks/{task.pk}/")).by_id("round-changes")
    assert "第2轮与第1轮提交相比的修改" in section.text
    assert "其他需要说明的问题" in section.text
    assert "已补充说明" in section.text


@pytest.mark.django_db
def test_the_timeline_is_on_the_task_page(client, demo):
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "ny_head")
    timeline = page_of(client.get(f"/tasks/{task.pk}/")).by_id("timeline")
    assert "第1轮审核" in timeline.text
    assert "旷晓红 · 填报人" in timeline.text


# --- Opinion phrases -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reviewer_saves_picks_and_deletes_their_phrases(client, demo):
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    login(client, "ny_head")
    page_url = f"/tasks/{task.pk}/"
    response = client.post(
        "/phrases/", {"text": "同意，请按预算执行。"}, HTTP_REFERER=f"http://testserver{page_url}"
    )
    assert response.status_code == 302
    assert response["Location"].endswith(page_url)

    page = page_of(client.get(page_url))
    button = page.by_id("phrases").find("button", cls="phrase")
    assert button.attrs["data-phrase"] == "同意，请按预算执行。"
    assert button.attrs["data-target"] == "opinion"
    assert page.by_id("opinion").tag == "textarea"
    options = [o.attrs["value"] for o in page.by_id("phrase-list").find_all("option")]
    assert options == ["同意，请按预算执行。"]

    phrase = OpinionPhrase.objects.get(user__username="ny_head")
    assert client.post(f"/phrases/{phrase.pk}/delete/").status_code == 302
    assert not OpinionPhrase.objects.filter(pk=phrase.pk).exists()


@pytest.mark.django_db
def test_nobody_sees_or_deletes_another_persons_phrases(client, demo):
    declaration = submit(seed(NY_MOVE))
    task = open_task(declaration)
    phrase = review.opinion_phrase_save(actor=user("ny_head"), text="请补充绩效指标")
    login(client, "ny_dept")
    assert client.post(f"/phrases/{phrase.pk}/delete/").status_code == 404
    assert OpinionPhrase.objects.filter(pk=phrase.pk).exists()
    login(client, "ny_auditor")
    assert "请补充绩效指标" not in page_text(client.get(f"/tasks/{task.pk}/"))


def test_picking_a_phrase_is_done_by_a_static_script():
    script = Path(finders.find("approvals/review.js")).read_text(encoding="utf-8")
    assert "data-phrase" in script
    assert "data-target" in script
    assert "data-needs-opinion" in script
