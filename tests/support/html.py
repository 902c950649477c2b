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


class FormParser(HTMLParser):
    """The forms of a page as a browser would submit them: (action, {name: value})."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append((values.get("action", ""), self._fields))
        if self._fields is None or "disabled" in values:
            return
        name = values.get("name")
        if tag == "input" and name:
            kind = values.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in values:
                    self._fields[name] = values.get("value", "y")
            elif kind not in ("submit", "button", "file"):
                self._fields[name] = values.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = values.get("value", "")
            if "selected" in values:
                self._fields[self._select] = values.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._fields is not None:
            self._fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            self._fields.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._fields[self._textarea].startswith("\n"):
                self._fields[self._textarea] = self._fields[self._textarea][1:]  # as browsers do
            self._textarea = None
        elif tag == "form":
            self._fields = None


def forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every form of `html`: (action, the values a browser would send unchanged)."""
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_values(html: str, action: str = "") -> dict[str, str]:
    """The values of the first form posting to `action` ("" also matches a form without one)."""
    for found, values in forms(html):
        if found == action or (not found and not action):
            return dict(values)
    raise AssertionError(f"no form posting to {action!r}: {[a for a, _v in forms(html)]}")
