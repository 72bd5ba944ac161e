"""The printed form reproduces each kind's official table with every value of the seed forms
(../shared/seeds/), including the review boxes with opinion, seal and date (the stamp's local
date)."""

import contextlib
import html
import re
import shutil
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders

from declarations.content import content_of
from declarations.models import Stage
from review import engine
from review import services as review
from review.models import ReviewProcess
from review.services import declaration_submit, task_approve
from tests.declarations.helpers import EZ_PROJECT, NY_GRID, NY_RELOCATION, SEED_IDS, change_content
from tests.pages import page_of, table_cells
from tests.review.helpers import (
    SEED_NAMES,
    approve_to_end,
    login,
    open_task,
    opinion_cell,
    page_text,
    people_of,
    seed,
    submit,
    user,
)


def _print(client, declaration):
    response = client.get(f"/declarations/{declaration.pk}/print/")
    assert response.status_code == 200
    return response


def _rows(response) -> list[list[str]]:
    """The rows of the form's tables (one for the special fund form, one per section of the
    project form), in page order."""
    tables = page_of(response).find_all("table", cls="form")
    assert tables, "no printed form on the page"
    return [row for table in tables for row in table_cells(table)]


def _review_titles(rows) -> list[str]:
    return [row[0] for row in rows if row and row[0].endswith("审核意见")]


def _row_starting(rows, label: str) -> list[str]:
    """The cells from `label` on, in the first row that has a cell reading `label`."""
    for row in rows:
        if label in row:
            return row[row.index(label) :]
    raise AssertionError(f"no row with a cell {label!r}: {rows}")


def _contains_run(rows, run) -> bool:
    return any(rows[i : i + len(run)] == run for i in range(len(rows) - len(run) + 1))


# --- 000: the city-level project expenditure form ----------------------------------------

EZ_BASIS = [
    "《中央政法工作条例》第四章规定：省、市、县、乡镇（街道）社会治安综合治理中心是整合社会治理资源、"
    "创新社会治理方式的重要工作平台，由同级党委政法委员会和乡镇（街道）政法委员负责工作统筹、政策指导。",
    "按照2019年7月26日《中共鄂州市委常务委员会会议纪要》（第七届[2019]28号）议定：按程序设立市社会治安"
    "综合治理中心，加强与大数据中心等的协同建设，实现信息互通、资源共享。",
    "2020年市编办批复，同意成立鄂州市综治中心（市网格化管理服务中心），正科级公益一类事业单位，编制7人。",
]
EZ_LONG_TERM_GOAL = (
    "把群众安全感和满意度提升作为努力方向和目标，坚持打基础、利长远、抓治理、促平安。坚持以科技应用为引领，"
    "信息化建设为支撑，充分利用物联网、人工智能、大数据等现代应用技术，加快推进“雪亮工程”、公共安全视频监控"
    "联网、综治中心“三大”信息平台建设，夯实网格化管理基础，健全网格化管理机构，推进市级综治中心建设。"
)
EZ_ANNUAL_GOAL = (
    "项目实施严格按照规定编制编报，坚持计划先行、规划引领，注重标准，突出实效，紧紧围绕全市工作大局和政法工作"
    "实际，细化内容，严把指标，超前思维，务实实施，做到责任、措施、监督、考核“四落实”，全部符合预期效益和效果，"
    "符合正常发展状况和绩效目标要求，符合经费预算和现实发展水平。"
)


