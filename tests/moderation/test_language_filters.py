"""Comment lists filter by the language comments are written in: the moderation queue (a
moderator who reads Arabic takes the Arabic ones) and "my comments"."""

from __future__ import annotations

from consult.comments.models import CommentStatus
from consult.rounds.models import Phase
from tests.factories import make_comment, make_round
from tests.workspace.helpers import as_text


def _client(app, login_as, user):
    client = app.test_client()
    login_as(client, user)
    return client


def test_the_moderation_queue_filters_by_language(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN, premoderation=True)
    author = people["participant:industry"]
    make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION, body="In English please")
    arabic = make_comment(session, round_, author, status=CommentStatus.AWAITING_MODERATION, body="تعليق بالعربية")
    arabic.language = "ar"
    session.commit()
    client = _client(app, login_as, people["moderator"])
    everything = as_text(client.get("/moderation").get_data(as_text=True))
    assert "In English please" in everything and "تعليق بالعربية" in everything
    html = client.get("/moderation?language=ar").get_data(as_text=True)
    assert "تعليق بالعربية" in html and "In English please" not in html
    assert '<option value="ar" lang="ar" selected>العربية</option>' in html
    both = as_text(client.get(f"/moderation?language=en&round={round_.id}").get_data(as_text=True))
    assert "In English please" in both and "تعليق بالعربية" not in both
    assert "In English please" in as_text(client.get("/moderation?language=klingon").get_data(as_text=True))


def test_my_comments_filter_by_language(app, session, people, login_as):
    round_ = make_round(session, Phase.OPEN)
    author = people["participant:industry"]
    make_comment(session, round_, author, body="Mine in English")
    make_comment(session, round_, author, body="Le mien en français").language = "fr"
    session.commit()
    client = _client(app, login_as, author)
    assert "Le mien en français" in as_text(client.get("/my/comments").get_data(as_text=True))
    french = client.get("/my/comments?language=fr").get_data(as_text=True)
    assert "Le mien en français" in french and "Mine in English" not in french
    assert 'lang="fr" dir="ltr">Le mien en français</a>' in french


def test_the_dispositions_page_filters_by_language(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    make_comment(session, round_, people["participant:industry"], body="Answer me in English")
    make_comment(session, round_, people["participant:governments"], body="Répondez en français").language = "fr"
    session.commit()
    client = _client(app, login_as, people["organiser"])
    everything = as_text(client.get(f"/rounds/{round_.id}/dispositions").get_data(as_text=True))
    assert "Answer me in English" in everything and "Répondez en français" in everything
    french = client.get(f"/rounds/{round_.id}/dispositions?language=fr").get_data(as_text=True)
    assert "Répondez en français" in french and "Answer me in English" not in french
    assert '<option value="fr" lang="fr" selected>' in french
