"""The three declarations of the seed forms, with their real content (../shared/seeds/)."""

from datetime import date
from decimal import Decimal

from declarations.content import DeclarationContent
from declarations.models import DeclarationKind, FundingSource, Horizon, Nature

OUT, BEN, SAT = "output", "benefit", "satisfaction"
# A qualitative indicator of the 鄂州 form: level 1, level 2, name, target.
TextIndicator = tuple[str, str, str, str]


def _text(level1, level2, name, target, horizon=Horizon.ANNUAL):
    return {
        "horizon": horizon,
        "level1": level1,
        "level2": level2,
        "name": name,
        "operator": "",
        "value": None,
        "unit": "",
        "target_text": target,
        "basis": "",
    }


def _num(level1, level2, name, operator, value, unit, horizon=Horizon.ANNUAL):
    return {
        "horizon": horizon,
        "level1": level1,
        "level2": level2,
        "name": name,
        "operator": operator,
        "value": Decimal(value),
        "unit": unit,
        "target_text": "",
        "basis": "",
    }


# --- 000: 鄂州市 project expenditure, 280万 ---------------------------------------------------

_EZ_COMMON_BEFORE: list[TextIndicator] = [
    (
        OUT,
        "quantity",
        "推进市综治中心实体化运作",
        "租赁电信鄂州分公司综合楼，标准化建设和维护中心设施",
    ),
    (OUT, "quantity", "举办网格员培训班", "每年举办2场网格员业务培训会"),
]
_EZ_ANNUAL_3 = (
    OUT,
    "quantity",
    "横向联通110,119，市精卫中心等部门，纵向联通各级综治中心，每周五定期分析研判社会治安形势，编制情况周报。",
    "每周五定期分析研判社会治安形势，编制情况周报。",
)
_EZ_LONG_3 = (
    OUT,
    "quantity",
    "市综治中心成为社会治安预测预警平台。",
    "定期研判预警社会治安形势，向各地各有关部门督办预警。",
)
_EZ_COMMON_AFTER: list[TextIndicator] = [
    (
        OUT,
        "quality",
        "围绕市域社会治理，开展调查研究",
        "组织力量，依托数据，退出一批有质量的理论成果或工作建议",
    ),
    (
        OUT,
        "timeliness",
        "维护社会稳定",
        "在重大敏感节点维护政治安全，在日常维护社会安全，通过数据定期分析研判社会治安形式，及时提出工作预警",
    ),
    (
        BEN,
        "social",
        "满足群众对公平正义和法治的需求",
        "化解中心受理的矛盾纠纷，向群众普及法治常识。",
    ),
    (BEN, "ecological", "践行新时代枫桥经验", "进一步深化矛盾纠纷多元化解"),
    (BEN, "ecological", "引导基层群众自治", "推广小区网格驿站，引导群众自治"),
    (SAT, "service_satisfaction", "群众对网格员满意度", "满意度在90%以上。"),
    (SAT, "service_satisfaction", "群众对矛盾纠纷有效调处满意度", "满意度在85%以上。"),
]


def _ez_indicators(horizon: str, third: TextIndicator) -> list[dict]:
    rows = [*_EZ_COMMON_BEFORE, third, *_EZ_COMMON_AFTER]
    return [_text(*row, horizon=horizon) for row in rows]


EZHOU_PROJECT = DeclarationContent(
    fields={
        "fiscal_year": 2023,
        "name": "市综治中心专项工作经费",
        "category": "本级支出项目",
        "nature": Nature.ONGOING,
        "basis": (
            "《中央政法工作条例》第四章规定：省、市、县、乡镇（街道）社会治安综合治理中心是整合社会治理资源、"
            "创新社会治理方式的重要工作平台，由同级党委政法委员会和乡镇（街道）政法委员负责工作统筹、政策指导。\n"
            "按照2019年7月26日《中共鄂州市委常务委员会会议纪要》（第七届[2019]28号）议定：按程序设立市社会治安"
            "综合治理中心，加强与大数据中心等的协同建设，实现信息互通、资源共享。\n"
            "2020年市编办批复，同意成立鄂州市综治中心（市网格化管理服务中心），正科级公益一类事业单位，编制7人。"
        ),
        "budget": Decimal(280),
    },
    long_term_goals=[
        "把群众安全感和满意度提升作为努力方向和目标，坚持打基础、利长远、抓治理、促平安。坚持以科技应用为引领，"
        "信息化建设为支撑，充分利用物联网、人工智能、大数据等现代应用技术，加快推进“雪亮工程”、公共安全视频监控"
        "联网、综治中心“三大”信息平台建设，夯实网格化管理基础，健全网格化管理机构，推进市级综治中心建设。"
    ],
    annual_goals=[
        "项目实施严格按照规定编制编报，坚持计划先行、规划引领，注重标准，突出实效，紧紧围绕全市工作大局和政法工作"
        "实际，细化内容，严把指标，超前思维，务实实施，做到责任、措施、监督、考核“四落实”，全部符合预期效益和效果，"
        "符合正常发展状况和绩效目标要求，符合经费预算和现实发展水平。"
    ],
    indicators=_ez_indicators(Horizon.ANNUAL, _EZ_ANNUAL_3)
    + _ez_indicators(Horizon.LONG_TERM, _EZ_LONG_3),
)


