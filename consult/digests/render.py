"""Notifications and digests rendered for one recipient when they are sent.

The room registers a renderer per template with the mail wing (`consult.digests.init_app`).
Each builds the template's context for the recipient (None: nothing to send them now), then
`renderer()` adds what every message has: the person's switch for it, the one-click
unsubscribe link and headers, their language and times in their timezone. Work shared by the recipients of a run
lives in a `RenderCache`: a digest's content is built once per visibility class, and its
sections and the message around them rendered once per class, language and timezone; each person then
loses only their own comments, and gets their name and unsubscribe link put in.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import render_template, url_for
from markupsafe import Markup, escape
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from consult import i18n, mail, policy, tokens
from consult.auth.models import User
from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests.content import DigestContent, build_digest
from consult.digests.cursors import LateWindow, Period, PersonalDigest, Window
from consult.digests.models import Digest, DigestFrequency, EmailPreference, Notice
from consult.digests.preferences import preference_or_default
from consult.dispositions.models import Disposition
from consult.mail.models import OutboxMessage
from consult.mail.render import Renderer
from consult.mail.smtp import one_line
from consult.policy import Viewer
from consult.rounds.models import Round

UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 180 * 24 * 3600
MAX_ANSWERS = 50


def unsubscribe_token(user_id: int, notice: str) -> str:
    """A signed token that switches off `notice` ("digest" or a Notice) for this person only."""
    return tokens.sign(UNSUBSCRIBE_PURPOSE, {"u": user_id, "n": notice})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    payload = tokens.unsign(UNSUBSCRIBE_PURPOSE, token, UNSUBSCRIBE_MAX_AGE)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("n"), str):
        return None
    return payload["u"], payload["n"]


def list_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs to `url`."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


class RenderCache:
    """Work shared by the recipients of a delivery run (see the module docstring).

    The sender calls `start_batch` before every batch; it compares the rounds' revisions (moved
    by database triggers on every change to comments, rules, rounds, groups and names: migration
    0007) and starts afresh when anything changed, so what a message shows is what its
    recipient could see when its batch began (a comment hidden, a round published)."""

    def __init__(self) -> None:
        self.fingerprint: tuple | None = None
        self.preferences_url: str | None = None
        self.batch: list[Any] = []  # the batch's people and preferences (kept alive for session.get)
        self._clear()

    def _clear(self) -> None:
        self.content: dict[tuple, DigestContent] = {}
        self.keep: list[Any] = []  # objects the run reuses (the identity map holds them weakly)
        self.sections: dict[tuple, tuple[Markup, str]] = {}
        self.messages: dict[tuple, Personalised | None] = {}

    def start_batch(self, session: Session, rows: list[OutboxMessage]) -> None:
        fingerprint = tuple(
            session.execute(select(func.count(Round.id), func.coalesce(func.sum(Round.revision), 0))).one()
        )
        if fingerprint != self.fingerprint:
            self._clear()
            self.fingerprint = fingerprint
        user_ids = {row.user_id for row in rows if row.user_id}
        self.batch = []
        if user_ids:  # two queries for the batch's people, instead of two per message
            self.batch += session.scalars(select(User).where(User.id.in_(user_ids)))
            self.batch += session.scalars(select(EmailPreference).where(EmailPreference.user_id.in_(user_ids)))

    def class_content(self, key: tuple, viewer: Viewer, build: Callable[[Viewer], DigestContent]) -> DigestContent:
        """Content built once per visibility class, for a member of the class who wrote nothing."""
        key = (*key, viewer.visibility_class)
        found = self.content.get(key)
        if found is None:
            found = self.content[key] = build(viewer.class_member())
        return found


def cache_of(run: mail.Run) -> RenderCache:
    return run.state.setdefault("digests", RenderCache())


def start_batch(session: Session, rows: list[OutboxMessage], run: mail.Run) -> None:
    """The batch hook registered with the mail wing."""
    cache_of(run).start_batch(session, rows)


class Personalised:
    """A message rendered once, with marks where each recipient's name and unsubscribe link go.

    The marks are random for every rendering, so no text in the message (a comment, a title)
    can contain one. Each part is split at the marks once, so a name is never searched for marks;
    the HTML part gets the values escaped exactly as the template's autoescaping would have,
    the subject gets them on one line.
    """

    def __init__(self, name: str, **context: Any) -> None:
        nonce = secrets.token_hex(8)
        self.name_mark, self.url_mark = f"NAME{nonce}EMAN", f"LINK{nonce}KNIL"
        parts = mail.render_parts(name, recipient_name=self.name_mark, unsubscribe_url=self.url_mark, **context)
        pattern = re.compile(f"({self.name_mark}|{self.url_mark})")
        self.pieces = [pattern.split(part) for part in parts]  # [text, mark, text, mark, ..., text]

    def usable(self) -> bool:
        """Whether the marks came through untouched (a template that filters the name, say
        truncates it, would break them): otherwise each person's message is rendered whole."""
        _subject, text, html = self.pieces
        return all(mark in part[1::2] for mark in (self.name_mark, self.url_mark) for part in (text, html))

    def fill(self, display_name: str, unsubscribe_url: str) -> tuple[str, str, str]:
        plain = {self.name_mark: display_name, self.url_mark: unsubscribe_url}
        escaped = {mark: str(escape(value)) for mark, value in plain.items()}
        subject, text, html = self.pieces
        return one_line(_join(subject, plain)), _join(text, plain), _join(html, escaped)


