"""Template filters that turn the codes the records store into the Chinese words people read
(declarations.labels decides the words)."""

from django import template

from declarations import labels

register = template.Library()


@register.filter
def role_label(code) -> str:
    """{{ event.role|role_label }} -> 单位负责人."""
    return labels.role_label(code)


@register.filter
def stage_label(code) -> str:
    """{{ task.stage|stage_label }} -> 主管部门."""
    return labels.stage_label(code)


@register.filter
def result_label(code) -> str:
    """{{ event.result|result_label }} -> 成功."""
    return labels.result_label(code)


@register.filter
def status_label(code) -> str:
    """{{ declaration.status|status_label }} -> 已提交."""
    return labels.status_label(code)


@register.filter
def kind_label(code) -> str:
    """{{ declaration.kind|kind_label }} -> 项目支出."""
    return labels.kind_label(code)


@register.filter
def action_label(code) -> str:
    """{{ event.action|action_label }} -> 同意 (also the rulebook's own rights)."""
    return labels.action_label(code)


@register.filter
def detail_pairs(event) -> list[tuple[str, str]]:
    """{% for label, value in event|detail_pairs %}: an audit event's details in words."""
    return labels.detail_pairs(event.details, event.action)
