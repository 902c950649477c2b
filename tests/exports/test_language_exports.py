"""Every comment export says the language each comment is written in: the CSV's "Language"
column (before the id), the XLSX's ninth column (after the ISO form's eight), the JSON's
`language`; the JSON's version names its authoritative language."""

from __future__ import annotations

import json

from consult.rounds.models import Phase
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