def _join(pieces: list[str], values: dict[str, str]) -> str:
    # Odd positions are marks (re.split with a group); the values are never searched again.
    return "".join(values[piece] if i % 2 else piece for i, piece in enumerate(pieces))


ContextBuilder = Callable[[Session, User, OutboxMessage, RenderCache], dict[str, Any] | None]


def renderer(build: ContextBuilder) -> Renderer:
    """A mail renderer from a context builder: the context's `notice` names the person's switch
    ("digest" for personal digests); `content` (a DigestContent) makes it a digest."""

    def render(session: Session, row: OutboxMessage, run: mail.Run) -> mail.Rendered | None:
        cache = cache_of(run)
        user = session.get(User, row.user_id) if row.user_id else None
        if user is None or not user.is_active:
            return None
        with mail.recipient_locale(i18n.email_locale(user)):  # labels the context holds, too
            return _render(session, user, row, cache, build)

    return render


def _render(
    session: Session, user: User, row: OutboxMessage, cache: RenderCache, build: ContextBuilder
) -> mail.Rendered | None:
    """One person's message, in their language (the caller's) and timezone."""
    context = build(session, user, row, cache)
    if context is None:
        return None
    notice = context.pop("notice")
    if notice != "digest" and not preference_or_default(session, user).wants(Notice(notice)):
        return None
    unsubscribe_url = url_for("digests.unsubscribe", token=unsubscribe_token(user.id, notice), _external=True)
    if cache.preferences_url is None:
        cache.preferences_url = url_for("digests.preferences", _external=True)
    context["preferences_url"] = cache.preferences_url
    headers = list_headers(unsubscribe_url)
    with mail.recipient_timezone(user.timezone):
        if "content" in context:
            key = (row.template, *_put_sections(cache, context, user))
            if not context.get("dispositions"):  # nothing else personal: render once, fill in
                if key not in cache.messages:
                    shared = Personalised(row.template, **context)
                    cache.messages[key] = shared if shared.usable() else None
                shared = cache.messages[key]
                if shared is not None:
                    return mail.Rendered(*shared.fill(user.display_name, unsubscribe_url), headers)
        parts = mail.render_parts(
            row.template, recipient_name=user.display_name, unsubscribe_url=unsubscribe_url, **context
        )
    return mail.Rendered(*parts, headers)


def _put_sections(cache: RenderCache, context: dict[str, Any], user: User) -> tuple:
    """Put the digest's sections, as this person sees them, into `context`; returns their key."""
    content: DigestContent = context["content"]
    # The class is part of the key: sections rendered for one class never reach another.
    own = content.own_comment_ids(user.id)
    # So are the language and timezone the sections were written in.
    key = (
        context.pop("cache_key"),
        policy.as_viewer(user).visibility_class,
        own,
        i18n.email_locale(user),
        user.timezone,
    )
    found = cache.sections.get(key)
    if found is None:
        mine = content.without(own)
        html = render_template("email/_sections.html", content=mine, intro=context["intro"])
        text = render_template("email/_sections.txt", content=mine, intro=context["intro"])
        # The .html partial is autoescaped: its output is safe to put into the email as it is.
        found = cache.sections[key] = (Markup(html), text)  # noqa: S704 (autoescaped .html template output)  # nosec B704
    context["sections_html"], context["sections_text"] = found
    return key


# --- Personal digests -------------------------------------------------------------------------


