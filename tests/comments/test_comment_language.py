"""A comment records the language it is written in: chosen in the form, by default the author's
interface language; kept on edit unless changed; anything but the six languages refused."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from consult.comments import services
from consult.comments.models import Attribution, Comment, CommentType
from consult.errors import Invalid
from consult.rounds.models import Phase
from tests import factories
from tests.rounds.helpers import hidden_inputs
from tests.support.state import fresh


@pytest.fixture
def interface(app, monkeypatch):
    babel = app.extensions["babel"]
    chosen = {"locale": "en"}
    monkeypatch.setattr(babel, "locale_selector", lambda: chosen["locale"])
    return lambda code: chosen.update(locale=code)


def _form(client, round_id: int, **changes) -> dict:
    fields = hidden_inputs(client.get(f"/rounds/{round_id}/comments/new").get_data(as_text=True))
    form = {
        "csrf_token": fields["csrf_token"],
        "nonce": fields["nonce"],
        "prefix": "",
        "clause": "k1",
        "type": "general",
        "body": "Un commentaire.",
        "proposed_change": "",
        "attribution": "person",
        "submit": "Submit comment",
    }
    form.update(changes)
    return form


def test_the_form_offers_the_six_languages_with_the_interface_language_chosen(
    app, session, people, login_as, interface
):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:industry"])
    page = client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True)
    for code in ("ar", "en", "es", "fr", "ru", "zh"):
        assert f'<option {"selected " if code == "en" else ""}value="{code}">' in page
    interface("ru")
    page = client.get(f"/rounds/{round_.id}/comments/new").get_data(as_text=True)
    assert '<option selected value="ru">' in page


def test_the_language_chosen_is_stored_and_the_default_is_the_interface(app, session, people, login_as, interface):
    round_ = factories.make_round(session, Phase.OPEN)
    session.commit()
    client = app.test_client()
    login_as(client, people["participant:industry"])
    assert client.post(f"/rounds/{round_.id}/comments", data=_form(client, round_.id, language="fr")).status_code == 302
    interface("zh")
    posted = _form(client, round_.id, body="没有选择语言")
    assert client.post(f"/rounds/{round_.id}/comments", data=posted).status_code == 302  # no language field
    refused = client.post(f"/rounds/{round_.id}/comments", data=_form(client, round_.id, language="de"))
    assert refused.status_code == 400
    with app.test_request_context(), force_locale("zh"):  # the message in the page's language
        message = gettext("Choose the language the comment is written in.")
    assert message in refused.get_data(as_text=True) and message != "Choose the language the comment is written in."
    rows = fresh(session).scalars(select(Comment).order_by(Comment.id)).all()
    assert [(c.body, c.language) for c in rows] == [("Un commentaire.", "fr"), ("没有选择语言", "zh")]


def test_an_edit_keeps_the_language_unless_changed(session, people):
    round_ = factories.make_round(session, Phase.OPEN)
    author = people["participant:industry"]

    def data(language=None) -> services.CommentInput:
        return services.CommentInput("k1", CommentType.GENERAL, "Texte", "", Attribution.PERSON, language=language)

    comment, _created = services.save_comment(
        session, actor=author, round_=round_, data=data("es"), nonce="n1", submit=True
    )
    assert comment.language == "es"
    services.update_comment(session, actor=author, comment=comment, data=data(), submit=True)
    assert comment.language == "es"
    services.update_comment(session, actor=author, comment=comment, data=data("ar"), submit=True)
    assert comment.language == "ar"
    with pytest.raises(Invalid):
        services.update_comment(session, actor=author, comment=comment, data=data("english"), submit=True)
    # Outside a request (the CLI, the demo), English.
    other, _created = services.save_comment(session, actor=author, round_=round_, data=data(), nonce="n2", submit=True)
    assert other.language == "en"
