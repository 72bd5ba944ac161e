"""Read pages as a person sees them: the text of an element, table rows, messages by place.

A tiny DOM over html.parser, enough to say "this message is shown next to this field / row".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)  # Element or str
    parent: Element | None = None

    @property
    def text(self) -> str:
        """The element's text, as one string, without surrounding blanks."""
        return "".join(self._texts()).strip()

    def _texts(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def elements(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.elements()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs):
        return [
            e
            for e in self.elements()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag or '*'} class={cls!r} {attrs}> on the page"
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.find(id=element_id)

    def children_tagged(self, tag: str) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element) and c.tag == tag]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, [])
        element.parent = self.current
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, [])
        element.parent = self.current
        self.current.children.append(element)

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def page_of(response) -> Element:
    return parse(response.content.decode())


def _items(element: Element | None) -> list[str]:
    if element is None:
        return []
    return [li.text for ul in element.find_all("ul", cls="errorlist") for li in ul.find_all("li")]


def flash_messages(response) -> list[str]:
    """The messages at the top of the page (django.contrib.messages), NBSP as a space."""
    page = page_of(response)
    return [
        li.text.replace("\xa0", " ")
        for ul in page.find_all("ul", cls="messages")
        for li in ul.find_all("li")
    ]


def field_messages(response, name: str) -> list[str]:
    """Messages shown in the box of one field of the edit form."""
    return _items(page_of(response).by_id(f"field-{name}"))


def table_messages(response, prefix: str) -> list[str]:
    """Messages shown above one table of the edit form (not those on its rows)."""
    section = page_of(response).by_id(f"section-{prefix}")
    return [
        li.text
        for ul in section.children_tagged("ul")
        if "errorlist" in ul.classes
        for li in ul.find_all("li")
    ]


def general_messages(response) -> list[str]:
    """Messages about the declaration as a whole, shown above the edit form."""
    page = page_of(response)
    return [li.text for ul in page.find_all("ul", cls="card") for li in ul.find_all("li")]


def row_messages(response, prefix: str) -> list[list[str]]:
    """For each row of one table of the edit form, in order, the messages shown on that row."""
    body = page_of(response).by_id(f"table-{prefix}").find("tbody")
    rows: list[list[str]] = []
    for tr in body.children_tagged("tr"):
        if "form-row" in tr.classes:
            rows.append(_items(tr))
        elif "row-error-line" in tr.classes:
            assert rows, "row errors before any row"
            rows[-1].extend(li.text for li in tr.find_all("li"))
    return rows


def table_cells(element: Element) -> list[list[str]]:
    """The text of every cell (td/th) of every row of a table, row by row."""
    return [
        [cell.text for cell in tr.elements() if cell.tag in ("td", "th")]
        for tr in element.find_all("tr")
    ]


# Elements whose text a reader never sees.
UNSEEN = {"script", "style", "template", "noscript"}


def visible_text(element: Element) -> str:
    """The text a reader sees on the page (scripts, styles and templates left out), with each
    element's text separated by a line break."""
    parts: list[str] = []

    def walk(node: Element) -> None:
        if node.tag in UNSEEN or "hidden" in node.attrs:
            return
        for child in node.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                walk(child)
        parts.append("\n")

    walk(element)
    return "".join(parts)
