"""The declaration's own pages after a return: the preparer sees the return opinion at the top
of the detail and edit pages, and the returned round's stamps are history, not current."""

import pytest

from declarations.models import Stage
from organisations.models import Jurisdiction
from review import services as review
from tests.declarations.helpers import change_content
from tests.pages import page_of, parse, table_cells
from tests.review.helpers import (
    EZ_PROJECT,
    NY_MOVE,
    OPINION_TITLES,
    STALE_MARK,
    advance_to,
    approve,
    fresh,
    login,
    opinion_cell,
    page_text,
    people_of,
    seed,
    submit,
    user,
)

RETURN_OPINION = "请补充资金测算依据，并细化产出指标。"


def _returned_by_finance(declaration):
    task = advance_to(declaration, Stage.FINANCE)
    review.task_return(
        actor=user(people_of(declaration).reviewers[Stage.FINANCE]),
        task_id=task.pk,
        opinion=RETURN_OPINION,
    )
    return fresh(declaration)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/declarations/{pk}/", "/declarations/{pk}/edit/"])
def test_the_preparer_sees_the_return_opinion_at_the_top(client, demo, page):
    declaration = _returned_by_finance(seed(NY_MOVE))
    login(client, people_of(declaration).preparer)

    html = page_text(client.get(page.format(pk=declaration.pk)))

    banner = parse(html).by_id("return-opinion")
    assert RETURN_OPINION in banner.text
    assert "财政业务股室审核人" in banner.text
    assert "南岳区财政局行政政法股" in banner.text
    # At the top: before the form and before the printed table.
    assert html.index('id="return-opinion"') < min(
        i for i in (html.find('id="edit-form"'), html.find('class="paper"')) if i > 0
    )


@pytest.mark.django_db
def test_the_banner_goes_once_the_declaration_is_resubmitted(client, demo):
    declaration = _returned_by_finance(seed(NY_MOVE))
    submit(declaration)
    login(client, people_of(declaration).preparer)
    assert 'id="return-opinion"' not in page_text(client.get(f"/declarations/{declaration.pk}/"))


@pytest.mark.django_db
def test_a_returned_declaration_shows_no_stamp_as_standing(client, demo):
    """The unit head's and the department's stamps of the returned round are history: the
    printed form's boxes are empty and the timeline marks them as no longer valid."""
    declaration = _returned_by_finance(seed(NY_MOVE))
    login(client, people_of(declaration).preparer)

    response = client.get(f"/declarations/{declaration.pk}/print/")
    page = page_of(response)
    rows = [row for t in page.find_all("table", cls="form") for row in table_cells(t)]
    boxes = [row[1] for row in rows if row and row[0] in OPINION_TITLES.values()]
    assert boxes
    for box in boxes:
        assert "签署人" not in box
        assert "同意" not in box
    assert page.find_all("table", cls="stamps-appendix") == []
    assert "填报单位（盖章）：南岳区社会治理和网格信息化服务中心" in page_text(response)

    timeline = page_of(client.get(f"/declarations/{declaration.pk}/")).by_id("timeline")
    assert timeline.text.count("历史签章，已不再有效") == 3  # submission, unit head, department
    assert "现行有效" not in timeline.text


@pytest.mark.django_db
def test_after_resubmission_only_the_new_rounds_stamps_stand(client, demo):
    declaration = _returned_by_finance(seed(NY_MOVE))
    declaration = submit(declaration)
    approve(declaration, opinion="修改后同意")  # unit head, round 2
    login(client, people_of(declaration).preparer)

    page = page_of(client.get(f"/declarations/{declaration.pk}/print/"))
    appendix = table_cells(page.find("table", cls="stamps-appendix"))
    assert [row[0] for row in appendix] == ["单位负责人审核意见"]
    assert "修改后同意" in appendix[0][1]

    timeline = page_of(client.get(f"/declarations/{declaration.pk}/")).by_id("timeline")
    assert timeline.text.count("现行有效") == 2  # round 2's submission and unit head
    assert timeline.text.count("历史签章，已不再有效") == 3


@pytest.mark.django_db
def test_stages_skipped_on_resubmission_keep_their_stamps(client, demo):
    """Where the jurisdiction sends a resubmission straight back to the returning stage, the
    stages it skips keep their earlier stamps: they still stand, marked as stamped on content
    that has since changed."""
    Jurisdiction.objects.filter(code="ezhou").update(resubmit_to_returning_stage=True)
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.FINANCE)
    review.task_return(actor=user("ez_finance"), task_id=task.pk, opinion=RETURN_OPINION)
    change_content(fresh(declaration), lambda c: c.fields.update(remarks="已补充"))
    declaration = submit(fresh(declaration))
    assert declaration.stage == Stage.FINANCE
    login(client, "ez_preparer")

    html = page_text(client.get(f"/declarations/{declaration.pk}/print/"))
    department = opinion_cell(html, Stage.DEPARTMENT)
    assert "市委政法委（盖章）" in department
    assert STALE_MARK in department
    assert STALE_MARK in opinion_cell(html, Stage.UNIT_HEAD)

    timeline = page_of(client.get(f"/declarations/{declaration.pk}/")).by_id("timeline")
    assert timeline.text.count("现行有效") == 3  # round 2's submission, round 1's two stamps
    assert timeline.text.count("历史签章，已不再有效") == 1  # round 1's submission
