"""What a notification or digest says to one person, decided when it is sent.

Every comment in a digest comes through `policy.comment_visibility(recipient, now)` (the rule
the pages use) and every round through `policy.round_visibility`: a person whose role or
organisation changed since the row was queued gets what they may see at the moment of sending.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import flask_babel
from flask import g, render_template, url_for
from markupsafe import Markup, escape
from sqlalchemy import and_, case, func, not_, or_, select, true
from sqlalchemy.orm import Session, aliased

from consult import policy, tokens
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.comments.models import Comment
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests.models import Digest, EmailPreference, Notice, OutboxMessage
from consult.drafts.models import Clause
from consult.mailer import one_line, render_parts
from consult.rounds.models import Round, RoundStatus

UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 180 * 24 * 3600
CLOSING_WINDOW = timedelta(hours=48)


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


@dataclass
class ClauseSection:
    label: str
    groups: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


@dataclass
class RoundSection:
    round: Round
    url: str
    clauses: list[ClauseSection] = field(default_factory=list)


@dataclass
class DigestContent:
    rounds: list[RoundSection]
    opened: list[Round]
    closing: list[Round]
    published: list[Round]

    @property
    def comment_count(self) -> int:
        return sum(len(items) for r in self.rounds for c in r.clauses for _g, items in c.groups)

    def is_empty(self) -> bool:
        return not (self.rounds or self.opened or self.closing or self.published)

    def own_comment_ids(self, user_id: int) -> tuple[int, ...]:
        return tuple(
            item["id"]
            for r in self.rounds
            for c in r.clauses
            for _g, items in c.groups
            for item in items
            if item["author_id"] == user_id
        )

    def without(self, comment_ids: tuple[int, ...]) -> DigestContent:
        """The same content without these comments (a person's own are not news to them)."""
        if not comment_ids:
            return self
        rounds = []
        for r in self.rounds:
            clauses = []
            for c in r.clauses:
                groups = [(g, [i for i in items if i["id"] not in comment_ids]) for g, items in c.groups]
                groups = [(g, items) for g, items in groups if items]
                if groups:
                    clauses.append(ClauseSection(c.label, groups))
            if clauses:
                rounds.append(RoundSection(r.round, r.url, clauses))
        return DigestContent(rounds, self.opened, self.closing, self.published)


def _author_line(user: User, comment: Comment, author: User, organisation: Organisation, group: str) -> str:
    if policy.can_see_attribution(user, comment, "person"):
        return f"{author.display_name}, {organisation.name}"
    if policy.can_see_attribution(user, comment, "organisation"):
        return organisation.name
    return group


def comment_key(sees_all: bool, organisation_id: int | None) -> Any:
    """The SQL expression for a comment's digest key as a viewer of this kind sees it: the id
    of the audit entry of the moment the comment became visible to them. Staff and the author's
    organisation see it from its submission (`Comment.submitted_key`), everyone else from its
    acceptance (`Comment.accepted_key`), if the round's rule and stage let them at all."""
    if sees_all:
        return Comment.submitted_key
    if organisation_id is None:
        return Comment.accepted_key
    return case((Comment.organisation_id == organisation_id, Comment.submitted_key), else_=Comment.accepted_key)


def build_digest(
    session: Session,
    user: Any,
    *,
    from_key: int,
    to_key: int,
    since: datetime | None,
    until: datetime,
    consultation_id: int | None = None,
    now: datetime | None = None,
    late: dict[str, Any] | None = None,
    by_id: bool = False,
) -> DigestContent:
    """What is new for `user`: the comments they may see now (not their own) whose digest key
    (`comment_key`: when they became visible to this kind of viewer) is up to `to_key` and that
    they had not had by `from_key`: key after `from_key`, or, with `late` (see
    `services._late`), in a round that reached a further stage or after a change of the
    viewer's class, not visible under the state `late` names (`policy.comment_visibility_then`,
    with the key of that class) up to `from_key`. Grouped by round (latest activity first) →
    clause (document order) → stakeholder group, newest first; and rounds opened, closing soon
    or published. `by_id`: the keys are comment ids (rows queued before migration 0008)."""
    now = now or utcnow()
    sees_all = policy.sees_all_comments(user)
    key = Comment.id if by_id else comment_key(sees_all, getattr(user, "organisation_id", None))
    # A prefilter the indexes can answer: a comment new to anyone has a key after the cursor.
    candidates = (
        [Comment.id > from_key] if by_id else [Comment.submitted_key > from_key, Comment.accepted_key > from_key]
    )
    had = and_(key.is_not(None), key <= from_key)
    if late is not None:
        ranks = {int(round_id): rank for round_id, rank in late["ranks"].items()}
        then = policy.comment_visibility_then(user.id, late["class"], ranks)
        key_then = Comment.id if by_id else comment_key(bool(late["class"][0]), late["class"][2])
        had_then = and_(then, key_then.is_not(None), key_then <= from_key)
        if late["all"]:
            had, candidates = had_then, [true()]
        else:
            widened = Comment.round_id.in_(list(ranks))
            had = or_(and_(not_(widened), had), and_(widened, had_then))
            candidates.append(widened)
    new = and_(or_(*candidates), not_(had))
    author, org, group = aliased(User), aliased(Organisation), aliased(StakeholderGroup)
    # An alias: the policy's condition has its own subquery on `round`, which an outer `round`
    # would swallow by correlation.
    rnd = aliased(Round)
    stmt = (
        select(Comment, rnd, Clause, author, org, group)
        .join(rnd, rnd.id == Comment.round_id)
        .join(author, author.id == Comment.author_id)
        .join(org, org.id == Comment.organisation_id)
        .join(group, group.id == Comment.stakeholder_group_id)
        .outerjoin(Clause, and_(Clause.version_id == rnd.version_id, Clause.key == Comment.clause_key))
        .where(
            new,
            key <= to_key,
            Comment.author_id != user.id,
            policy.comment_visibility(user, now),
        )
        .order_by(Comment.id.desc())
    )
    if consultation_id is not None:
        stmt = stmt.where(rnd.consultation_id == consultation_id)
    by_round: dict[int, RoundSection] = {}
    cells: dict[tuple[int, int], dict[int, tuple[str, list]]] = {}
    clause_labels: dict[tuple[int, int], str] = {}
    for comment, round_, clause, person, organisation, grp in session.execute(stmt):
        section = by_round.get(round_.id)
        if section is None:
            section = by_round[round_.id] = RoundSection(
                round_, url_for("rounds.detail", round_id=round_.id, _external=True)
            )
        position = comment.clause_position
        clause_labels[(round_.id, position)] = f"{clause.number} {clause.heading}" if clause is not None else ""
        cell = cells.setdefault((round_.id, position), {})
        _name, items = cell.setdefault(grp.position * 10_000 + grp.id, (grp.name, []))
        items.append(
            {
                "id": comment.id,
                "author_id": comment.author_id,
                "body": comment.body,
                "proposed_change": comment.proposed_change,
                "author": _author_line(user, comment, person, organisation, grp.name),
                "url": url_for("comments.detail", comment_id=comment.id, _external=True),
            }
        )
    for (round_id, position), groups in sorted(cells.items(), key=lambda kv: kv[0][1]):
        by_round[round_id].clauses.append(
            ClauseSection(clause_labels[(round_id, position)], [groups[k] for k in sorted(groups)])
        )
    since = since or until - timedelta(days=7)
    rounds = policy.visible_rounds(select(Round), user)
    if consultation_id is not None:
        rounds = rounds.where(Round.consultation_id == consultation_id)
    approved = Round.status == RoundStatus.APPROVED
    opened = session.scalars(rounds.where(approved, Round.opens_at >= since, Round.opens_at < until))
    closing = session.scalars(
        rounds.where(
            approved,
            Round.opens_at <= until,
            Round.closes_at > until,
            Round.closes_at >= since + CLOSING_WINDOW,
            Round.closes_at < until + CLOSING_WINDOW,
        )
    )
    published = session.scalars(
        rounds.where(
            Round.status.in_([RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]),
            Round.published_at >= since,
            Round.published_at < until,
        )
    )
    return DigestContent(list(by_round.values()), list(opened), list(closing), list(published))


def _preference(session: Session, user: User) -> EmailPreference:
    from consult.digests.services import preference_or_default

    return preference_or_default(session, user)


class RenderCache:
    """Work shared by the recipients of a delivery run: a digest's content is queried once per
    visibility class (`policy.class_member`), and its sections and the message around them
    rendered once per class and timezone; each person then loses only their own comments, and
    gets their name and unsubscribe link put in.

    The sender checks it at the start of every batch against the rounds' revisions (moved by
    database triggers on every change to comments, rules, rounds, groups and names: migration
    0007) and starts afresh when anything changed, so what a message shows is what its
    recipient could see when its batch began (a comment hidden, a round published)."""

    def __init__(self) -> None:
        self.fingerprint: tuple | None = None
        self._clear()
        self.preferences_url: str | None = None

    def _clear(self) -> None:
        self.content: dict[tuple, DigestContent] = {}
        self.keep: list[Any] = []  # objects the run reuses (the identity map holds them weakly)
        self.sections: dict[tuple, tuple[Markup, str]] = {}
        self.messages: dict[tuple, Personalised | None] = {}

    def check(self, session: Session) -> None:
        """Forget everything if a round changed since the cache's content was read: the number
        of rounds and the sum of their revisions (revisions only grow) tell."""
        fingerprint = tuple(
            session.execute(select(func.count(Round.id), func.coalesce(func.sum(Round.revision), 0))).one()
        )
        if fingerprint != self.fingerprint:
            self._clear()
            self.fingerprint = fingerprint


class _Addressee:
    """Who a shared rendering is addressed to: marks where the person's name goes."""

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name


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
        parts = render_parts(name, user=_Addressee(self.name_mark), unsubscribe_url=self.url_mark, **context)
        # Each part split at the marks once: [text, mark, text, mark, ..., text].
        pattern = re.compile(f"({self.name_mark}|{self.url_mark})")
        self.pieces = [pattern.split(part) for part in parts]

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


def render_row(
    session: Session, row: OutboxMessage, cache: RenderCache | None = None
) -> tuple[str, str, str, dict[str, str]] | None:
    """(subject, text, html, headers) of a notification or digest row, or None: nothing to send."""
    cache = cache or RenderCache()
    user = session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.is_active:
        return None
    context = RENDERERS[row.template](session, user, row, cache)
    if context is None:
        return None
    notice = context.pop("notice")
    if notice != "digest" and not _preference(session, user).wants(Notice(notice)):
        return None
    unsubscribe_url = url_for("digests.unsubscribe", token=unsubscribe_token(user.id, notice), _external=True)
    if cache.preferences_url is None:
        cache.preferences_url = url_for("digests.preferences", _external=True)
    context["preferences_url"] = cache.preferences_url
    with recipient_timezone(user):
        if "content" in context:
            key = (row.template, *_sections(cache, context, user))
            if not context.get("dispositions"):  # nothing else personal: render once, fill in
                if key not in cache.messages:
                    shared = Personalised(row.template, **context)
                    cache.messages[key] = shared if shared.usable() else None
                shared = cache.messages[key]
                if shared is not None:
                    subject, text, html = shared.fill(user.display_name, unsubscribe_url)
                    return subject, text, html, list_headers(unsubscribe_url)
        subject, text, html = render_parts(row.template, user=user, unsubscribe_url=unsubscribe_url, **context)
    return subject, text, html, list_headers(unsubscribe_url)


@contextmanager
def recipient_timezone(user: User) -> Iterator[None]:
    """Show times in the recipient's timezone (Flask-Babel caches the zone per context)."""
    wanted = user.timezone or "UTC"
    if g.get("email_timezone") == wanted:
        yield
        return
    g.email_timezone = wanted
    flask_babel.refresh()
    yield


def _sections(cache: RenderCache, context: dict[str, Any], user: User) -> tuple:
    """Put the digest's sections, as this person sees them, into `context`; returns their key."""
    content: DigestContent = context["content"]
    # The class is part of the key: sections rendered for one class never reach another.
    own = content.own_comment_ids(user.id)
    key = (context.pop("cache_key"), policy.visibility_class(user), own, user.timezone)
    found = cache.sections.get(key)
    if found is None:
        mine = content.without(own)
        html = render_template("email/_sections.html", content=mine, intro=context["intro"])
        text = render_template("email/_sections.txt", content=mine, intro=context["intro"])
        # The .html partial is autoescaped: its output is safe to put into the email as it is.
        found = cache.sections[key] = (Markup(html), text)  # noqa: S704 (autoescaped .html template output)  # nosec B704
    context["sections_html"], context["sections_text"] = found
    return key


def _class_content(cache: RenderCache, key: tuple, user: User, build) -> DigestContent:
    key = (*key, policy.visibility_class(user))
    found = cache.content.get(key)
    if found is None:
        found = cache.content[key] = build(policy.class_member(user))
    return found


def _personal_digest(session: Session, user: User, row: OutboxMessage, cache: RenderCache) -> dict[str, Any] | None:
    p = row.params
    if _preference(session, user).digest_frequency.value == "none":
        return None
    late = p.get("late")
    key = (
        "digest",
        bool(p.get("keys")),
        p["from"],
        p["to"],
        p.get("since"),
        p["until"],
        json.dumps(late, sort_keys=True),
    )
    content = _class_content(
        cache,
        key,
        user,
        lambda member: build_digest(
            session,
            member,
            from_key=p["from"],
            to_key=p["to"],
            since=datetime.fromisoformat(p["since"]) if p.get("since") else None,
            until=datetime.fromisoformat(p["until"]),
            late=late,
            by_id=not p.get("keys"),
        ),
    )
    until = datetime.fromisoformat(p["until"])
    if "answers" in p:
        answers = own_dispositions(session, user, until, after_release=p["answers"][0], up_to=p["answers"][1])
    else:  # queued before answers were chosen by release id
        since = datetime.fromisoformat(p["since"]) if p.get("since") else until - timedelta(days=7)
        answers = own_dispositions(session, user, until, released_in=(since, until))
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


def own_dispositions(
    session: Session,
    user: User,
    now: datetime,
    *,
    after_release: int = 0,
    up_to: int = 0,
    released_in: tuple[datetime, datetime] | None = None,
) -> list[dict[str, Any]]:
    """The secretariat's answers to the person's own comments released after release id
    `after_release` up to `up_to` (`Disposition.release_event_id`), newest first, at most 50;
    or, for rows queued before release ids, released in the time window `released_in`.

    Personal (they concern only the author), so not part of the per-class content.
    """
    from consult.dispositions.forms import KIND_LABELS
    from consult.dispositions.models import Disposition

    if released_in is not None:
        chosen = and_(Disposition.released_at >= released_in[0], Disposition.released_at < released_in[1])
    else:
        chosen = and_(Disposition.release_event_id > after_release, Disposition.release_event_id <= up_to)
    rnd = aliased(Round)  # the policy's round condition correlates on Round itself
    rows = session.execute(
        select(Disposition, Comment, rnd.title)
        .join(Comment, Comment.id == Disposition.comment_id)
        .join(rnd, rnd.id == Comment.round_id)
        .where(
            Comment.author_id == user.id,
            policy.comment_visibility(user, now),
            policy.disposition_visibility(user),
            chosen,
        )
        .order_by(Disposition.release_event_id.desc(), Disposition.id.desc())
        .limit(50)
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


def _organiser_digest(session: Session, user: User, row: OutboxMessage, cache: RenderCache) -> dict[str, Any] | None:
    digest = session.get(Digest, row.digest_id)
    consultation = session.get(Consultation, digest.consultation_id)
    cache.keep += [digest, consultation]
    if not policy.can_read_consultation(user, consultation):
        return None
    key = ("organiser_digest", digest.id)
    content = _class_content(cache, key, user, lambda member: digest_content_for(session, digest, member))
    return {
        "notice": Notice.ORGANISER_DIGEST.value,
        "content": content,
        "intro": digest.intro,
        "consultation": consultation,
        "cache_key": key,
    }


def digest_content_for(session: Session, digest: Digest, user: Any) -> DigestContent:
    """An organiser digest's automatic sections as `user` may see them now."""
    return build_digest(
        session,
        user,
        from_key=digest.from_comment_key,
        to_key=digest.to_comment_key,
        since=digest.since,
        until=digest.sent_at or utcnow(),
        consultation_id=digest.consultation_id,
    )


def _visible_round(session: Session, user: User, round_id: int) -> Round | None:
    return session.scalar(policy.visible_rounds(select(Round).where(Round.id == round_id), user))


def _round_notice(notice: Notice):
    def render(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
        round_ = _visible_round(session, user, row.params["round_id"])
        if round_ is None:
            return None
        url = url_for("rounds.detail", round_id=round_.id, _external=True)
        return {"notice": notice.value, "round": round_, "url": url}

    return render


def _comment_notice(notice: Notice):
    def render(session: Session, user: User, row: OutboxMessage, _cache: RenderCache) -> dict[str, Any] | None:
        comment = session.scalar(
            select(Comment).where(Comment.id == row.params["comment_id"], policy.comment_visibility(user))
        )
        if comment is None:
            return None
        round_ = session.get(Round, comment.round_id)
        url = url_for("comments.detail", comment_id=comment.id, _external=True)
        return {"notice": notice.value, "comment": comment, "round": round_, "url": url, **row.params}

    return render


def _dispositions_notice(
    session: Session, user: User, row: OutboxMessage, _cache: RenderCache
) -> dict[str, Any] | None:
    round_ = _visible_round(session, user, row.params["round_id"])
    if round_ is None:
        return None
    url = url_for("dispositions.index", round_id=round_.id, _external=True)
    return {"notice": Notice.DISPOSITION_RELEASED.value, "round": round_, "url": url, "count": row.params["count"]}


RENDERERS = {
    "digest": _personal_digest,
    "organiser_digest": _organiser_digest,
    "round_opened": _round_notice(Notice.ROUND_OPENED),
    "round_closing": _round_notice(Notice.ROUND_CLOSING),
    "round_published": _round_notice(Notice.ROUND_PUBLISHED),
    "comment_decided": _comment_notice(Notice.COMMENT_DECIDED),
    "comment_waiting": _comment_notice(Notice.COMMENT_WAITING),
    "dispositions_released": _dispositions_notice,
}