def _ez_rows(horizon: str, third: tuple[str, str]) -> list[list[str]]:
    """(三级指标, 绩效目标分类, 指标内容) of one block, as the seed form lists them."""
    rows = [
        ("指标1：推进市综治中心实体化运作", "租赁电信鄂州分公司综合楼，标准化建设和维护中心设施"),
        ("指标2：举办网格员培训班", "每年举办2场网格员业务培训会"),
        third,
        (
            "指标1：围绕市域社会治理，开展调查研究",
            "组织力量，依托数据，退出一批有质量的理论成果或工作建议",
        ),
        (
            "指标1：维护社会稳定",
            "在重大敏感节点维护政治安全，在日常维护社会安全，通过数据定期分析研判社会治安形式，"
            "及时提出工作预警",
        ),
        ("指标1：满足群众对公平正义和法治的需求", "化解中心受理的矛盾纠纷，向群众普及法治常识。"),
        ("指标1：践行新时代枫桥经验", "进一步深化矛盾纠纷多元化解"),
        ("指标2：引导基层群众自治", "推广小区网格驿站，引导群众自治"),
        ("指标1：群众对网格员满意度", "满意度在90%以上。"),
        ("指标2：群众对矛盾纠纷有效调处满意度", "满意度在85%以上。"),
    ]
    return [[name, f"{horizon}{n:02d}", target] for n, (name, target) in enumerate(rows, 1)]


EZ_ANNUAL_ROWS = _ez_rows(
    "年度目标",
    (
        "指标3：横向联通110,119，市精卫中心等部门，纵向联通各级综治中心，每周五定期分析研判社会治安形势，"
        "编制情况周报。",
        "每周五定期分析研判社会治安形势，编制情况周报。",
    ),
)
EZ_LONG_TERM_ROWS = _ez_rows(
    "长期目标",
    (
        "指标3：市综治中心成为社会治安预测预警平台。",
        "定期研判预警社会治安形势，向各地各有关部门督办预警。",
    ),
)


@pytest.mark.django_db
def test_the_project_form_prints_every_value_of_seed_000(client, ez_project, login):
    """项目支出绩效目标申报表: name, category, nature, the three basis paragraphs, budget 280万,
    both goals, and the indicator table twice (年度目标01-10, 长期目标01-10) with level 1 and
    level 2 cells merged as on paper; the competent department's box with seal and date."""
    login("ez_preparer")
    response = _print(client, ez_project)
    text = html.unescape(response.content.decode())
    rows = _rows(response)

    assert "项目支出绩效目标申报表" in text
    assert "（ 2023 年度）" in text
    assert "填报单位（盖章）：鄂州市综治中心（市网格化管理服务中心）" in text
    # 项目名称, 项目类别 and 项目性质 share one row, as on the seed.
    assert _row_starting(rows, "项目名称") == [
        "项目名称",
        EZ_PROJECT,
        "项目类别",
        "本级支出项目",
        "项目性质",
        "持续性项目",
    ]
    basis = _row_starting(rows, "立项依据")[1]
    for paragraph in EZ_BASIS:
        assert paragraph in basis
    assert _row_starting(rows, "项目预算") == ["项目预算", "280万元"]
    assert _row_starting(rows, "长期绩效目标1") == ["长期绩效目标1", EZ_LONG_TERM_GOAL]
    assert _row_starting(rows, "年度绩效目标1") == ["年度绩效目标1", EZ_ANNUAL_GOAL]

    # The 长期绩效目标表 with 指标值 and 指标值确定依据, its long-term rows grouped as on paper.
    long_term_header = ["目标名称", "一级指标", "二级指标", "三级指标", "指标值", "指标值确定依据"]
    assert rows[rows.index(long_term_header) - 1] == ["长期绩效目标表"]
    start = rows.index(long_term_header) + 1
    long_term = rows[start : start + 10]
    assert [row[-3:-1] for row in long_term] == [
        [name, target] for name, _c, target in EZ_LONG_TERM_ROWS
    ]
    assert long_term[0][:3] == ["长期目标", "产出指标", "数量指标"]
    assert long_term[1] == [EZ_LONG_TERM_ROWS[1][0], EZ_LONG_TERM_ROWS[1][2], ""]

    header = ["目标名称", "一级指标", "二级指标", "三级指标", "绩效目标分类", "指标内容"]
    start = rows.index(header) + 1
    table = rows[start : start + 20]
    assert [row[-3:] for row in table] == EZ_ANNUAL_ROWS + EZ_LONG_TERM_ROWS
    # Merged cells: the horizon, level 1 and level 2 are written once where their group starts.
    assert table[0][:3] == ["年度目标", "产出指标", "数量指标"]
    assert table[1] == EZ_ANNUAL_ROWS[1]
    assert table[3][0] == "质量指标"
    assert table[4][0] == "时效指标"
    assert table[5][:2] == ["效益指标", "社会效益指标"]
    assert table[6][0] == "生态效益指标"
    assert table[8][:2] == ["满意度指标", "服务对象满意度指标"]
    assert table[10][:3] == ["长期目标", "产出指标", "数量指标"]

    # The seed's rows only: no 主管部门 / 联系人 row, no remarks row when there are none, and
    # the one review box seed 000 has.
    assert not any("主管部门" in row for row in rows)
    assert not any("其他需要说明的问题" in row for row in rows)
    assert _review_titles(rows) == ["主管部门审核意见"]
    department = _row_starting(rows, "主管部门审核意见")
    assert "审核意见：" in department[1]
    assert "（盖章）" in department[1]
    assert re.search(r"（盖章）\s*年\s*月\s*日", department[1])


