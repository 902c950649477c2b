"""The five catalogues are complete: every message translated, none fuzzy, every placeholder kept.

`%(name)s` sets must match the English exactly (docs/glossary.md, "Placeholders"), with the one
exception the glossary allows: Arabic forms [1] (n = 1) and [2] (n = 2) may leave out the
counting placeholder ("تعليق واحد", "تعليقان"). The plural forms and their count are Babel's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from config import Config

TRANSLATIONS = Path(__file__).resolve().parents[2] / "consult" / "translations"
TRANSLATED = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")
COUNTERS = {"num", "count", "n"}


def catalogue(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=code)


def template_ids() -> set:
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def problems(code: str) -> list[str]:
    found = []
    plural_forms = get_plural(Locale.parse(code)).num_plurals
    for message in catalogue(code):
        if not message.id:
            continue
        label = repr(message.id if isinstance(message.id, str) else message.id[0])[:90]
        if message.fuzzy:
            found.append(f"fuzzy: {label}")
        if message.pluralizable:
            forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
            if len(forms) != plural_forms:
                found.append(f"{len(forms)} plural forms instead of {plural_forms}: {label}")
            wanted = placeholders(message.id[1]) | placeholders(message.id[0])
            for index, form in enumerate(forms):
                if not form:
                    found.append(f"untranslated form [{index}]: {label}")
                    continue
                have = placeholders(form)
                allowed_missing = (
                    {p for p in wanted if re.match(r"%\((\w+)\)", p).group(1) in COUNTERS}
                    if code == "ar" and index in (1, 2)
                    else set()
                )
                if have != wanted and not (have < wanted and wanted - have <= allowed_missing):
                    found.append(f"placeholders {sorted(have)} in form [{index}] instead of {sorted(wanted)}: {label}")
        else:
            if not message.string:
                found.append(f"untranslated: {label}")
            elif placeholders(message.string) != placeholders(message.id):
                found.append(
                    f"placeholders {sorted(placeholders(message.string))} instead of "
                    f"{sorted(placeholders(message.id))}: {label}"
                )
    return found


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete(code):
    found = problems(code)
    assert not found, f"{code}: {len(found)} problems\n" + "\n".join(found[:40])


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_follows_the_template(code):
    """`make messages` has been run: the catalogue holds exactly the template's messages."""
    ids = {m.id for m in catalogue(code) if m.id}
    missing = template_ids() - ids
    assert not missing, f"{code}: {len(missing)} messages of messages.pot missing (run make messages)"


def test_every_translatable_string_is_in_the_template():
    """messages.pot is up to date with the code and templates (run `make messages`)."""
    from babel.messages.extract import extract_from_dir

    root = TRANSLATIONS.parents[1]
    method_map = [("consult/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    extracted = set()
    # Every directory, those starting with "_" too (pybabel's default skips templates/_macros/).
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        root,
        method_map=method_map,
        keywords=keywords,
        options_map={"**.html": {}, "**.txt": {}},
        directory_filter=lambda path: not Path(path).name.startswith(".") and Path(path).name != "node_modules",
    ):
        extracted.add(message if isinstance(message, str) else tuple(message))
    template = {m if isinstance(m, str) else tuple(m) for m in template_ids()}
    missing = sorted(str(m)[:80] for m in extracted - template)
    assert not missing, f"{len(missing)} strings not in messages.pot (run make messages): {missing[:10]}"
