from django import template

from approvals.formatting import plain_number

register = template.Library()


@register.filter
def wan(value) -> str:
    """A Decimal amount in 万元 without trailing zeros."""
    return plain_number(value)


@register.filter
def cn_date(value) -> str:
    """A date as the forms write it: 2022年10月20日."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"
