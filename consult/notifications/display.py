"""What a notification says to its reader, decided when it is displayed.

A page of notifications is shown with a fixed number of statements: the rounds and comments
they are about are loaded through policy (`visible_rounds`, `comment_visibility`) at this
moment, and the reasons they carry from their audit entries, only for readers who may read
them (the author of a returned comment, the organisers of a round sent back or of an objection).
The rows themselves are chosen with `policy.notification_visibility`, so a notification about
a comment its reader may not see now is neither listed nor counted; what is shown never names
or quotes more than the reader may see now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import audit, policy, timeutil
from consult.comments.models import Comment, CommentStatus
from consult.notifications.models import Notification
from consult.rounds.models import Round

SNIPPET = 160


@dataclass
class Shown:
    """One notification as its reader sees it now."""

    notification: Notification
    text: str
    url: str
    reason: str = ""
    quote: str = ""  # the start of a comment the reader may see

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


def shown(session: Session, viewer: Any, rows: list[Notification], now: datetime) -> list[Shown]:
    """The notifications `rows` (chosen with `policy.notification_visibility`) as `viewer` sees
    them now: three statements, whatever the rows."""
    round_ids = {n.round_id for n in rows if n.round_id}
    comment_ids = {n.comment_id for n in rows if n.comment_id}
    rounds = (
        {r.id: r for r in session.scalars(policy.visible_rounds(select(Round).where(Round.id.in_(round_ids)), viewer))}
        if round_ids
        else {}
    )
    comments = (
        {
            c.id: c
            for c in session.scalars(
                select(Comment).where(Comment.id.in_(comment_ids), policy.comment_visibility(viewer, now))
            )
        }
        if comment_ids
        else {}
    )
    event_ids = {n.params.get("event_id") for n in rows if isinstance(n.params.get("event_id"), int)}
    reasons: dict[int, str] = {}
    if event_ids:
        found = session.execute(
            select(audit.AuditEvent.id, audit.AuditEvent.reason).where(audit.AuditEvent.id.in_(event_ids))
        )
        reasons = {event_id: reason for event_id, reason in found}
    me = policy.as_viewer(viewer)
    result = []
    for n in rows:
        round_ = rounds.get(n.round_id) if n.round_id else None
        comment = comments.get(n.comment_id) if n.comment_id else None
        if (n.round_id and round_ is None) or (n.comment_id and comment is None):
            continue  # (policy.notification_visibility leaves these out already)
        if comment is not None and round_ is None:
            continue
        item = _describe(n, me, round_, comment, reasons.get(n.params.get("event_id"), ""), now)
        if item is not None:
            result.append(item)
    return result


def _describe(
    n: Notification, me: policy.Viewer, round_: Round | None, comment: Comment | None, reason: str, now: datetime
) -> Shown | None:
    title = round_.title if round_ is not None else ""
    kind = n.kind
    if round_ is None:
        return None
    round_url = url_for("rounds.detail", round_id=round_.id)
    if kind == "round_opened":
        return Shown(
            n,
            _(
                "The round %(title)s is open for comments until %(deadline)s.",
                title=title,
                deadline=_local(round_.closes_at),
            ),
            round_url,
        )
    if kind == "round_closing":
        return Shown(
            n,
            _("The round %(title)s closes %(when)s.", title=title, when=timeutil.relative(round_.closes_at, now)),
            round_url,
        )
    if kind == "round_published":
        return Shown(n, _("The results of the round %(title)s are published.", title=title), round_url)
    if kind == "round_approved":
        text = _(
            "A moderator approved the round %(title)s; it opens on %(when)s.", title=title, when=_local(round_.opens_at)
        )
        return Shown(n, text, round_url)
    if kind == "round_submitted":
        return Shown(n, _("The round %(title)s waits for your approval.", title=title), round_url)
    if kind == "publication_requested":
        return Shown(n, _("The results of the round %(title)s wait for publication.", title=title), round_url)
    if kind == "round_sent_back":
        if n.params.get("step") == "publication":
            text = _("Publication of the round %(title)s was declined.", title=title)
            return Shown(n, text, round_url, reason=reason)
        text = _("The round %(title)s was sent back to the organisers.", title=title)
        return Shown(n, text, url_for("rounds.settings", round_id=round_.id), reason=reason)
    if kind == "dispositions_released":
        count = int(n.params.get("count") or 0)
        text = ngettext(
            "The secretariat answered %(num)d of your comments in %(title)s.",
            "The secretariat answered %(num)d of your comments in %(title)s.",
            count,
            title=title,
        )
        return Shown(n, text, url_for("dispositions.index", round_id=round_.id, status="released"))
    if kind == "objection_maintained" and comment is not None:
        text = _("An objection to a disposition in %(title)s is maintained.", title=title)
        url = url_for("dispositions.index", round_id=round_.id, status="objection")
        return Shown(n, text, url, reason=reason, quote=_snippet(comment.body))
    if comment is None:
        return None
    own = comment.author_id == me.id
    quote = _snippet(comment.body)
    if kind == "comment_returned" and own:
        text = _("Your focal point returned your comment in %(title)s.", title=title)
        return Shown(n, text, url_for("comments.edit", comment_id=comment.id), reason=reason, quote=quote)
    if kind == "comment_decided" and own:
        decision = n.params.get("decision")
        url = url_for("comments.detail", comment_id=comment.id)
        if decision == "accepted":
            return Shown(n, _("Your comment in %(title)s was accepted.", title=title), url, quote=quote)
        if decision == "rejected":
            text = _("Your comment in %(title)s was rejected.", title=title)
            return Shown(n, text, url, reason=comment.rejection_reason, quote=quote)
        text = _("Your comment in %(title)s was hidden by a moderator.", title=title)
        return Shown(n, text, url, reason=comment.hidden_reason if comment.is_hidden else "", quote=quote)
    if kind == "comment_waiting":
        if comment.status is CommentStatus.AWAITING_SIGNOFF and policy.can(
            me, policy.Permission.COMMENT_SIGNOFF, comment
        ):
            text = _("A comment in %(title)s waits for your sign-off.", title=title)
            return Shown(n, text, url_for("moderation.signoff_queue", round=round_.id), quote=quote)
        if comment.status is CommentStatus.AWAITING_MODERATION and policy.can(me, policy.Permission.COMMENT_MODERATE):
            text = _("A comment in %(title)s waits for moderation.", title=title)
            return Shown(n, text, url_for("moderation.index", round=round_.id), quote=quote)
        text = _("A comment in %(title)s waited for you; it has been handled.", title=title)
        return Shown(n, text, url_for("comments.detail", comment_id=comment.id), quote=quote)
    return None


def _local(value: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(value, "d MMM y, HH:mm zzz")
