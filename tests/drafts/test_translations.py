"""A version in several languages: the authoritative language chosen when the version is made,
translations added and corrected clause by clause on the version's translation page, and the
version page in the reader's language with the authoritative text a link away."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from consult.audit import AuditEvent
from consult.drafts import services, texts
from consult.drafts.importer import ClauseText
from consult.drafts.models import ClauseTranslation, Draft, DraftVersion
from consult.errors import Invalid
from tests.drafts.pages import consultation, form_values, organiser_client, plain, text
from tests.factories import make_version
from tests.support.clients import sign_in
from tests.support.state import fresh


def _version(session, clauses: int = 3) -> DraftVersion:
    version = make_version(session, consultation(session), clauses)
    session.commit()
    return version


def _translate(client, version_id: int, language: str, rows: dict[int, tuple[str, str]]):
    url = f"/versions/{version_id}/translation?language={language}"
    values = form_values(client, url)
    assert values["language"] == language
    for index, (heading, body) in rows.items():
        values[f"clauses-{index}-heading"], values[f"clauses-{index}-body"] = heading, body
    return client.post(url, data=values)


def test_organiser_translates_a_version_clause_by_clause(app, session, people, login_as):
    version = _version(session)
    client = organiser_client(app, login_as, session, people)
    page = text(client.get(f"/versions/{version.id}/translation?language=fr"))
    assert "Text of clause 2." in page  # the authoritative text beside each row
    assert 'lang="fr"' in page

    response = _translate(client, version.id, "fr", {0: ("Champ d’application", "Texte de la *clause* 1.")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/versions/{version.id}?text=fr")
    db = fresh(session)
    rows = db.scalars(select(ClauseTranslation)).all()
    assert [(r.language, r.heading, r.body_html.strip()) for r in rows] == [
        ("fr", "Champ d’application", "<p>Texte de la <em>clause</em> 1.</p>")
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "draft.translation_save"))
    assert event.details["language"] == "fr" and event.details["clauses"] == 1

    # Corrected, and a clause emptied again loses its translation.
    _translate(client, version.id, "fr", {0: ("", ""), 1: ("Divulgation", "Texte 2.")})
    rows = fresh(session).scalars(select(ClauseTranslation)).all()
    assert [(r.heading, r.body) for r in rows] == [("Divulgation", "Texte 2.")]


def test_the_version_page_shows_the_translation_and_names_the_authoritative_text(app, session, people, login_as):
    version = _version(session)
    organiser = people["organiser"]
    services.save_translation(
        session,
        actor=organiser,
        version=version,
        language="fr",
        texts=[ClauseText("", "Portée", "Texte un.", "k1")],
    )
    session.commit()
    client = app.test_client()
    page = plain(text(client.get(f"/versions/{version.id}?text=fr")))
    assert "Translation: français — the English text is authoritative." in page
    assert "Portée" in page and "Texte un." in page
    assert "Text of clause 2." in page  # not translated: the authoritative text
    assert "2 clauses are not translated yet" in page
    html = text(client.get(f"/versions/{version.id}?text=fr"))
    assert f'href="/versions/{version.id}?text=en"' in html  # read the authoritative text
    assert 'lang="fr"' in html and 'lang="en"' in html

    page = plain(text(client.get(f"/versions/{version.id}")))
    assert "Authoritative text: English" in page
    assert "Also in: français" in page
    assert "Portée" not in page
    # A language nobody translated into, or nonsense, is the authoritative text (never an error).
    for asked in ("ru", "xx", "fr-FR", "1" * 40):
        response = client.get(f"/versions/{version.id}?text={asked}")
        assert response.status_code == 200 and "Authoritative text: English" in plain(text(response))


def test_the_reader_s_interface_language_is_the_first_choice(app, session, people):
    version = _version(session)
    services.save_translation(
        session,
        actor=people["organiser"],
        version=version,
        language="es",
        texts=[ClauseText("", "Ámbito", "Texto uno.", "k1")],
    )
    session.commit()
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("es"):
            choice, clauses = texts.version_text(session, version.id, "en")
            assert choice.shown == "es" and choice.is_translation and choice.untranslated == 2
            assert (clauses[0].heading, clauses[0].language, clauses[1].language) == ("Ámbito", "es", "en")
            choice, _clauses = texts.version_text(session, version.id, "en", "en")
            assert choice.shown == "en" and not choice.is_translation
        with force_locale("ru"):
            assert texts.version_text(session, version.id, "en")[0].shown == "en"


def test_translation_refusals(session, people):
    version = _version(session)
    organiser = people["organiser"]
    with pytest.raises(Invalid):  # the authoritative language is the version itself
        services.save_translation(session, actor=organiser, version=version, language="en", texts=[])
    with pytest.raises(Invalid):
        services.save_translation(session, actor=organiser, version=version, language="de", texts=[])
    with pytest.raises(Invalid):  # a clause of another version
        services.save_translation(
            session, actor=organiser, version=version, language="fr", texts=[ClauseText("", "x", "y", "nope")]
        )
    with pytest.raises(Invalid):
        services.save_translation(
            session, actor=organiser, version=version, language="fr", texts=[ClauseText("", "x" * 301, "y", "k1")]
        )
    # Half a clause: readers would get a French heading over no text.
    with pytest.raises(Invalid, match="both the heading and the text of clause 1"):
        services.save_translation(
            session, actor=organiser, version=version, language="fr", texts=[ClauseText("", "Portée", "", "k1")]
        )


def test_translation_page_addresses(app, session, people, login_as):
    version = _version(session)
    client = organiser_client(app, login_as, session, people)
    assert client.get(f"/versions/{version.id}/translation?language=en").status_code == 404  # its own language
    assert client.get(f"/versions/{version.id}/translation?language=xx").status_code == 404
    assert client.get(f"/versions/{version.id}/translation").status_code == 200  # a language is proposed
    assert client.get("/versions/987654/translation?language=fr").status_code == 404
    participant = sign_in(app, login_as, session, people, "participant:governments")
    assert participant.get(f"/versions/{version.id}/translation?language=fr").status_code == 403
    values = form_values(client, f"/versions/{version.id}/translation?language=fr")
    values["language"] = "en"
    assert client.post(f"/versions/{version.id}/translation", data=values).status_code == 404


def test_a_version_records_its_authoritative_language(app, session, people, login_as):
    draft_page = consultation(session)
    client = organiser_client(app, login_as, session, people)
    values = form_values(client, f"/consultations/{draft_page.id}/drafts/new")
    values.update(
        {
            "title": "Normes",
            "language": "fr",
            "clauses-0-number": "1",
            "clauses-0-heading": "Portée",
            "clauses-0-body": "Texte.",
        }
    )
    assert client.post(f"/consultations/{draft_page.id}/drafts/new", data=values).status_code == 302
    db = fresh(session)
    draft = db.scalar(select(Draft).where(Draft.title == "Normes"))
    first = db.scalar(select(DraftVersion).where(DraftVersion.draft_id == draft.id))
    assert first.language == "fr"
    # The next version keeps it unless told otherwise; a language that is not one of the six is refused.
    values = form_values(client, f"/drafts/{draft.id}/versions/new")
    values["language"] = "de"
    response = client.post(f"/drafts/{draft.id}/versions/new", data=values)
    assert response.status_code == 400
    values.pop("language")
    assert client.post(f"/drafts/{draft.id}/versions/new", data=values).status_code == 302
    versions = fresh(session).scalars(select(DraftVersion).where(DraftVersion.draft_id == draft.id)).all()
    assert [v.language for v in versions] == ["fr", "fr"]
    assert "Authoritative text: French" in plain(text(client.get(f"/versions/{first.id}")))


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_translated_texts_come_back_escaped(app, session, people, login_as, payload):
    from consult.rounds.models import Phase
    from tests.factories import make_round
    from tests.web.test_xss import check

    round_ = make_round(session, Phase.OPEN)
    session.commit()
    client = organiser_client(app, login_as, session, people)
    assert _translate(client, round_.version_id, "fr", {0: (payload, payload)}).status_code == 302
    for url in (
        f"/versions/{round_.version_id}?text=fr",
        f"/versions/{round_.version_id}/translation?language=fr",
        f"/rounds/{round_.id}?text=fr",
        f"/rounds/{round_.id}/matrix?text=fr",
    ):
        html = text(client.get(url))
        check(html, payload, url)  # the heading, escaped (the body is Markdown, cleaned)
    briefing = text(client.get(f"/rounds/{round_.id}/briefing?text=fr"))  # (its charts are SVG)
    assert payload not in briefing and str(escape(payload)) in briefing
