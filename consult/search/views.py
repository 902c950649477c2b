"""The search page: one box in the header, results across consultations, rounds, clauses,
comments and dispositions, filters, and the next page by cursor."""

from __future__ import annotations

import secrets
import time

from flask import abort, current_app, render_template, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import exists, select

from consult import policy
from consult.auth.models import Organisation, StakeholderGroup
from consult.comments.models import Comment, CommentStatus, CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.drafts.models import Clause
from consult.extensions import limiter
from consult.pagecache import page_cache
from consult.rounds.models import Round
from consult.search import bp
from consult.search.forms import KIND_LABELS, SORT_LABELS, choice_args, parse_args
from consult.search.queries import search

CHOICES = 200  # at most this many consultations, rounds or organisations in a filter's list


def _search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


def _person_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


def data_key(db, now) -> tuple:
    """What search results depend on besides the viewer and the query: every round's revision
    (moved by the triggers of migration 0007 on every change to its comments, rule, text,
    consultation and to names) and phase now, which consultations are public, and a time
    bucket (dispositions, and texts of consultations without rounds, are at most
    SEARCH_CACHE_SECONDS old). Read with two plain statements (this runs on every search)."""
    connection = db.connection()
    rounds = tuple((r.id, r.revision, Round.phase(r, now)) for r in connection.execute(_ROUND_STATES))
    public = tuple(tuple(row) for row in connection.execute(_PUBLIC))
    seconds = max(current_app.config["SEARCH_CACHE_SECONDS"], 1)
    return hash(rounds), hash(public), int(time.time() // seconds)


_ROUND_STATES = select(Round.id, Round.revision, Round.status, Round.opens_at, Round.closes_at)
_PUBLIC = select(Consultation.id, Consultation.is_public)


def _choices(db, filters) -> dict:
    viewer = current_user
    consultations = db.execute(
        policy.visible_consultations(select(Consultation.id, Consultation.title), viewer)
        .order_by(Consultation.id.desc())
        .limit(CHOICES)
    ).all()
    stmt = select(Round.id, Round.title).order_by(Round.id.desc()).limit(CHOICES)
    if filters.consultation_id is not None:
        stmt = stmt.where(Round.consultation_id == filters.consultation_id)
    rounds = db.execute(policy.visible_rounds(stmt, viewer)).all()
    clauses = []
    if filters.round_id is not None:
        version = select(Round.version_id).where(Round.id == filters.round_id, policy.round_visibility(viewer))
        clauses = db.execute(
            select(Clause.key, Clause.number, Clause.heading)
            .where(Clause.version_id == version.scalar_subquery())
            .order_by(Clause.position)
            .limit(500)
        ).all()
    groups = db.execute(select(StakeholderGroup.id, StakeholderGroup.name).order_by(StakeholderGroup.position)).all()
    # Only organisations the viewer may know as the authors of some comment they may see: the
    # list itself names no one behind a group-only comment, nor who takes part where unseen.
    known = exists(
        select(Comment.id).where(
            Comment.organisation_id == Organisation.id,
            policy.comment_visibility(viewer, utcnow()),
            policy.attribution_visibility(viewer, "organisation"),
        )
    )
    organisations = db.execute(
        select(Organisation.id, Organisation.name).where(known).order_by(Organisation.name).limit(CHOICES)
    ).all()
    return {
        "consultations": consultations,
        "rounds": rounds,
        "clauses": clauses,
        "groups": groups,
        "organisations": organisations,
        "kinds": KIND_LABELS,
        "sorts": SORT_LABELS,
        "types": list(CommentType),
        "statuses": list(CommentStatus),
    }


@bp.route("/search")
def results():
    """Search results the viewer may see, with the matched words highlighted.

    The rate limit counts the searches that run (a page not in the cache): a page served from
    the cache costs what any cached page costs, and the limit is there against the expensive
    path (someone scripting endless new queries)."""
    args = parse_args(request.args)
    if args.bad_cursor:
        abort(400)
    db = get_session()
    now = utcnow()

    def render(csrf_token=None) -> str:
        with limiter.limit(_search_limit, key_func=_person_key):
            page = search(db, current_user, args.query, args.filters, args.sort, args.after, now=now)
        extra = {"csrf_token": csrf_token} if csrf_token else {}
        return render_template(
            "search/results.html",
            q=args.raw,
            query=args.query,
            filters=args.filters,
            sort=args.sort,
            page=page,
            next_args=choice_args(args.filters, q=args.raw, sort=args.sort if args.sort != "relevance" else None),
            searched=bool(args.raw.strip()),
            now=now,
            **_choices(db, args.filters),
            **extra,
        )

    if session.get("_flashes"):
        return render()
    key = (
        "search",
        data_key(db, now),
        policy.as_viewer(current_user).cache_key,
        str(get_locale()),
        str(get_timezone()),
        args.raw,
        args.filters,
        args.sort,
        args.after,
    )
    page = page_cache().get_or_make(key, lambda: render(lambda: _CSRF_STAND_IN))
    return page.replace(_CSRF_STAND_IN, generate_csrf()) if _CSRF_STAND_IN in page else page


_CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"
