"""How numbers and money are written on the forms."""

from decimal import Decimal


def plain_number(value: Decimal | int | None) -> str:
    """Write a Decimal as the forms do: 280, 10.5, 0.0125; never 280.0000 or 2.8E+2."""
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
