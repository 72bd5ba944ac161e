"""Reading raw request parameters safely: ids that fit the database, text without NUL bytes."""

import re

ID = re.compile(r"[0-9]{1,18}")


def parse_id(value) -> int | None:
    """An id from user input, or None when it is not one (never raises)."""
    value = str(value or "").strip()
    return int(value) if ID.fullmatch(value) else None


class StripNullCharactersMiddleware:
    """Drop NUL bytes from query and form parameters: PostgreSQL cannot store them in text, and a
    pasted control character should not turn a reviewer's opinion into a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in ("GET", "POST"):
            params = getattr(request, name)
            if any(
                "\x00" in key or any("\x00" in v for v in params.getlist(key)) for key in params
            ):
                cleaned = params.copy()
                for key in list(cleaned):
                    values = [v.replace("\x00", "") for v in cleaned.getlist(key)]
                    del cleaned[key]
                    cleaned.setlist(key.replace("\x00", ""), values)
                setattr(request, name, cleaned)
        return self.get_response(request)
