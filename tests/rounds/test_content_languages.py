"""The round page and the side-by-side page in several languages: the draft in the reader's
language where it is translated (else the authoritative text), which text is authoritative and
a link to it, comments filtered by the language they are written in, and the page cache keyed
on all of it (a translation saved after the page was cached is seen at once)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from consult.drafts import services as drafts
from consult.drafts.importer import ClauseText
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.drafts.pages import plain, text_notice
from tests.support.state import fresh


@pytest.fixture
def interface(app, monkeypatch):
    """Set the interface locale the way the language switcher will (Flask-Babel's selector)."""
    babel = app.extensions["babel"]
    chosen = {"locale": "en"}
    monkeypatch.setattr(babel, "locale_selector", lambda: chosen["locale"])

    def set_locale(code: str) -> None:
        chosen["locale"] = code

    return set_locale


@pytest.fixture
def bilingual_round(session, people):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    version = round_.version
    drafts.save_translation(
        session,
        actor=people["organiser"],
        version=version,
        language="fr",
        texts=[ClauseText("", "Portée", "Le texte français.", "k1")],
    )
    factories.make_comment(session, round_, people["participant:industry"], body="Written in English")
    french = factories.make_comment(session, round_, people["participant:governments"], body="Écrit en français")
    french.language = "fr"
    session.commit()
    return round_


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_round_page_offers_the_readers_language(app, session, people, login_as, interface, bilingual_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    url = f"/rounds/{bilingual_round.id}"
    english = plain(page(client, url))
    assert "Authoritative text: English" in english and "Also in: français" in english
    assert "Heading 1" in english and "Portée" not in english

    interface("fr")
    french_html = page(client, url)
    french = plain(french_html)
    assert "Portée" in french and "Le texte français." in french
    assert "Heading 2" in french  # untranslated clause: the authoritative text, marked as English
    assert 'lang="en" dir="ltr">2 Heading 2' in french_html
    assert f'href="/rounds/{bilingual_round.id}?text=en"' in french_html
    # Asking for the authoritative text, in a French interface.
    assert "Portée" not in plain(page(client, f"{url}?text=en"))
    # Arabic readers: nothing in Arabic, so the authoritative text.
    interface("ar")
    assert text_notice(app, "ar", "en") in plain(page(client, url)) and "Portée" not in plain(page(client, url))


def test_a_translation_saved_later_is_seen_at_once(app, session, people, login_as, interface, bilingual_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    interface("es")
    url = f"/rounds/{bilingual_round.id}"
    assert "Ámbito" not in plain(page(client, url))
    assert "Ámbito" not in plain(page(client, url))  # cached now
    db = fresh(session)
    version = db.get(type(bilingual_round), bilingual_round.id).version
    drafts.save_translation(
        db, actor=people["organiser"], version=version, language="es", texts=[ClauseText("", "Ámbito", "Uno.", "k1")]
    )
    db.commit()
    assert "Ámbito" in plain(page(client, url))
    assert text_notice(app, "es", "es") in plain(page(client, url))


def test_the_clause_translation_triggers_exist(session):
    db = fresh(session)
    if db.bind.dialect.name == "postgresql":
        names = set(db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    else:
        names = set(db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    assert {f"clause_translation_bumps_round_{op}" for op in ("ins", "upd", "del")} <= names


def test_comments_filtered_by_their_language(app, session, people, login_as, bilingual_round):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    url = f"/rounds/{bilingual_round.id}"
    everything = plain(page(client, url))
    assert "Written in English" in everything and "Écrit en français" in everything
    french = page(client, f"{url}?language=fr")
    assert "Écrit en français" in french and "Written in English" not in french
    assert '<option value="fr" lang="fr" selected>' in french
    assert "Written in English" in page(client, f"{url}?language=en")
    assert "Écrit en français" not in page(client, f"{url}?language=en")
    # The French comment is marked with its language and read with it.
    assert 'class="comment-body" lang="fr" dir="ltr"' in page(client, url)
    # A language that is not one of the six filters nothing; nothing breaks.
    assert "Written in English" in page(client, f"{url}?language=de")


def test_the_side_by_side_page_names_clauses_in_the_readers_language(
    app, session, people, login_as, interface, bilingual_round
):
    client = app.test_client()
    login_as(client, people["participant:industry"])
    url = f"/rounds/{bilingual_round.id}/matrix"
    assert "Authoritative text: English" in plain(page(client, url))
    interface("fr")
    html = page(client, url)
    assert "1 Portée" in plain(html)
    assert text_notice(app, "fr", "fr") in plain(html)
    assert f'href="/rounds/{bilingual_round.id}/matrix?text=en"' in html
    assert "1 Heading 1" in plain(page(client, f"{url}?text=en"))
