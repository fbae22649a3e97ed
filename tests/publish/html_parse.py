"""A small HTML reader for the report tests (stdlib only): elements with their attributes and
text, and the ones matching a tag and class."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# HTML's void elements; SVG elements are either closed or self-closing (`<rect .../>`)
VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr", "area", "base",
        "embed", "track"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        out = [self] if self.tag == tag and (cls is None or cls in self.classes) else []
        for child in self.children:
            out.extend(child.find_all(tag, cls))
        return out

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.walk() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"#{element_id}: {len(found)} elements"
        return found[0]

    def walk(self) -> list[Element]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def parse_html(text: str) -> Element:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root
