"""The Chinese words for the codes the records store: roles, stages, actions, decisions
and the keys and values of an audit event's details. Pages, notices, exports and the API's
`*_display` fields all read them from here, so no internal code reaches a person."""

from collections.abc import Mapping

from audit.models import AuditAction, AuditResult
from declarations.models import DeclarationKind, DeclarationStatus
from declarations.stages import Stage
from organisations.models import Role

# Rights the rulebook (review.permissions, which sits above) names besides the audit actions;
# refusals of them are logged by name. A test checks these keys against the rulebook's.
EXTRA_ACTIONS = {"return_previous": "退回上一环节", "view_refusals": "查看被拒绝的操作"}
# The decisions of review.models.Decision, whose labels these repeat (a test checks they agree).
DECISIONS = {
    "approve": "同意",
    "return_preparer": "退回填报单位",
    "return_previous": "退回上一环节",
    "reject": "不予通过",
}

DETAIL_LABELS = {
    "task": "任务编号",
    "round": "轮次",
    "entry_stage": "进入环节",
    "stamp": "签章编号",
    "from": "原办理人",
    "to": "转交给",
    "decision": "决定",
    "next_stage": "下一环节",
    "fiscal_year": "年度",
    "from_year": "原年度",
    "version": "版本",
    "name": "文件名",
    "sha256": "文件 SHA-256",
    "user": "账号",
    "role": "角色",
    "organisation": "组织",
    "jurisdiction": "财政辖区",
    "active": "有效",
    "changed": "修改的项",
    "level": "级别",
    "notified": "通知对象",
    "skipped": "未发送",
    "reason": "原因",
    "unit": "填报单位编号",
    "declaration": "申报表编号",
    "audit_log": "审计日志",
}
# Where one action gives a key another meaning.
ACTION_DETAIL_LABELS: dict[str, dict[str, str]] = {
    AuditAction.COPY: {"from": "复制自申报表编号"},
}
DEADLINE_LEVELS = {"remind": "到期提醒", "overdue": "逾期", "escalate": "升级至管理员"}
SKIP_REASONS = {
    "already overdue": "已逾期，改发逾期通知",  # reminders skipped before 2026-11-28
    "reminder": "到期提醒（已逾期，由本逾期通知代替）",
}
MEMBERSHIP_FIELDS = {
    "user": "账号",
    "role": "角色",
    "organisation": "组织",
    "jurisdiction": "财政辖区",
    "is_active": "有效",
}


def _label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:  # not one of the codes (blank, or a code no longer offered)
        return code


def role_label(code: str | None) -> str:
    """填报人 for preparer, and so on; blank stays blank."""
    return _label(Role, code or "")


def stage_label(code: str | None) -> str:
    """单位负责人 for unit_head, and so on; blank stays blank."""
    return _label(Stage, code or "")


def status_label(code: str | None) -> str:
    """草稿 for draft, and so on: get_status_display's words, without rebuilding the choices
    for each row of a list."""
    return _label(DeclarationStatus, code or "")


def kind_label(code: str | None) -> str:
    """项目支出 for project, and so on."""
    return _label(DeclarationKind, code or "")


def action_label(code: str | None) -> str:
    """同意 for approve, and so on, including the rulebook's own rights."""
    code = code or ""
    return EXTRA_ACTIONS.get(code) or _label(AuditAction, code)


def result_label(code: str | None) -> str:
    return _label(AuditResult, code or "")


def decision_label(code: str | None) -> str:
    return DECISIONS.get(code or "", code or "")


def _value_text(key: str, value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "无"
    if isinstance(value, list | tuple):
        return "、".join(_value_text(key, item) for item in value) or "无"
    if isinstance(value, Mapping):
        return "；".join(f"{label}：{text}" for label, text in detail_pairs(value))
    text = str(value)
    if key in ("entry_stage", "next_stage", "stage"):
        return stage_label(text)
    if key == "role":
        return role_label(text)
    if key == "decision":
        return decision_label(text)
    if key == "level":
        return DEADLINE_LEVELS.get(text, text)
    if key == "skipped":
        return SKIP_REASONS.get(text, text)
    if key == "changed":
        return MEMBERSHIP_FIELDS.get(text, text)
    return text


def detail_pairs(details: Mapping | None, action: str = "") -> list[tuple[str, str]]:
    """An audit event's details as (Chinese label, readable value) pairs, in stored order."""
    if not details:
        return []
    labels = {**DETAIL_LABELS, **ACTION_DETAIL_LABELS.get(action, {})}
    return [(labels.get(key, key), _value_text(key, value)) for key, value in details.items()]


def details_text(details: Mapping | None, action: str = "") -> str:
    """The details on one line: 任务编号：12；原办理人：ez_dept."""
    return "；".join(f"{label}：{value}" for label, value in detail_pairs(details, action))
