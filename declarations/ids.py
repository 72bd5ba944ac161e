"""Object ids as they travel in URLs and forms: digits that fit a database bigint, so a huge
number is a 404 or a clear error, never a 500."""

import re

MAX_ID_DIGITS = 18
ID_PATTERN = f"[0-9]{{1,{MAX_ID_DIGITS}}}"
MAX_ID = 10**MAX_ID_DIGITS - 1
ID = re.compile(ID_PATTERN)


def parse_id(value) -> int | None:
    """An id from user input, or None when it is not one (never raises)."""
    value = str(value or "").strip()
    return int(value) if ID.fullmatch(value) else None


class IdConverter:
    """The `<id:...>` path converter."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
