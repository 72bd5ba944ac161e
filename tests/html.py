"""Read a page the way a browser would submit it: the values of one form's fields."""

from html import unescape
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # >0 while inside the wanted form
        self.in_template = 0
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._option_value: str | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "form":
            if self.depth or self.form_id is None or attrs.get("id") == self.form_id:
                self.depth += 1
            return
        if not self.depth:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            self._option_value = attrs.get("value")
            self._option_text = ""
            if "selected" in attrs:
                self._select_value = self._option_value
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
            return
        if self.in_template:
            return
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "option" and self._select:
            value = self._option_value if self._option_value is not None else self._option_text
            if self._first_option is None:
                self._first_option = value
        elif tag == "select" and self._select:
            chosen = self._select_value if self._select_value is not None else self._first_option
            self.data.append((self._select, chosen or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = self._textarea_text
            # Django renders a newline right after <textarea>; browsers drop it.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self.data.append((self._textarea, text))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea_text += data
        elif self._select and self._option_value is not None:
            self._option_text += data


def form_fields(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """The values a browser would submit from the form (every form when form_id is None)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in reader.data:
        fields.setdefault(name, []).append(unescape(value) if "&" in value else value)
    return fields


def post_data(fields: dict[str, list[str]], **changes) -> dict:
    """Fields as a dict for the test client; single values unwrapped, changes applied."""
    data = {k: v if len(v) > 1 else v[0] for k, v in fields.items()}
    data.update(changes)
    return data
