"""Every comment export says the language each comment is written in: the CSV's "Language"
column (before the id), the XLSX's ninth column (after the ISO form's eight), the JSON's
`language`; the JSON's version names its authoritative language."""

from __future__ import annotations

import json

from consult.rounds.models import Phase
from tests.drafts.pages import plain, text_notice
from tests.exports.test_exports import table
from tests.factories import make_comment, make_round
from tests.support.clients import sign_in


def test_the_exports_carry_each_comment_s_language(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    round_.version.language = "fr"
    french = make_comment(session, round_, people["participant:governments"], "k1", body="Écrit en français")
    french.language = "fr"
    make_comment(session, round_, people["participant:industry"], "k2", body="Написано по-русски").language = "ru"
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")

    csv_rows = table(client.get(f"/rounds/{round_.id}/comments.csv"), "csv")
    assert csv_rows[0][-2:] == ["Language", "Comment id"]
    assert {row[5]: row[-2] for row in csv_rows[1:]} == {"Écrit en français": "fr", "Написано по-русски": "ru"}

    xlsx_rows = table(client.get(f"/rounds/{round_.id}/comments.xlsx"), "xlsx")
    assert xlsx_rows[0][8] == "Language"
    assert {row[5]: row[8] for row in xlsx_rows[1:]} == {"Écrit en français": "fr", "Написано по-русски": "ru"}

    document = json.loads(client.get(f"/rounds/{round_.id}/comments.json").get_data())
    assert document["version"]["language"] == "fr"
    assert {c["body"]: c["language"] for c in document["comments"]} == {
        "Écrit en français": "fr",
        "Написано по-русски": "ru",
    }


def test_the_briefing_gives_the_draft_in_the_reader_s_language(app, session, people, login_as, monkeypatch):
    from consult.drafts import services as drafts
    from consult.drafts.importer import ClauseText

    round_ = make_round(session, Phase.CLOSED)
    drafts.save_translation(
        session,
        actor=people["organiser"],
        version=round_.version,
        language="fr",
        texts=[ClauseText("", "Portée", "Le texte français de la clause.", "k1")],
    )
    make_comment(session, round_, people["participant:governments"], "k1", body="Écrit en français").language = "fr"
    session.commit()
    client = sign_in(app, login_as, session, people, "organiser")
    url = f"/rounds/{round_.id}/briefing"
    page = client.get(url).get_data(as_text=True)
    assert "Authoritative text: English" in page and "Portée" not in page
    assert '<p class="text" lang="fr" dir="ltr"><bdi>Écrit en français</bdi></p>' in page
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "fr")
    page = client.get(url).get_data(as_text=True)
    assert text_notice(app, "fr", "fr") in plain(page) and "Le texte français de la clause." in page
    assert f'href="/rounds/{round_.id}/briefing?text=en"' in page
    assert "Portée" not in client.get(f"{url}?text=en").get_data(as_text=True)
    consultation_page = client.get(f"/consultations/{round_.consultation_id}/briefing").get_data(as_text=True)
    assert "Le texte français de la clause." in consultation_page


def test_an_imported_table_s_language_column_is_read(app, session, people, login_as):
    import io

    from openpyxl import Workbook
    from sqlalchemy import select

    from consult.comments.models import Comment
    from tests.exports.test_import import upload
    from tests.support.state import fresh

    round_ = make_round(session, Phase.OPEN)
    session.commit()
    org = people.organisations["governments"].name

    def sheet(rows):
        workbook = Workbook()
        workbook.active.append(["MB/NC", "Clause", "Type", "Comments", "Proposed change", "Language"])
        for row in rows:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    client = sign_in(app, login_as, session, people, "participant:governments")
    refused = upload(client, round_.id, sheet([[org, "1", "te", "Un", None, "klingon"]]))
    assert refused.status_code == 400
    assert "the language must be one of ar, en, es, fr, ru, zh" in refused.get_data(as_text=True)
    rows = [
        [org, "1", "te", "Un commentaire", None, "français"],
        [org, "2", "te", "Комментарий", None, "RU"],
        [org, "3", "te", "A comment", None, "Spanish"],
        [org, "3", "ed", "No language said", None, None],
    ]
    assert upload(client, round_.id, sheet(rows)).status_code == 302
    stored = fresh(session).execute(select(Comment.body, Comment.language).order_by(Comment.id)).all()
    assert [tuple(r) for r in stored] == [
        ("Un commentaire", "fr"),
        ("Комментарий", "ru"),
        ("A comment", "es"),
        ("No language said", "en"),  # the importer's interface language
    ]