# --- 001: 南岳区 special funds, 10万 and 12万 ---------------------------------------------------

_NY_PEOPLE = {
    "fiscal_year": 2020,
    "nature": Nature.NEW,
    "period_start": date(2020, 1, 1),
    "period_end": date(2020, 12, 31),
    "unit_head_name": "袁 冕",
    "owner": "邓灵杰",
    "contact_name": "旷晓红",
    "contact_phone": "13789376758",
    "remarks": "无",
}


def _ny_funding(amount: int) -> list[dict]:
    return [
        {"source": FundingSource.CENTRAL, "amount": Decimal(0)},
        {"source": FundingSource.PROVINCIAL, "amount": Decimal(0)},
        {"source": FundingSource.MUNICIPAL, "amount": Decimal(0)},
        {"source": FundingSource.LOCAL, "amount": Decimal(amount)},
        {"source": FundingSource.OTHER, "amount": Decimal(0)},
    ]


def _ny_outcomes() -> list[dict]:
    return [
        _text(BEN, "social", "有助于全区社会大局和谐稳定", "有所帮助"),
        _text(BEN, "social", "保障社会治安状况良好", "有所帮助"),
        _text(BEN, "sustainable", "体现政策导向，长期保障工作平稳进行", "影响长远"),
        _num(SAT, "service_satisfaction", "社会群众满意度", "≥", 98, "%"),
    ]


NANYUE_RELOCATION = DeclarationContent(
    fields={
        **_NY_PEOPLE,
        "name": "区综治中心搬迁、网络租赁及综治中心日常维护经费",
        "summary": "区综治中心搬迁、网络租赁及综治中心日常维护。",
        "basis": (
            "根据市委、市政府制定的《关于加强各级综治中心建设的实施意见》，解决落实综治中心专项工作经费，为综治中心"
            "开展工作提供有利条件。根据年初区委、区政府制定的《南岳区2020年“平安四型小区”和“平安村”建设实施方案》，"
            "进一步完善三级综治中心运行机制和实战功能，推进“综治中心﹢网格化管理﹢雪亮工程”的一体化综合平台建设。"
        ),
        "budget": Decimal(10),
        "measures": "综治中心整体建设已经完成两期。",
    },
    funding_lines=_ny_funding(10),
    long_term_goals=[
        "依托综治信息系统、综治视联网等平台，逐步实现对辖区内社会治安状况的实时监控、分析研判。",
        "三级综治中心实战功能得到发挥。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ],
    annual_goals=[
        "完成区综治中心的搬迁。",
        "实现区、乡镇街道、村（社区）三级共29个综治中心视频终端全覆盖。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ],
    indicators=[
        _num(OUT, "quantity", "综治中心日常维护数量", "≥", 17, "个"),
        _num(OUT, "quality", "三级综治中心连通率", "=", 100, "%"),
        _num(OUT, "timeliness", "按计划约定时间完成", "=", 100, "%"),
        _num(OUT, "cost", "全年计划总成本", "≤", 10, "万元"),
        *_ny_outcomes(),
    ],
)

NANYUE_GRID = DeclarationContent(
    fields={
        **_NY_PEOPLE,
        "name": "网格化管理工作经费",
        "summary": "全区网格化工作管理，开展网格员能力提升培训，保障日常工作正常运转经费。",
        "basis": (
            "根据年初区委、区政府制定的《南岳区2020年“平安四型小区”和“平安村”建设实施方案》，健全“区委政法委牵头、"
            "社会治理和网格信息化服务中心指导、乡镇（街道）负责、社区（村）组织、小区（村）实施、单位联创共建”的平安创建"
            "工作机制，深化网格管理。"
        ),
        "budget": Decimal(12),
        "measures": (
            "对全区联创单位、网格（55个小区及村）平安建设工作进行督导、检查；"
            "对联创单位“平安四型小区”创建工作进行考核。"
        ),
    },
    funding_lines=_ny_funding(12),
    long_term_goals=[
        "祝融街道至少新建1个“平安四型小区”，南岳镇至少新建两个“平安四型小区”。",
        "促进全区网格化管理规范化、专业化。",
        "专（兼）职网格员专业素养不断提升。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ],
    annual_goals=[
        "祝融街道至少新建1个“平安四型小区”，南岳镇至少新建两个“平安四型小区”。",
        "严格星级小区评定数量及评定标准，五星级小区数量原则上不超过20%。",
        "保障全区社会大局和谐稳定，社会治安状况良好。",
    ],
    indicators=[
        _text(OUT, "quantity", "新建“平安四型小区”", "祝融街道≥1,个，南岳镇≥2个"),
        _num(OUT, "quality", "平安四型小区合格率", "≥", 98, "%"),
        _num(OUT, "timeliness", "按计划约定时间完成", "=", 100, "%"),
        _num(OUT, "cost", "全年计划总成本", "≤", 12, "万元"),
        *_ny_outcomes(),
    ],
)

# (jurisdiction code, preparer username, kind, content)
SEED_DECLARATIONS = [
    ("ezhou", "ez_preparer", DeclarationKind.PROJECT, EZHOU_PROJECT),
    ("nanyue", "ny_preparer", DeclarationKind.SPECIAL_FUND, NANYUE_RELOCATION),
    ("nanyue", "ny_preparer", DeclarationKind.SPECIAL_FUND, NANYUE_GRID),
]
