"""Excel exports: one declaration with its indicator table, and the filtered list."""

from decimal import Decimal
from urllib.parse import quote

import pytest

from review.drafts import declaration_copy
from review.services import declaration_submit
from tests.declarations.helpers import (
    EZ_PROJECT,
    NY_GRID,
    NY_RELOCATION,
    PREPARER_OF,
    SEED_IDS,
    listed_in_export,
    sheet_rows,
    workbook_of,
)

INDICATOR_HEADER = [
    "绩效目标分类",
    "目标期限",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
    "指标值确定依据",
]


def _ny_rows(quantity: tuple, quality: tuple, cost: str) -> list[list]:
    rows = [
        ("产出指标", "数量指标", *quantity),
        ("产出指标", "质量指标", *quality),
        ("产出指标", "时效指标", "按计划约定时间完成", "=100%"),
        ("产出指标", "成本指标", "全年计划总成本", cost),
        ("效益指标", "社会效益指标", "有助于全区社会大局和谐稳定", "有所帮助"),
        ("效益指标", "社会效益指标", "保障社会治安状况良好", "有所帮助"),
        ("效益指标", "可持续影响指标", "体现政策导向，长期保障工作平稳进行", "影响长远"),
        ("满意度指标", "服务对象满意度指标", "社会群众满意度", "≥98%"),
    ]
    return [[f"年度目标{n:02d}", "年度目标", *row] for n, row in enumerate(rows, 1)]


EXPECTED_INDICATORS = {
    NY_RELOCATION: _ny_rows(
        ("综治中心日常维护数量", "≥17个"), ("三级综治中心连通率", "=100%"), "≤10万元"
    ),
    NY_GRID: _ny_rows(
        ("新建“平安四型小区”", "祝融街道≥1,个，南岳镇≥2个"),
        ("平安四型小区合格率", "≥98%"),
        "≤12万元",
    ),
}


def _export(client, declaration):
    return client.get(f"/declarations/{declaration.pk}/export.xlsx")


@pytest.mark.django_db
@pytest.mark.parametrize("name", [NY_RELOCATION, NY_GRID], ids=SEED_IDS[1:])
def test_the_indicator_sheet_has_a_header_and_one_row_per_indicator(client, seeds, login, name):
    """Sheet 绩效指标: the header, then each indicator in order with its code, horizon, levels,
    name and target as the form writes it; no other rows."""
    login(PREPARER_OF[name])
    book = workbook_of(_export(client, seeds[name]))

    rows = sheet_rows(book["绩效指标"])

    assert rows[0] == INDICATOR_HEADER
    assert [row[:6] for row in rows[1:]] == EXPECTED_INDICATORS[name]


@pytest.mark.django_db
def test_the_project_indicator_sheet_lists_both_horizons(client, ez_project, login):
    """The 鄂州 project: 20 rows, 年度目标01-10 then 长期目标01-10, every name and target."""
    login("ez_preparer")
    rows = sheet_rows(workbook_of(_export(client, ez_project))["绩效指标"])

    assert rows[0] == INDICATOR_HEADER
    body = rows[1:]
    assert len(body) == 20
    assert [row[0] for row in body] == [f"年度目标{n:02d}" for n in range(1, 11)] + [
        f"长期目标{n:02d}" for n in range(1, 11)
    ]
    assert [row[1] for row in body] == ["年度目标"] * 10 + ["长期目标"] * 10
    assert body[0][2:6] == [
        "产出指标",
        "数量指标",
        "推进市综治中心实体化运作",
        "租赁电信鄂州分公司综合楼，标准化建设和维护中心设施",
    ]
    assert body[12][4] == "市综治中心成为社会治安预测预警平台。"
    assert body[19][2:6] == [
        "满意度指标",
        "服务对象满意度指标",
        "群众对矛盾纠纷有效调处满意度",
        "满意度在85%以上。",
    ]


def _by_label(sheet) -> dict:
    return {row[0]: row[1] for row in sheet_rows(sheet) if row[0] is not None}


