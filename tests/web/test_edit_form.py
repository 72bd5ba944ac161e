"""The edit form holds every field of the seed forms, and its tables can be reordered, trimmed
and extended the way a preparer does it in the browser."""

from decimal import Decimal

import pytest

from declarations.content import content_of
from declarations.models import Declaration, DeclarationStatus
from tests.declarations.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PREPARER_OF,
    SEED_IDS,
    edit_fields,
    edit_url,
    post_edit,
)
from tests.html import form_fields
from tests.pages import flash_messages


@pytest.mark.django_db
@pytest.mark.parametrize("name", [EZ_PROJECT, NY_RELOCATION, NY_GRID], ids=SEED_IDS)
def test_each_seed_declaration_round_trips_through_the_edit_form(client, seeds, login, name):
    """Opening a seed declaration's edit form and saving it unchanged saves the same content:
    every field and row of the seed form is carried by the form."""
    declaration = seeds[name]
    before = content_of(declaration)
    version = declaration.version
    login(PREPARER_OF[name])

    fields = edit_fields(client, declaration)
    response = post_edit(client, declaration, fields, action="save")

    assert response.status_code == 302
    assert response["Location"] == edit_url(declaration)
    declaration.refresh_from_db()
    assert declaration.version == version + 1, "the save really happened"
    assert declaration.pending_input is None
    assert declaration.status == DeclarationStatus.DRAFT
    assert content_of(declaration) == before
    assert "草稿已保存。" in flash_messages(client.get(edit_url(declaration)))


