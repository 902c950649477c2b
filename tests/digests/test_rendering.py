"""A digest rendered once per class, with each person's name and link put in, is the very
message a whole rendering for that person gives: escaped in HTML, on one line in headers."""

from __future__ import annotations

from dataclasses import astuple

from sqlalchemy import select

from consult import mail
from consult.digests import preferences, render, schedule, services
from consult.digests.models import DigestFrequency
from consult.mail.models import OutboxMessage
from consult.rounds.models import Phase, Preset
from tests.digests.helpers import later
from tests.factories import make_comment, make_consultation, make_round

TRICKY = [
    'Eve <script>alert("x")</script> & Co',
    "Mallory\r\nBcc: victim@example.net",
    "Ｊöṙg {{ 7*7 }} %(name)s",
]


def _render_all(app, session, monkeypatch, shared: bool) -> tuple[dict[int, tuple], render.RenderCache]:
    # The token carries the second it was made: fixed here so that two renderings compare.
    monkeypatch.setattr(render, "unsubscribe_token", lambda user_id, notice: f"tok-{user_id}-{notice}")
    if not shared:
        monkeypatch.setattr(render.Personalised, "usable", lambda self: False)
    rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    run = mail.Run()
    renderers = mail.render.registry(app).renderers
    with app.test_request_context("/"):
        render.start_batch(session, rows, run)
        rendered = {row.id: renderers[row.template](session, row, run) for row in rows}
    monkeypatch.undo()
    return {row_id: astuple(r) if r else None for row_id, r in rendered.items()}, render.cache_of(run)


def test_shared_rendering_equals_rendering_each_person(app, session, people, smtp, monkeypatch):
    consultation = make_consultation(session)
    round_ = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE, consultation=consultation)
    everyone = list(people.by_name.values())
    for user in everyone:
        preferences.preference_for(session, user).digest_frequency = DigestFrequency.DAILY
    for user, name in zip(everyone, TRICKY * len(everyone), strict=False):
        user.display_name = name
    make_comment(session, round_, people["participant:governments"], body="A <b>bold</b> view")
    make_comment(session, round_, people["focal_point"], body="NAME-looking text LINK")
    session.commit()  # written in requests of their own, as on the site
    services.send_digest(session, actor=people["organiser"], consultation=consultation, intro="Hi *all*")
    schedule.queue_due_digests(session, later(1))
    session.info.clear()  # rendered below, not sent
    session.commit()

    whole, _cache = _render_all(app, session, monkeypatch, shared=False)
    shared, cache = _render_all(app, session, monkeypatch, shared=True)
    assert cache.messages and all(cache.messages.values())  # the shared rendering was used
    assert len(cache.messages) < len([r for r in shared.values() if r])

    assert len([r for r in whole.values() if r]) > len(everyone)  # organiser and personal digests
    assert shared == whole
    for subject, _text, html, headers in filter(None, shared.values()):
        assert "\n" not in subject and "\r" not in subject
        assert "<script>" not in html
        assert all("\n" not in value and "\r" not in value for value in headers.values())
    names = [html for _s, text, html, _h in filter(None, shared.values()) if "Eve" in text]
    assert names and all("Eve &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in h for h in names)


def test_shared_work_is_dropped_when_anything_shown_changes(app, session, people):
    """A delivery run shares each class's content between batches while nothing changed; a
    change (here a comment hidden, then a person renamed) moves a round's revision and the next
    batch reads afresh."""
    from consult.comments.models import Comment
    from consult.db import utcnow
    from tests.support.state import fresh

    round_ = make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    comment = make_comment(session, round_, people["participant:governments"], body="soon hidden")
    session.commit()
    cache = render.RenderCache()
    cache.start_batch(fresh(session), [])
    cache.content["class"] = "built before"
    cache.start_batch(fresh(session), [])
    assert cache.content == {"class": "built before"}  # nothing changed: kept
    fresh(session).get(Comment, comment.id).hidden_at = utcnow()
    session.commit()
    cache.start_batch(fresh(session), [])
    assert cache.content == {}
    cache.content["class"] = "built after the hiding"
    people["participant:igo"].display_name = "Someone else"
    session.commit()
    cache.start_batch(fresh(session), [])
    assert cache.content == {}