@pytest.mark.django_db
def test_the_export_holds_the_whole_declaration(client, ny_grid, login):
    """Sheet 申报表 has the basic data, 资金来源 the funding by source, 审核意见 the four boxes;
    the file is named after the year and the declaration."""
    login("ny_preparer")
    response = _export(client, ny_grid)
    book = workbook_of(response)

    assert book.sheetnames == ["申报表", "资金来源", "绩效指标", "审核意见"]
    assert (
        f"filename*=UTF-8''{quote('2020-网格化管理工作经费.xlsx')}"
        in (response["Content-Disposition"])
    )
    info = _by_label(book["申报表"])
    assert info["申报表"] == "专项资金预算绩效目标申报表"
    assert info["年度"] == 2020
    assert info["填报单位"] == "南岳区社会治理和网格信息化服务中心"
    assert info["单位负责人"] == "袁 冕"
    assert info["项目（专项）名称"] == NY_GRID
    assert info["项目性质"] == "新增项目"
    assert info["起止时间"] == "2020年元月-12月"
    assert info["专项负责人"] == "邓灵杰"
    assert info["联系人"] == "旷晓红"
    assert info["联系电话"] == "13789376758"
    assert Decimal(str(info["项目预算（万元）"])) == Decimal(12)
    assert info["中长期绩效目标2"] == "促进全区网格化管理规范化、专业化。"
    assert info["年度绩效目标3"] == "保障全区社会大局和谐稳定，社会治安状况良好。"
    assert info["其他需要说明的问题"] == "无"
    assert info["状态"] == "草稿"
    funding = _by_label(book["资金来源"])
    del funding["资金来源"]
    assert funding == {"中央": 0, "省级": 0, "市级": 0, "本级": 12, "其他": 0}
    opinions = [row[0] for row in sheet_rows(book["审核意见"])[1:] if row[0]]
    assert opinions == [
        "单位负责人审核意见",
        "主管部门审核意见",
        "财政部门业务股室审核意见",
        "财政部门监督绩效股审核意见",
    ]


LIST_HEADER = [
    "编号",
    "年度",
    "填报单位",
    "主管部门",
    "类型",
    "名称",
    "项目性质",
    "预算（万元）",
    "状态",
    "当前环节",
    "提交时间",
    "更新时间",
]


@pytest.mark.django_db
def test_the_list_export_has_one_row_per_visible_declaration(client, seeds, login):
    """The list export: the header, then exactly one row per declaration the user can see."""
    login("ny_preparer")
    rows = sheet_rows(workbook_of(client.get("/declarations/export.xlsx")).active)

    assert rows[0] == LIST_HEADER
    assert len(rows) == 3
    by_name = {row[5]: row for row in rows[1:]}
    assert set(by_name) == {NY_RELOCATION, NY_GRID}
    grid = by_name[NY_GRID]
    assert grid[0] == seeds[NY_GRID].pk
    assert grid[1:5] == [
        2020,
        "南岳区社会治理和网格信息化服务中心",
        "中共南岳区委政法委员会",
        "专项资金",
    ]
    assert grid[6] == "新增项目"
    assert Decimal(str(grid[7])) == Decimal(12)
    assert grid[8] == "草稿"


@pytest.mark.django_db
def test_the_list_export_follows_the_year_and_status_filters(client, seeds, login, demo):
    """?year= and ?status= choose the rows of the export as they choose those of the list."""
    preparer = demo.user("ny_preparer")
    copy = declaration_copy(actor=preparer, source_id=seeds[NY_RELOCATION].pk)
    declaration_submit(actor=preparer, declaration_id=seeds[NY_GRID].pk)
    login("ny_preparer")

    def export(query: str) -> list[str]:
        return sorted(listed_in_export(client.get(f"/declarations/export.xlsx{query}")))

    assert export("") == sorted([NY_RELOCATION, NY_GRID, copy.name])
    assert export("?year=2021") == [NY_RELOCATION]
    assert export("?year=2020") == sorted([NY_RELOCATION, NY_GRID])
    assert export("?year=2019") == []
    assert export("?status=submitted") == [NY_GRID]
    assert export("?status=draft") == [NY_RELOCATION, NY_RELOCATION]
    assert export("?year=2020&status=draft") == [NY_RELOCATION]
    rows = sheet_rows(workbook_of(client.get("/declarations/export.xlsx?status=submitted")).active)
    submitted = next(row for row in rows[1:] if row[5] == NY_GRID)
    assert submitted[8] == "审核中"
    assert submitted[9] == "单位负责人"
    assert submitted[10] is not None, "the time of submission"


@pytest.mark.django_db
def test_a_project_exports_with_its_category(client, ez_project, login):
    """The 鄂州 project's sheet 申报表 carries category, nature and budget 280."""
    login("ez_preparer")
    info = _by_label(workbook_of(_export(client, ez_project))["申报表"])
    assert info["申报表"] == "项目支出绩效目标申报表"
    assert info["项目（专项）名称"] == EZ_PROJECT
    assert info["项目类别"] == "本级支出项目"
    assert info["项目性质"] == "持续性项目"
    assert Decimal(str(info["项目预算（万元）"])) == Decimal(280)
    assert info["立项依据"].startswith("《中央政法工作条例》第四章规定")