@pytest.mark.django_db
def test_the_edit_form_shows_the_special_fund_values_as_the_form_writes_them(
    client, ny_relocation, login
):
    """Money and targets appear as typed on paper (10, not 10.0000); dates as ISO dates."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    expected = {
        "fiscal_year": "2020",
        "name": NY_RELOCATION,
        "nature": "new",
        "period_start": "2020-01-01",
        "period_end": "2020-12-31",
        "unit_head_name": "袁 冕",
        "owner": "邓灵杰",
        "contact_name": "旷晓红",
        "contact_phone": "13789376758",
        "summary": "区综治中心搬迁、网络租赁及综治中心日常维护。",
        "budget": "10",
        "measures": "综治中心整体建设已经完成两期。",
        "remarks": "无",
        "funding-TOTAL_FORMS": "5",
        "funding-3-source": "local",
        "funding-3-amount": "10",
        "indicators-TOTAL_FORMS": "8",
        "indicators-0-name": "综治中心日常维护数量",
        "indicators-0-operator": "≥",
        "indicators-0-value": "17",
        "indicators-0-unit": "个",
        "indicators-3-level2": "cost",
        "indicators-3-value": "10",
        "indicators-3-unit": "万元",
        "indicators-6-target_text": "影响长远",
        "long_term_goals-TOTAL_FORMS": "3",
        "annual_goals-0-text": "完成区综治中心的搬迁。",
    }
    assert {key: fields[key] for key in expected} == {k: [v] for k, v in expected.items()}
    assert fields["basis"][0].startswith(
        "根据市委、市政府制定的《关于加强各级综治中心建设的实施意见》"
    )


@pytest.mark.django_db
def test_the_edit_form_shows_the_project_values(client, ez_project, login):
    """The project form carries name, category, nature, basis, budget and 20 indicator rows."""
    login("ez_preparer")
    fields = edit_fields(client, ez_project)
    assert fields["name"] == [EZ_PROJECT]
    assert fields["category"] == ["本级支出项目"]
    assert fields["nature"] == ["ongoing"]
    assert fields["budget"] == ["280"]
    assert "remarks" in fields
    assert "contact_phone" in fields
    assert fields["basis"][0].startswith("《中央政法工作条例》第四章规定")
    assert fields["indicators-TOTAL_FORMS"] == ["20"]
    assert fields["indicators-10-horizon"] == ["long_term"]
    assert fields["indicators-2-name"] == [
        "横向联通110,119，市精卫中心等部门，纵向联通各级综治中心，每周五定期分析研判社会治安形势，"
        "编制情况周报。"
    ]


def _indicator_names(declaration: Declaration) -> list[str]:
    return list(declaration.indicators.values_list("name", flat=True))


NY_INDICATOR_NAMES = [
    "综治中心日常维护数量",
    "三级综治中心连通率",
    "按计划约定时间完成",
    "全年计划总成本",
    "有助于全区社会大局和谐稳定",
    "保障社会治安状况良好",
    "体现政策导向，长期保障工作平稳进行",
    "社会群众满意度",
]


@pytest.mark.django_db
def test_rows_are_saved_in_the_order_the_preparer_gives_them(client, ny_relocation, login):
    """ORDER values that reverse the indicator rows, and swap two goals, save them in that
    order; the edit form then shows them in that order."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    assert _indicator_names(ny_relocation) == NY_INDICATOR_NAMES
    changes = {f"indicators-{i}-ORDER": str(8 - i) for i in range(8)}
    changes |= {"annual_goals-0-ORDER": "2", "annual_goals-1-ORDER": "1"}

    response = post_edit(client, ny_relocation, fields, **changes)

    assert response.status_code == 302
    assert _indicator_names(ny_relocation) == NY_INDICATOR_NAMES[::-1]
    assert content_of(ny_relocation).annual_goals == [
        "实现区、乡镇街道、村（社区）三级共29个综治中心视频终端全覆盖。",
        "完成区综治中心的搬迁。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ]
    again = edit_fields(client, ny_relocation)
    assert [again[f"indicators-{i}-name"][0] for i in range(8)] == NY_INDICATOR_NAMES[::-1]
    # The moved rows keep their own values.
    first = ny_relocation.indicators.first()
    assert (first.operator, first.value, first.unit) == ("≥", Decimal(98), "%")


@pytest.mark.django_db
def test_a_row_marked_delete_is_removed(client, ny_relocation, login):
    """A row whose DELETE box is ticked is gone after saving; the others stay in order."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)

    response = post_edit(
        client,
        ny_relocation,
        fields,
        **{"indicators-2-DELETE": "on", "funding-4-DELETE": "on", "long_term_goals-1-DELETE": "on"},
    )

    assert response.status_code == 302
    assert _indicator_names(ny_relocation) == [
        name for name in NY_INDICATOR_NAMES if name != "按计划约定时间完成"
    ]
    assert list(ny_relocation.funding_lines.values_list("source", flat=True)) == [
        "central",
        "provincial",
        "municipal",
        "local",
    ]
    assert content_of(ny_relocation).long_term_goals == [
        "依托综治信息系统、综治视联网等平台，逐步实现对辖区内社会治安状况的实时监控、分析研判。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ]


@pytest.mark.django_db
def test_an_added_row_is_saved(client, ny_relocation, login):
    """A row added in the browser (TOTAL_FORMS + 1, ORDER left blank) is saved at the end,
    with every value typed into it; an added row left wholly empty is ignored."""
    login("ny_preparer")
    fields = edit_fields(client, ny_relocation)
    added = {
        "indicators-TOTAL_FORMS": "10",
        "indicators-8-horizon": "long_term",
        "indicators-8-level1": "benefit",
        "indicators-8-level2": "economic",
        "indicators-8-name": "带动网格员就业",
        "indicators-8-operator": "≥",
        "indicators-8-value": "5.5",
        "indicators-8-unit": "人",
        "indicators-8-target_text": "",
        "indicators-8-basis": "按2019年实际测算",
        "indicators-8-ORDER": "",
        # an empty row, as the "add a row" button leaves it
        "indicators-9-horizon": "annual",
        "indicators-9-level1": "",
        "indicators-9-level2": "",
        "indicators-9-name": "",
        "indicators-9-operator": "",
        "indicators-9-value": "",
        "indicators-9-unit": "",
        "indicators-9-target_text": "",
        "indicators-9-basis": "",
        "indicators-9-ORDER": "",
        "annual_goals-TOTAL_FORMS": "4",
        "annual_goals-3-text": "按期完成网络租赁合同续签。",
        "annual_goals-3-ORDER": "",
    }

    response = post_edit(client, ny_relocation, fields, **added)

    assert response.status_code == 302
    indicators = list(ny_relocation.indicators.all())
    assert [i.name for i in indicators] == [*NY_INDICATOR_NAMES, "带动网格员就业"]
    last = indicators[-1]
    assert (last.horizon, last.level1, last.level2) == ("long_term", "benefit", "economic")
    assert (last.operator, last.value, last.unit) == ("≥", Decimal("5.5"), "人")
    assert last.basis == "按2019年实际测算"
    assert last.target_display == "≥5.5人"
    assert content_of(ny_relocation).annual_goals[-1] == "按期完成网络租赁合同续签。"


@pytest.mark.django_db
def test_reorder_delete_and_add_in_one_save(client, ny_grid, login):
    """The three table edits together, as one save of the funding table: the new order holds,
    the deleted line is gone and the added line is kept."""
    login("ny_preparer")
    fields = edit_fields(client, ny_grid)
    changes = {
        "funding-0-DELETE": "on",  # 中央 0
        "funding-3-ORDER": "1",  # 本级 12 first
        "funding-1-ORDER": "3",
        "funding-2-ORDER": "4",
        "funding-4-ORDER": "5",
        "funding-TOTAL_FORMS": "6",
        "funding-5-source": "other",
        "funding-5-amount": "0.5",
        "funding-5-ORDER": "2",
    }

    response = post_edit(client, ny_grid, fields, **changes)

    assert response.status_code == 302
    lines = [(line.source, line.amount) for line in ny_grid.funding_lines.all()]
    assert lines == [
        ("local", Decimal(12)),
        ("other", Decimal("0.5")),
        ("provincial", Decimal(0)),
        ("municipal", Decimal(0)),
        ("other", Decimal(0)),
    ]


@pytest.mark.django_db
def test_saving_over_a_newer_version_keeps_the_input(client, ny_relocation, login):
    """When the draft changed since the form was opened (another tab saved it), saving answers
    409 with a message, overwrites nothing, and keeps what was typed: the edit form shows it
    when opened again."""
    login("ny_preparer")
    stale = edit_fields(client, ny_relocation)
    assert post_edit(client, ny_relocation, edit_fields(client, ny_relocation)).status_code == 302
    ny_relocation.refresh_from_db()
    saved = content_of(ny_relocation)

    response = post_edit(client, ny_relocation, stale, name="另一个标签页里改的名称")

    assert response.status_code == 409
    assert any(m.startswith("申报表已被他人修改") for m in flash_messages(response))
    ny_relocation.refresh_from_db()
    assert content_of(ny_relocation) == saved
    assert ny_relocation.pending_input["data"]["name"] == ["另一个标签页里改的名称"]
    reopened = client.get(edit_url(ny_relocation))
    assert reopened.status_code == 200
    assert form_fields(reopened.content.decode(), "edit-form")["name"] == ["另一个标签页里改的名称"]


@pytest.mark.django_db
def test_the_special_fund_form_offers_the_seeds_nature_boxes(client, seeds, login):
    """专项属性 on seed 001 has two boxes, 新增项目 and 延续项目; the project form keeps its three
    项目性质 (seed 000 says 持续性项目)."""
    login(PREPARER_OF[NY_GRID])
    page = client.get(edit_url(seeds[NY_GRID])).content.decode()
    select = page[
        page.index('name="nature"') : page.index("</select>", page.index('name="nature"'))
    ]
    assert "新增项目" in select
    assert "延续项目" in select
    assert "持续性项目" not in select

    login(PREPARER_OF[EZ_PROJECT])
    page = client.get(edit_url(seeds[EZ_PROJECT])).content.decode()
    select = page[
        page.index('name="nature"') : page.index("</select>", page.index('name="nature"'))
    ]
    assert "持续性项目" in select
