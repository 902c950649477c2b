"""Every page of the demo, in each language, as each role: no English sentence left.

The demo's own content (titles, clause texts, comments, names: user data, written in English)
is taken out first: any text that is part of a string stored in the database. What remains is
the interface's. A text is English when it is an English message of the catalogue that the
language translates differently, or when it holds two or more English function words
("the", "your", ...). Proper names and codes that stay as they are are allowed.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

from consult.auth.models import User
from consult.db import Base
from consult.demo import load_demo
from tests.support.state import release
from tests.web.test_crawl import same_host

TRANSLATIONS = Path(__file__).resolve().parents[2] / "consult" / "translations"
LANGUAGES = ("fr", "es", "ru", "zh", "ar")
ROLES = {
    "anonymous": None,
    "participant": "gov@demo.example",
    "focal point": "focal@demo.example",
    "moderator": "moderator@demo.example",
    "organiser": "organiser@demo.example",
    "admin": "admin@demo.example",
}
PAGES_PER_ROLE = 45
FILES = (".csv", ".xlsx", ".docx", ".json", ".pdf")
# Words that are English in every language here: the product, codes, formats, names.
ALLOWED_TEXT = {"consult", "ISO", "IEC", "MB/NC", "CSV", "XLSX", "JSON", "PDF", "HTML", "API", "OpenAPI", "UTC"}
STOPWORDS = {
    "the", "and", "of", "to", "is", "are", "your", "you", "this", "that", "with", "for", "from",
    "has", "have", "not", "be", "will", "can", "by", "was", "were", "which", "who", "what",
    "when", "there", "their", "they", "or", "at", "all", "been", "its", "it", "into", "here",
}  # fmt: skip
SKIPPED_TAGS = {"script", "style", "code", "pre", "textarea"}
ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "aria-description"}
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“]*“|\"[^\"]*\"")


class TextParser(HTMLParser):
    """The page's texts a person reads: text nodes and the attributes read out or shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in SKIPPED_TAGS:
            self._skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.texts.append(value)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def normal(text: str) -> str:
    return " ".join(text.split())


def english_messages(code: str) -> set[str]:
    """The English messages (whole, without placeholders) that `code` translates differently."""
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=code)
    found = set()
    for message in catalogue:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for msgid in ids:
            if msgid and "%(" not in msgid and msgid not in strings and normal(msgid) not in ALLOWED_TEXT:
                found.add(normal(msgid))
    return found


def stored_text(session) -> str:
    """Every string stored in the database, one a line: the demo's content and names."""
    values = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                if isinstance(value, str) and value:
                    values.append(normal(re.sub(r"<[^>]+>", " ", value)))
                    values.append(normal(value))
    return "\n".join(values)


def names_pattern(corpus: str) -> re.Pattern:
    """The short stored strings (names of people, organisations, groups, titles), longest first,
    to take out of a text that mixes them with the interface's words."""
    names = sorted({line for line in corpus.split("\n") if 2 < len(line) <= 120}, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in names))


def english_in(page: str, messages: set[str], corpus: str, names: re.Pattern) -> list[str]:
    parser = TextParser()
    parser.feed(page)
    found = []
    for raw in parser.texts:
        text = normal(raw)
        if not WORD.search(text) or text in ALLOWED_TEXT or text in corpus:
            continue
        # Quoted words are examples of what a person types or a file holds ("Duplicate of US 021").
        words = {w.lower() for w in WORD.findall(QUOTED.sub(" ", names.sub(" ", text)))}
        if text in messages or text.rstrip(".:") in messages or len(words & STOPWORDS) >= 2:
            found.append(text)
    return found


def crawl(client, start: list[str]):
    """One page per URL rule (the first that answers with a page; three tries a rule),
    breadth-first from `start`."""
    done: set[str] = set()
    tries: dict[str, int] = {}
    queue, seen = deque(start), set()
    adapter = client.application.url_map.bind("consult.test")
    while queue and len(done) < PAGES_PER_ROLE:
        url = queue.popleft()
        if url in seen or url.split("?")[0].endswith(FILES):
            continue
        seen.add(url)
        try:
            endpoint, _args = adapter.match(url.split("?")[0])
        except Exception:  # noqa: BLE001, S112 (a link the app does not serve: not a page)
            continue
        if endpoint in done or endpoint.startswith("api.") or tries.get(endpoint, 0) >= 3:
            continue
        tries[endpoint] = tries.get(endpoint, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        done.add(endpoint)
        page = response.get_data(as_text=True)
        yield url, page
        parser = TextParser()
        parser.feed(page)
        for href in parser.links:
            target = same_host(url, href)
            if target and target not in seen:
                queue.append(target)


@pytest.fixture
def demo(app, session):
    load_demo(session, password="demo-password-for-tests")
    session.commit()
    return {email: session.scalar(select(User).where(User.email == email)) for email in ROLES.values() if email}


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_english_sentence_in_a_translated_page(app, session, demo, login_as, code):
    corpus = stored_text(session)
    messages = english_messages(code)
    names = names_pattern(corpus)
    problems: dict[str, set[str]] = {}
    pages = 0
    for role, email in ROLES.items():
        client = app.test_client()
        if email:
            login_as(client, demo[email])
        release(session)
        client.set_cookie(app.config["LANGUAGE_COOKIE"], code, domain="consult.test")
        for url, page in crawl(client, ["/", "/account", "/notifications", "/moderation", "/admin", "/search?q=norm"]):
            pages += 1
            assert f'dir="{"rtl" if code == "ar" else "ltr"}"' in page[:200], url
            for text in english_in(page, messages, corpus, names):
                problems.setdefault(text, set()).add(f"{role} {url}")
    assert pages >= 40
    report = "\n".join(f"{text!r} on {sorted(where)[:2]}" for text, where in sorted(problems.items()))
    assert not problems, f"{code}: {len(problems)} English texts in {pages} pages:\n{report[:6000]}"