# --- 001: the district-level special fund form -------------------------------------------

NY_COMMON_OUTCOMES = [
    ["效益指标", "社会效益指标", "有助于全区社会大局和谐稳定", "有所帮助"],
    ["保障社会治安状况良好", "有所帮助"],
    ["可持续影响指标", "体现政策导向，长期保障工作平稳进行", "影响长远"],
    ["满意度指标", "服务对象满意度指标", "社会群众满意度", "≥98%"],
]
NY_EXPECTED = {
    NY_RELOCATION: {
        "summary": "区综治中心搬迁、网络租赁及综治中心日常维护。",
        "basis": (
            "根据市委、市政府制定的《关于加强各级综治中心建设的实施意见》，解决落实综治中心专项工作经费，为综治中心"
            "开展工作提供有利条件。根据年初区委、区政府制定的《南岳区2020年“平安四型小区”和“平安村”建设实施方案》，"
            "进一步完善三级综治中心运行机制和实战功能，推进“综治中心﹢网格化管理﹢雪亮工程”的一体化综合平台建设。"
        ),
        "funding": ["10", "0", "0", "0", "10", "0"],
        "measures": "综治中心整体建设已经完成两期。",
        "long_term": [
            "依托综治信息系统、综治视联网等平台，逐步实现对辖区内社会治安状况的实时监控、分析研判。",
            "三级综治中心实战功能得到发挥。",
            "保障全区社会大局和谐稳定，社会治安状况良好。",
        ],
        "annual": [
            "完成区综治中心的搬迁。",
            "实现区、乡镇街道、村（社区）三级共29个综治中心视频终端全覆盖。",
            "保障全区社会大局和谐稳定，社会治安状况良好。",
        ],
        "indicators": [
            ["产出指标", "数量指标", "综治中心日常维护数量", "≥17个"],
            ["质量指标", "三级综治中心连通率", "=100%"],
            ["时效指标", "按计划约定时间完成", "=100%"],
            ["成本指标", "全年计划总成本", "≤10万元"],
            *NY_COMMON_OUTCOMES,
        ],
    },
    NY_GRID: {
        "summary": "全区网格化工作管理，开展网格员能力提升培训，保障日常工作正常运转经费。",
        "basis": (
            "根据年初区委、区政府制定的《南岳区2020年“平安四型小区”和“平安村”建设实施方案》，健全“区委政法委牵头、"
            "社会治理和网格信息化服务中心指导、乡镇（街道）负责、社区（村）组织、小区（村）实施、单位联创共建”的平安创建"
            "工作机制，深化网格管理。"
        ),
        "funding": ["12", "0", "0", "0", "12", "0"],
        "measures": (
            "对全区联创单位、网格（55个小区及村）平安建设工作进行督导、检查；"
            "对联创单位“平安四型小区”创建工作进行考核。"
        ),
        "long_term": [
            "祝融街道至少新建1个“平安四型小区”，南岳镇至少新建两个“平安四型小区”。",
            "促进全区网格化管理规范化、专业化。",
            "专（兼）职网格员专业素养不断提升。",
            "保障全区社会大局和谐稳定，社会治安状况良好。",
        ],
        "annual": [
            "祝融街道至少新建1个“平安四型小区”，南岳镇至少新建两个“平安四型小区”。",
            "严格星级小区评定数量及评定标准，五星级小区数量原则上不超过20%。",
            "保障全区社会大局和谐稳定，社会治安状况良好。",
        ],
        "indicators": [
            ["产出指标", "数量指标", "新建“平安四型小区”", "祝融街道≥1,个，南岳镇≥2个"],
            ["质量指标", "平安四型小区合格率", "≥98%"],
            ["时效指标", "按计划约定时间完成", "=100%"],
            ["成本指标", "全年计划总成本", "≤12万元"],
            *NY_COMMON_OUTCOMES,
        ],
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", [NY_RELOCATION, NY_GRID], ids=SEED_IDS[1:])
def test_the_special_fund_form_prints_every_value_of_seed_001(client, seeds, login, name):
    """专项资金预算绩效目标申报表: unit and head, name, 新增项目☑ 延续项目□, 区委政法委,
    2020年元月-12月, 邓灵杰, 旷晓红13789376758, summary, basis, the funding row by source,
    measures, numbered goals, the 3-level indicator table with its targets, remarks 无, and the
    two finance-bureau boxes with seal and date."""
    expected = NY_EXPECTED[name]
    login("ny_preparer")
    response = _print(client, seeds[name])
    text = html.unescape(response.content.decode())
    rows = _rows(response)

    assert "专项资金预算绩效目标申报表" in text
    assert "（ 2020 年度）" in text
    assert "填报单位（盖章）：南岳区社会治理和网格信息化服务中心" in text
    assert "单位负责人：袁 冕" in text
    assert _row_starting(rows, "专项名称") == ["专项名称", name]
    nature = _row_starting(rows, "专项属性")[1]
    assert "新增项目☑" in nature
    assert "延续项目□" in nature
    assert "持续性项目" not in nature  # the seed offers two boxes
    assert _row_starting(rows, "主管部门") == [
        "主管部门",
        "区委政法委",
        "专项起止时间",
        "2020年元月-12月",
    ]
    assert _row_starting(rows, "专项负责人") == [
        "专项负责人",
        "邓灵杰",
        "联系人及电话",
        "旷晓红13789376758",
    ]
    assert _row_starting(rows, "专项概况") == ["专项概况", expected["summary"]]
    assert _row_starting(rows, "专项立项依据") == ["专项立项依据", expected["basis"]]
    assert _row_starting(rows, "本年度预计投入（万元）") == [
        "本年度预计投入（万元）",
        "财政资金（万元）",
        "其他",
    ]
    assert _contains_run(rows, [["中央", "省级", "市级资金", "本级"], expected["funding"]])
    assert _row_starting(rows, "单位已有的保证专项实施的制度、措施") == [
        "单位已有的保证专项实施的制度、措施",
        expected["measures"],
    ]
    long_term = _row_starting(rows, "中长期绩效目标")[1]
    for number, goal in enumerate(expected["long_term"], 1):
        assert f"{number}.{goal}" in long_term
    annual = _row_starting(rows, "本年度绩效目标")[1]
    for number, goal in enumerate(expected["annual"], 1):
        assert f"{number}.{goal}" in annual

    header = ["专项年度绩效指标", "一级指标", "二级指标", "三级指标内容", "指标值及单位"]
    assert _contains_run(rows, [header, *expected["indicators"]])
    assert _row_starting(rows, "其他需要说明的问题") == ["其他需要说明的问题", "无"]
    assert _review_titles(rows) == ["财政部门业务股室审核意见", "财政部门监督绩效股审核意见"]
    for title in ("财政部门业务股室审核意见", "财政部门监督绩效股审核意见"):
        box = _row_starting(rows, title)[1]
        assert "（盖章）" in box
        assert re.search(r"（盖章）\s*年\s*月\s*日", box)


@pytest.mark.django_db
def test_review_opinions_print_with_opinion_seal_and_date(client, ez_project, login, demo):
    """Once the unit head and the competent department agree, their boxes on the printed form
    show the opinion 同意, the seal (市委政法委) and the date (2022年10月20日), as on seed 000."""
    with time_machine.travel("2022-10-20 10:00 +0800", tick=False):
        declaration_submit(actor=demo.user("ez_preparer"), declaration_id=ez_project.pk)
        for reviewer in ("ez_head", "ez_dept"):
            task = engine.open_task(ReviewProcess.objects.current_for(ez_project))
            task_approve(actor=demo.user(reviewer), task_id=task.pk, opinion="同意")

    login("ez_preparer")
    response = _print(client, ez_project)
    rows = _rows(response)

    department = _row_starting(rows, "主管部门审核意见")[1]
    assert "审核意见：同意" in department
    assert "市委政法委（盖章）" in department
    assert "2022年10月20日" in department
    # The unit head has no box on seed 000: their stamp prints under the form, not as a row.
    assert _review_titles(rows) == ["主管部门审核意见"]
    appendix = table_cells(page_of(response).find("table", cls="stamps-appendix"))
    assert [row[0] for row in appendix] == ["单位负责人审核意见"]
    assert "审核意见：同意" in appendix[0][1]
    assert "2022年10月20日" in appendix[0][1]


@pytest.mark.django_db
def test_typed_markup_is_printed_as_text(client, ny_grid, login):
    """Whatever a preparer types is shown as text, never run as markup."""
    change_content(
        ny_grid,
        lambda c: (
            c.fields.update(name="<script>alert(1)</script>经费", summary="<b>概况</b>"),
            c.indicators[0].update(name="<img src=x onerror=alert(1)>"),
        ),
    )
    login("ny_preparer")
    response = _print(client, ny_grid)
    raw = response.content.decode()
    assert "<script>alert(1)</script>" not in raw
    assert "<img src=x" not in raw
    rows = _rows(response)
    assert _row_starting(rows, "专项名称") == ["专项名称", "<script>alert(1)</script>经费"]
    assert _row_starting(rows, "专项概况") == ["专项概况", "<b>概况</b>"]
    assert "<img src=x onerror=alert(1)>" in html.unescape(raw)


@pytest.mark.django_db
def test_printed_dates_are_the_local_date_of_the_stamp(client, demo):
    """A stamp made at 01:30 Beijing time (17:30 UTC the day before) is dated with the local
    day on the printed form: 2026年11月22日, not the 21st."""
    declaration = seed(SEED_NAMES[2])
    people = people_of(declaration)
    with time_machine.travel(datetime(2026, 11, 21, 17, 30, tzinfo=UTC), tick=True):
        review.declaration_submit(actor=user(people.preparer), declaration_id=declaration.pk)
        review.task_approve(
            actor=user(people.reviewers[Stage.UNIT_HEAD]), task_id=open_task(declaration).pk
        )
    stamp = declaration.stamps.get(stage=Stage.UNIT_HEAD)
    assert stamp.stamped_at.date().day == 21  # UTC
    login(client, people.preparer)
    html = page_text(client.get(f"/declarations/{declaration.pk}/print/"))
    cell = opinion_cell(html, Stage.UNIT_HEAD)
    assert "2026年11月22日" in cell
    assert "2026年11月21日" not in html
    assert f"填报单位（盖章）：{people.unit}" in html


@pytest.mark.django_db
def test_the_basis_prints_in_the_long_term_table_and_adds_no_column(client, seeds, login):
    """指标值确定依据 has its column in seed 000's 长期绩效目标表 only; seed 001 has no such
    column, so a special fund's basis adds none."""
    long_term_row = next(
        i
        for i, row in enumerate(content_of(seeds[EZ_PROJECT]).indicators)
        if row["horizon"] == "long_term"
    )
    change_content(
        seeds[EZ_PROJECT], lambda c: c.indicators[long_term_row].update(basis="市编办批复")
    )
    change_content(seeds[NY_GRID], lambda c: c.indicators[0].update(basis="上年完成数"))

    login("ez_preparer")
    rows = _rows(_print(client, seeds[EZ_PROJECT]))
    header = ["目标名称", "一级指标", "二级指标", "三级指标", "指标值", "指标值确定依据"]
    first = rows[rows.index(header) + 1]
    assert first[-1] == "市编办批复"
    assert all("市编办批复" not in cell for row in rows[rows.index(header) + 11 :] for cell in row)

    login("ny_preparer")
    response = _print(client, seeds[NY_GRID])
    rows = _rows(response)
    assert ["专项年度绩效指标", "一级指标", "二级指标", "三级指标内容", "指标值及单位"] in rows
    assert not any("指标值确定依据" in row for row in rows)
    assert "上年完成数" not in response.content.decode()


@pytest.mark.django_db
def test_a_special_fund_still_marked_ongoing_keeps_its_nature_in_words(client, ny_grid, login):
    """A special fund saved as 持续性项目 before the form offered two boxes: neither box is
    ticked and the nature still prints, so nothing is lost."""
    change_content(ny_grid, lambda c: c.fields.update(nature="ongoing"))
    login("ny_preparer")
    nature = _row_starting(_rows(_print(client, ny_grid)), "专项属性")[1]
    assert "新增项目□" in nature
    assert "延续项目□" in nature
    assert "（持续性项目）" in nature


def _pdf_pages(pdf: bytes) -> list[int]:
    """Text runs drawn on each page of a Chromium PDF (content streams are deflated)."""
    objects = dict(re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S))
    pages = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page(?!s)", body):
            continue
        reference = re.search(rb"/Contents\s+(\d+) 0 R", body)
        stream = objects.get(reference.group(1), b"") if reference else b""
        data = re.search(rb"stream\r?\n(.*?)endstream", stream, re.S)
        raw = data.group(1) if data else b""
        with contextlib.suppress(zlib.error):
            raw = zlib.decompress(raw)
        pages.append(len(re.findall(rb"T[Jj]", raw)))
    return pages


def _print_to_pdf(client, declaration, tmp_path) -> list[int]:
    html = _print(client, declaration).content.decode()
    for name in ("approvals/app.css", "approvals/print.css"):
        html = html.replace(f"/static/{name}", Path(finders.find(name)).as_uri())
    page = tmp_path / "form.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "form.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return _pdf_pages(pdf.read_bytes())


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.django_db
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name", [EZ_PROJECT, NY_RELOCATION, NY_GRID], ids=SEED_IDS)
def test_printed_pages_are_a4_without_a_near_empty_page(client, seeds, login, demo, tmp_path, name):
    """Printed by Chromium on A4, as a draft and once approved through every stage (the stamps
    take room): a special fund form is one page, as seed 001; no page of any form carries less
    than a quarter of the fullest page's text."""
    declaration = seeds[name]
    login("admin")
    for state in ("draft", "approved"):
        if state == "approved":
            approve_to_end(submit(declaration))
        pages = _print_to_pdf(client, declaration, tmp_path)
        if declaration.kind == "special_fund":
            assert len(pages) == 1, (state, pages)
        assert min(pages) >= max(pages) / 4, (state, pages)
