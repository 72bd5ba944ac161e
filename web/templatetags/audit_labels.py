"""Audit events in words: role and stage codes by their labels, details as a sentence."""

from django import template

from declarations import exports

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    return exports.role_label(code)


@register.filter
def stage_label(code: str) -> str:
    return exports.stage_label(code)


@register.filter
def details_text(details: dict) -> str:
    return exports.details_text(details)