def personal_digest(session: Session, user: User, row: OutboxMessage, cache: RenderCache) -> dict[str, Any] | None:
    """A person's digest: the comments new to them, round events, answers to their comments."""
    if preference_or_default(session, user).digest_frequency is DigestFrequency.NONE:
        return None
    covers = PersonalDigest.from_json(row.params)
    key = ("digest", json.dumps(row.params, sort_keys=True))
    viewer = policy.as_viewer(user)
    content = cache.class_content(
        key, viewer, lambda member: build_digest(session, member, covers.comments, covers.period)
    )
    answers = own_dispositions(
        session, user, covers.period.until, after=covers.answers_after, up_to=covers.answers_up_to
    )
    if content.without(content.own_comment_ids(user.id)).is_empty() and not answers:
        return None
    return {
        "notice": "digest",
        "content": content,
        "intro": "",
        "consultation": None,
        "cache_key": key,
        "dispositions": answers,
    }


def own_dispositions(session: Session, user: User, now: datetime, *, after: int, up_to: int) -> list[dict[str, Any]]:
    """The secretariat's answers to the person's own comments released after release id `after`
    up to `up_to` (`Disposition.release_event_id`), newest first, at most MAX_ANSWERS.
    Personal (they concern only the author), so not part of the per-class content."""
    from consult.dispositions.forms import KIND_LABELS

    rnd = aliased(Round)  # the policy's round condition correlates on Round itself
    rows = session.execute(
        select(Disposition, Comment, rnd.title)
        .join(Comment, Comment.id == Disposition.comment_id)
        .join(rnd, rnd.id == Comment.round_id)
        .where(
            Comment.author_id == user.id,
            policy.comment_visibility(user, now),
            policy.disposition_visibility(user),
            and_(Disposition.release_event_id > after, Disposition.release_event_id <= up_to),
        )
        .order_by(Disposition.release_event_id.desc(), Disposition.id.desc())
        .limit(MAX_ANSWERS)
    ).all()
    return [
        {
            "round": title,
            "comment": comment.body,
            "kind": str(KIND_LABELS[disposition.kind]),
            "observation": disposition.observation,
            "url": url_for("dispositions.index", round_id=comment.round_id, _external=True),
        }
        for disposition, comment, title in rows
    ]


# --- Organiser digests ------------------------------------------------------------------------


def organiser_digest(session: Session, user: User, row: OutboxMessage, cache: RenderCache) -> dict[str, Any] | None:
    """An organiser's digest for a consultation, with its sections as the recipient sees them."""
    digest = session.get(Digest, row.digest_id)
    consultation = session.get(Consultation, digest.consultation_id)
    cache.keep += [digest, consultation]
    if not policy.can_read_consultation(user, consultation):
        return None
    key = ("organiser_digest", digest.id)
    viewer = policy.as_viewer(user)
    content = cache.class_content(key, viewer, lambda member: digest_content_for(session, digest, member))
    return {
        "notice": Notice.ORGANISER_DIGEST.value,
        "content": content,
        "intro": digest.intro,
        "consultation": consultation,
        "cache_key": key,
    }


def digest_content_for(session: Session, digest: Digest, viewer: Any) -> DigestContent:
    """An organiser digest's automatic sections as `viewer` may see them now: the comments new
    since the consultation's previous digest, and those that became visible because a round
    closed or was published since then (a late window over the rounds whose stage moved)."""
    viewer = policy.as_viewer(viewer)
    earlier = select(Digest.stage_ranks).where(Digest.consultation_id == digest.consultation_id)
    if digest.id is not None:  # a draft (the composer's preview) has no id: every digest is earlier
        earlier = earlier.where(Digest.id < digest.id)  # (2**62 overflowed PostgreSQL's integer)
    previous = session.scalar(earlier.order_by(Digest.id.desc()).limit(1))
    late = None
    if previous is not None:  # None: a first digest (it covers every key), or one made before ranks were kept
        then = {int(r): rank for r, rank in previous.items()}
        now_ranks = {int(r): rank for r, rank in (digest.stage_ranks or {}).items()}
        moved = {r: then.get(r, 0) for r, rank in now_ranks.items() if rank > then.get(r, 0)}
        late = LateWindow(viewer.visibility_class, moved, everything=False) if moved else None
    return build_digest(
        session,
        viewer,
        Window(digest.from_comment_key, digest.to_comment_key, late),
        Period(digest.since, digest.sent_at or utcnow()),
        consultation_id=digest.consultation_id,
    )
