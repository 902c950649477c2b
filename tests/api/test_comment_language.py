"""The API speaks of a comment's language: written with `language` (else the interface's, read
from Accept-Language, else English), returned on every comment, filtered with `?language=`."""

from __future__ import annotations

from consult.rounds.models import Phase, Preset
from tests import factories
from tests.api.conftest import bearer


def test_comments_carry_their_language_through_the_api(app, client, session, people, token_for):
    round_ = factories.make_round(session, Phase.OPEN, preset=Preset.OPEN_DIALOGUE)
    session.commit()
    h = bearer(token_for(people["participant:industry"], "read", "comment"))
    url = f"/api/v1/rounds/{round_.id}/comments"
    french = client.post(url, json={"body": "Un commentaire", "clause": "k1", "language": "fr"}, headers=h)
    assert french.status_code == 201, french.json
    assert french.json["language"] == "fr"
    plain = client.post(url, json={"body": "No language given", "clause": "k1"}, headers=h)
    assert plain.json["language"] == "en"
    refused = client.post(url, json={"body": "Klingon", "language": "tlh"}, headers=h)
    assert refused.status_code in (400, 422)
    edited = client.patch(f"/api/v1/comments/{plain.json['id']}", json={"language": "es"}, headers=h)
    assert edited.status_code == 200 and edited.json["language"] == "es"
    assert (
        client.patch(f"/api/v1/comments/{french.json['id']}", json={"body": "Encore"}, headers=h).json["language"]
        == "fr"
    )
    listed = client.get(f"{url}?language=fr", headers=h).json["items"]
    assert [c["body"] for c in listed] == ["Encore"]
    assert len(client.get(url, headers=h).json["items"]) == 2
