from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from declarations.formatting import plain_number

register = template.Library()


@register.filter
def wan(value) -> str:
    """A Decimal amount in 万元 without trailing zeros."""
    return plain_number(value)


@register.filter
def cn_date(value) -> str:
    """A date as the forms write it: 2022年10月20日 (in local time for a moment)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def vertical(value) -> str:
    """Stack the characters of a short label one per line, as the paper forms do."""
    return mark_safe("<br>".join(conditional_escape(ch) for ch in str(value)))  # noqa: S308


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or None."""
    if not mapping:
        return None
    return mapping.get(key)
