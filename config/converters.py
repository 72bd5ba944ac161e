"""Object ids in URLs: digits that fit a database bigint, so a huge number is a 404, not a 500."""

MAX_ID_DIGITS = 18
ID_PATTERN = f"[0-9]{{1,{MAX_ID_DIGITS}}}"


class IdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
