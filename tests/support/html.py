"""Reading a page as the crawler and the form tests need it: links, options per select, attributes."""

from __future__ import annotations

from html.parser import HTMLParser


class LinkParser(HTMLParser):
    """Collects `<a href>` targets, `<option>` values per select, and attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.options: dict[str, list[str]] = {}
        self.attributes: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.attributes.extend((tag, name, value) for name, value in values.items())
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "select":
            self._select = values.get("name") or values.get("id") or ""
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse(html: str) -> LinkParser:
    """The links, options and attributes of `html`."""
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    return parser
