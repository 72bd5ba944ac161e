"""declaration_stash_input: input of the wrong format (a budget "abc", an indicator value
"很多") loses nothing: it waits in pending_input, on screen, blocking submission, until a
corrected save stores all of it."""

from decimal import Decimal

import pytest

from declarations.content import content_of
from declarations.models import DeclarationStatus
from declarations.validation import validate_for_submit
from tests.declarations.helpers import edit_fields, edit_url, post_edit
from tests.html import form_fields
from tests.pages import field_messages, flash_messages, general_messages, row_messages


def _typed_with_a_new_row(fields: dict) -> dict:
    """Changes a preparer makes in one go: a new name, a new goal row, a new indicator row."""
    return {
        "name": "改名后的专项",
        "annual_goals-TOTAL_FORMS": "4",
        "annual_goals-3-text": "新增的一条年度目标。",
        "annual_goals-3-ORDER": "",
        "indicators-TOTAL_FORMS": "9",
        "indicators-8-horizon": "annual",
        "indicators-8-level1": "benefit",
        "indicators-8-level2": "economic",
        "indicators-8-name": "新增的一项指标",
        "indicators-8-operator": "",
        "indicators-8-value": "",
        "indicators-8-unit": "",
        "indicators-8-target_text": "有所帮助",
        "indicators-8-basis": "",
        "indicators-8-ORDER": "",
    }


@pytest.mark.django_db
def test_a_budget_that_is_not_a_number_loses_nothing(client, ny_relocation, login):
    """Budget "abc": the answer is 400 with the message at the budget; everything typed is kept in
    pending_input; opening the edit form again shows all of it, "abc" included; fixing the budget
    and saving stores it all and clears pending_input."""
    login("ny_preparer")
    before = content_of(ny_relocation)
    fields = edit_fields(client, ny_relocation)
    typed = {**_typed_with_a_new_row(fields), "budget": "abc"}

    response = post_edit(client, ny_relocation, fields, action="save", **typed)

    assert response.status_code == 400
    assert field_messages(response, "budget") == ["预算请填写数字（万元）。"]
    assert "有 1 处格式错误。已暂存您输入的全部内容，修正后再保存或提交。" in flash_messages(
        response
    )
    shown = form_fields(response.content.decode(), "edit-form")
    assert shown["budget"] == ["abc"]
    assert shown["name"] == ["改名后的专项"]
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input["data"]["budget"] == ["abc"]
    assert ny_relocation.pending_input["data"]["name"] == ["改名后的专项"]
    assert ny_relocation.pending_input["data"]["indicators-8-name"] == ["新增的一项指标"]
    assert content_of(ny_relocation) == before, "the last good draft is untouched"
    assert "有未保存输入" in client.get("/declarations/").content.decode()

    reopened = client.get(edit_url(ny_relocation))
    assert reopened.status_code == 200
    again = form_fields(reopened.content.decode(), "edit-form")
    assert again["budget"] == ["abc"]
    assert again["name"] == ["改名后的专项"]
    assert again["annual_goals-3-text"] == ["新增的一条年度目标。"]
    assert again["indicators-8-name"] == ["新增的一项指标"]
    assert again["indicators-8-target_text"] == ["有所帮助"]
    assert field_messages(reopened, "budget") == ["预算请填写数字（万元）。"]

    fixed = post_edit(client, ny_relocation, again, action="save", budget="10")
    assert fixed.status_code == 302
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input is None
    assert ny_relocation.budget == Decimal(10)
    assert ny_relocation.name == "改名后的专项"
    assert content_of(ny_relocation).annual_goals[-1] == "新增的一条年度目标。"
    assert [i.name for i in ny_relocation.indicators.all()][-1] == "新增的一项指标"


@pytest.mark.django_db
def test_an_indicator_value_that_is_not_a_number_loses_nothing(client, ny_relocation, login):
    """Indicator value "很多": 400 with the message on that row; the edit form shows "很多"
    again when reopened; pending_input holds it; a corrected save clears it."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)

    response = post_edit(
        client, ny_relocation, fields, action="check", **{"indicators-0-value": "很多"}
    )

    assert response.status_code == 400
    assert row_messages(response, "indicators")[0] == [
        "指标值请填写数字；文字描述请填在“定性指标值”。"
    ]
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input["data"]["indicators-0-value"] == ["很多"]
    assert ny_relocation.indicators.first().value == Decimal(17)

    reopened = client.get(edit_url(ny_relocation))
    assert reopened.status_code == 200
    again = form_fields(reopened.content.decode(), "edit-form")
    assert again["indicators-0-value"] == ["很多"]

    fixed = post_edit(client, ny_relocation, again, action="save", **{"indicators-0-value": "18"})
    assert fixed.status_code == 302
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input is None
    assert ny_relocation.indicators.first().value == Decimal(18)


@pytest.mark.django_db
def test_input_waiting_for_a_fix_blocks_submission_and_stays_on_screen(
    client, ny_relocation, login
):
    """With unsaved input of a wrong format, validate_for_submit says so, submitting answers 400
    with that message, and the page still shows the input waiting to be fixed ("abc") rather than
    the older draft, so that saving from it cannot lose what was typed."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    post_edit(client, ny_relocation, fields, action="save", budget="abc", name="改名后的专项")
    ny_relocation.refresh_from_db()

    errors = validate_for_submit(ny_relocation)
    assert errors.general == ["有未保存成功的修改（格式有误），请先修正并保存草稿。"]

    response = client.post(f"/declarations/{ny_relocation.pk}/submit/")

    assert response.status_code == 400
    assert general_messages(response) == ["有未保存成功的修改（格式有误），请先修正并保存草稿。"]
    ny_relocation.refresh_from_db()
    assert ny_relocation.status == DeclarationStatus.DRAFT
    assert ny_relocation.pending_input["data"]["budget"] == ["abc"]
    shown = form_fields(response.content.decode(), "edit-form")
    assert shown["budget"] == ["abc"]
    assert shown["name"] == ["改名后的专项"]


@pytest.mark.django_db
def test_correcting_the_answer_to_a_format_error_saves_everything(client, ny_relocation, login):
    """Correcting the budget on the page that reported "abc" and saving stores all that was typed
    with it and clears pending_input."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    typed = {**_typed_with_a_new_row(fields), "budget": "abc"}
    refused = post_edit(client, ny_relocation, fields, action="save", **typed)
    assert refused.status_code == 400

    shown = form_fields(refused.content.decode(), "edit-form")
    fixed = post_edit(client, ny_relocation, shown, action="save", budget="10.5")

    assert fixed.status_code == 302
    ny_relocation.refresh_from_db()
    assert ny_relocation.pending_input is None
    assert ny_relocation.budget == Decimal("10.5")
    assert ny_relocation.name == "改名后的专项"
    assert content_of(ny_relocation).annual_goals[-1] == "新增的一条年度目标。"
    assert [i.name for i in ny_relocation.indicators.all()][-1] == "新增的一项指标"
