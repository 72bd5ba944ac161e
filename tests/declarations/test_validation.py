"""The submission rules: each one with a bad input and its exact Chinese message, checked
both by validate_for_submit and on the edit page next to the field or row it concerns;
all errors at once. (Drafts that keep what was typed: review/services.)"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from declarations.models import DeclarationStatus
from declarations.validation import validate_for_submit
from tests.declarations.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    SEED_IDS,
    change_content,
    edit_fields,
    post_edit,
)
from tests.pages import (
    field_messages,
    flash_messages,
    row_messages,
    table_messages,
)

NO_ERRORS = {"general": [], "fields": {}, "tables": {}, "rows": {}}


@pytest.mark.django_db
@pytest.mark.parametrize("name", [EZ_PROJECT, NY_RELOCATION, NY_GRID], ids=SEED_IDS)
def test_the_seed_declarations_meet_every_rule(seeds, name):
    """The three real forms are complete: no rule finds anything to change."""
    errors = validate_for_submit(seeds[name])
    assert errors.as_dict() == NO_ERRORS
    assert not errors


def expected_errors(where: tuple, message: str) -> dict:
    """The as_dict() of SubmitErrors holding just this one message at this place."""
    errors = {"general": [], "fields": {}, "tables": {}, "rows": {}}
    if where[0] == "field":
        errors["fields"][where[1]] = [message]
    elif where[0] == "table":
        errors["tables"][where[1]] = [message]
    else:
        errors["rows"][where[1]] = {where[2]: [message]}
    return errors


# --- One rule at a time, on 区综治中心搬迁… (专项资金, budget 10万元) -----------------


@dataclass
class Case:
    id: str
    content: object  # change to a DeclarationContent, for validate_for_submit
    form: dict  # the same change typed into the edit form
    where: tuple
    message: str


def _delete_all(prefix: str, count: int) -> dict:
    return {f"{prefix}-{i}-DELETE": "on" for i in range(count)}


CASES = [
    Case(
        "funding does not add up",
        lambda c: c.funding_lines[3].update(amount=Decimal(9)),
        {"funding-3-amount": "9"},
        ("table", "funding"),
        "资金来源合计 9 万元，与项目预算 10 万元不一致。",
    ),
    Case(
        "funding does not add up to a fractional budget",
        lambda c: c.fields.update(budget=Decimal("10.5")),
        {"budget": "10.5"},
        ("table", "funding"),
        "资金来源合计 10 万元，与项目预算 10.5 万元不一致。",
    ),
    Case(
        "funding line without amount",
        lambda c: c.funding_lines[4].update(amount=None),
        {"funding-4-amount": ""},
        ("row", "funding", 4),
        "请填写金额。",
    ),
    Case(
        "funding line without source",
        lambda c: c.funding_lines[4].update(source=""),
        {"funding-4-source": ""},
        ("row", "funding", 4),
        "请选择资金来源。",
    ),
    Case(
        "special fund without funding",
        lambda c: c.funding_lines.clear(),
        _delete_all("funding", 5),
        ("table", "funding"),
        "请至少填写一项资金来源。",
    ),
    Case(
        "no satisfaction indicator",
        lambda c: c.indicators.pop(7),
        {"indicators-7-DELETE": "on"},
        ("table", "indicators"),
        "至少需要一项“满意度指标”。",
    ),
    Case(
        "no output indicator",
        lambda c: c.indicators.__delitem__(slice(0, 4)),
        _delete_all("indicators", 4),
        ("table", "indicators"),
        "至少需要一项“产出指标”。",
    ),
    Case(
        "no indicators at all",
        lambda c: c.indicators.clear(),
        _delete_all("indicators", 8),
        ("table", "indicators"),
        "请至少填写一项绩效指标。",
    ),
    Case(
        "level 2 outside its level 1",
        lambda c: c.indicators[4].update(level1="output"),
        {"indicators-4-level1": "output"},
        ("row", "indicators", 4),
        "二级指标“社会效益指标”不属于一级指标“产出指标”。",
    ),
    Case(
        "cost indicator under benefit",
        lambda c: c.indicators[3].update(level1="benefit"),
        {"indicators-3-level1": "benefit"},
        ("row", "indicators", 3),
        "二级指标“成本指标”不属于一级指标“效益指标”。",
    ),
    Case(
        "quantitative target without a number",
        lambda c: c.indicators[0].update(value=None),
        {"indicators-0-value": ""},
        ("row", "indicators", 0),
        "定量指标请填写数值。",
    ),
    Case(
        "quantitative target without a unit",
        lambda c: c.indicators[0].update(unit=""),
        {"indicators-0-unit": ""},
        ("row", "indicators", 0),
        "定量指标请填写计量单位。",
    ),
    Case(
        "no target at all",
        lambda c: c.indicators[4].update(target_text=""),
        {"indicators-4-target_text": ""},
        ("row", "indicators", 4),
        "请填写指标值：选择比较符号并填写数值和单位，或填写定性指标值。",
    ),
    Case(
        "both a quantitative and a qualitative target",
        lambda c: c.indicators[0].update(target_text="很多"),
        {"indicators-0-target_text": "很多"},
        ("row", "indicators", 0),
        "定量指标值与定性指标值只能填写一种。",
    ),
    Case(
        "indicator without a name",
        lambda c: c.indicators[1].update(name=""),
        {"indicators-1-name": ""},
        ("row", "indicators", 1),
        "请填写三级指标。",
    ),
    Case(
        "cost above the budget",
        lambda c: c.indicators[3].update(value=Decimal(11)),
        {"indicators-3-value": "11"},
        ("row", "indicators", 3),
        "成本指标 11 万元超过项目预算 10 万元。",
    ),
    Case(
        "cost above the budget by a fraction",
        lambda c: c.indicators[3].update(value=Decimal("10.01")),
        {"indicators-3-value": "10.01"},
        ("row", "indicators", 3),
        "成本指标 10.01 万元超过项目预算 10 万元。",
    ),
    Case(
        "period ends before it starts",
        lambda c: c.fields.update(period_end=date(2019, 12, 31)),
        {"period_end": "2019-12-31"},
        ("field", "period_end"),
        "结束时间须晚于开始时间。",
    ),
    Case(
        "phone is not a phone number",
        lambda c: c.fields.update(contact_phone="12345"),
        {"contact_phone": "12345"},
        ("field", "contact_phone"),
        "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。",
    ),
    Case(
        "no long-term goal",
        lambda c: c.long_term_goals.clear(),
        _delete_all("long_term_goals", 3),
        ("table", "long_term_goals"),
        "请至少填写一条中长期绩效目标。",
    ),
    Case(
        "no annual goal",
        lambda c: c.annual_goals.clear(),
        _delete_all("annual_goals", 3),
        ("table", "annual_goals"),
        "请至少填写一条年度绩效目标。",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule_through_validate_for_submit(ny_relocation, case):
    """The one broken rule gives exactly its message, at its place, and nothing else."""
    declaration = change_content(ny_relocation, case.content)
    assert validate_for_submit(declaration).as_dict() == expected_errors(case.where, case.message)


def shown_at(response, where: tuple) -> list[str]:
    """The messages the edit page shows at a field, above a table, or on one row of a table."""
    if where[0] == "field":
        return field_messages(response, where[1])
    if where[0] == "table":
        return table_messages(response, where[1])
    return row_messages(response, where[1])[where[2]]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule_on_the_edit_page_check(client, ny_relocation, login, case):
    """'保存并检查' saves the draft and shows the message next to the field or row concerned."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)

    response = post_edit(client, ny_relocation, fields, action="check", **case.form)

    assert response.status_code == 200
    assert shown_at(response, case.where) == [case.message]
    assert "草稿已保存。检查发现 1 处需要修改，见下方标注。" in flash_messages(response)
    ny_relocation.refresh_from_db()
    assert ny_relocation.status == DeclarationStatus.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule_stops_submission_on_the_edit_page(client, ny_relocation, login, case):
    """'保存并提交' with a broken rule answers 400, shows the message in place, and the
    declaration stays an editable draft."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)

    response = post_edit(client, ny_relocation, fields, action="submit", **case.form)

    assert response.status_code == 400
    assert shown_at(response, case.where) == [case.message]
    assert "未能提交：有 1 处需要修改，见下方标注。" in flash_messages(response)
    ny_relocation.refresh_from_db()
    assert ny_relocation.status == DeclarationStatus.DRAFT
    assert ny_relocation.submitted_at is None


# --- Required fields ---------------------------------------------------------------------


PROJECT_REQUIRED = {
    "name": "请填写项目（专项）名称。",
    "category": "请填写项目类别。",
    "nature": "请选择项目性质。",
    "basis": "请填写立项依据。",
    "budget": "请填写项目预算（万元）。",
}


def _blank(names):
    def change(content):
        for name in names:
            content.fields[name] = None if name in ("budget", "period_start", "period_end") else ""

    return change


@pytest.mark.django_db
def test_required_fields_of_a_project(ez_project):
    """A project needs its name, category, nature, basis and budget."""
    declaration = change_content(ez_project, _blank(PROJECT_REQUIRED))
    errors = validate_for_submit(declaration).as_dict()
    assert errors == {**NO_ERRORS, "fields": {k: [v] for k, v in PROJECT_REQUIRED.items()}}


SPECIAL_FUND_REQUIRED = {
    "name": "请填写专项名称。",
    "nature": "请选择专项属性。",
    "basis": "请填写立项依据。",
    "budget": "请填写本年度预计投入（万元）。",
    "unit_head_name": "请填写单位负责人。",
    "period_start": "请填写起始时间。",
    "period_end": "请填写终止时间。",
    "owner": "请填写专项负责人。",
    "contact_name": "请填写联系人。",
    "contact_phone": "请填写联系电话。",
    "summary": "请填写专项概况。",
    "measures": "请填写单位已有的保证专项实施的制度、措施。",
}


@pytest.mark.django_db
def test_required_fields_of_a_special_fund(ny_relocation):
    """A special fund also needs its head, period, owner, contact, phone, summary, measures."""
    declaration = change_content(ny_relocation, _blank(SPECIAL_FUND_REQUIRED))
    errors = validate_for_submit(declaration).as_dict()
    assert errors == {**NO_ERRORS, "fields": {k: [v] for k, v in SPECIAL_FUND_REQUIRED.items()}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "preparer", "required"),
    [
        (EZ_PROJECT, "ez_preparer", PROJECT_REQUIRED),
        (NY_RELOCATION, "ny_preparer", SPECIAL_FUND_REQUIRED),
    ],
)
def test_required_fields_on_the_edit_page(client, seeds, login, name, preparer, required):
    """Blank required fields are each marked in their own box, all in one answer."""
    declaration = seeds[name]
    login(preparer)
    fields = edit_fields(client, declaration)

    response = post_edit(
        client, declaration, fields, action="submit", **dict.fromkeys(required, "")
    )

    assert response.status_code == 400
    for field_name, message in required.items():
        assert field_messages(response, field_name) == [message], field_name
    count = len(required)
    assert f"未能提交：有 {count} 处需要修改，见下方标注。" in flash_messages(response)


# --- Phone numbers -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    [
        "13789376758",
        "0734-5678901",
        "07345678901",
        "(0734)5678901",
        "010-62345678",
        "0734-5678901转8012",
        "+86 13789376758",
        "0734-5678901、13789376758",
    ],
)
def test_chinese_mobile_and_landline_numbers_are_accepted(ny_relocation, phone):
    """Mobile numbers, landlines with or without area code and extension, several at once."""
    declaration = change_content(ny_relocation, lambda c: c.fields.update(contact_phone=phone))
    assert validate_for_submit(declaration).as_dict() == NO_ERRORS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    [
        "12345",
        "1378937675",  # 10 digits
        "137893767580",  # 12 digits
        "12789376758",  # no such mobile prefix
        "旷晓红",
        "0734-567890a",
        "13789376758、123",
    ],
)
def test_other_phone_numbers_are_refused(ny_relocation, phone):
    """Anything that is not a Chinese landline or mobile number is marked on the phone field."""
    declaration = change_content(ny_relocation, lambda c: c.fields.update(contact_phone=phone))
    assert validate_for_submit(declaration).as_dict() == expected_errors(
        ("field", "contact_phone"),
        "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。",
    )


# --- All at once -------------------------------------------------------------------------


SEVERAL = {
    "name": "",
    "contact_phone": "12345",
    "period_end": "2019-06-30",
    "funding-3-amount": "9",
    "indicators-3-value": "11",
    "indicators-7-DELETE": "on",
}


@pytest.mark.django_db
def test_several_errors_are_reported_at_once(client, ny_relocation, login):
    """Six broken rules in one draft: one check reports all six, each in its place."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)

    response = post_edit(client, ny_relocation, fields, action="check", **SEVERAL)

    assert response.status_code == 200
    assert "草稿已保存。检查发现 6 处需要修改，见下方标注。" in flash_messages(response)
    assert field_messages(response, "name") == ["请填写专项名称。"]
    assert field_messages(response, "contact_phone") == [
        "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。"
    ]
    assert field_messages(response, "period_end") == ["结束时间须晚于开始时间。"]
    assert table_messages(response, "funding") == [
        "资金来源合计 9 万元，与项目预算 10 万元不一致。"
    ]
    assert table_messages(response, "indicators") == ["至少需要一项“满意度指标”。"]
    assert row_messages(response, "indicators")[3] == ["成本指标 11 万元超过项目预算 10 万元。"]

    ny_relocation.refresh_from_db()
    errors = validate_for_submit(ny_relocation)
    assert errors.count == 6
    assert set(errors.messages()) == {
        "请填写专项名称。",
        "联系电话格式不正确：请填写11位手机号或固定电话（如 0734-5678901）。",
        "结束时间须晚于开始时间。",
        "资金来源合计 9 万元，与项目预算 10 万元不一致。",
        "至少需要一项“满意度指标”。",
        "成本指标 11 万元超过项目预算 10 万元。",
    }
