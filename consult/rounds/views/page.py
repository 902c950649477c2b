"""Reading a round: the round page (the draft text with each clause's visible comments, the
filters, the comment form where asked for; cached in memory)."""

from __future__ import annotations

import secrets

from flask import render_template, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from consult import policy
from consult.db import get_session, utcnow
from consult.pagecache import page_cache
from consult.policy import Permission
from consult.rounds import bp
from consult.rounds.forms import DeadlineForm, ReasonForm
from consult.rounds.queries import DEFAULT_PAGE, MAX_PAGE, parse_after, visible_round
from consult.rounds.sections import comments_part


@bp.route("/rounds/<int:round_id>")
def detail(round_id: int):
    """The round page: the draft text with each clause's visible comments, filters, the form."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    viewer = policy.as_viewer(current_user)
    now = utcnow()
    phase = round_.phase(now)
    can_comment = (
        round_.is_open(now)
        and policy.can(current_user, Permission.COMMENT_CREATE)
        and current_user.organisation_id is not None
    )
    size = min(max(request.args.get("size", DEFAULT_PAGE, type=int) or DEFAULT_PAGE, 1), MAX_PAGE)
    after = parse_after(request.args.get("after"))
    # The comment form is rendered where the person asked for it (one form, not one per clause:
    # a page of forms costs more than the draft and its comments together).
    comment_on = request.args.get("comment_on", "")[:32]
    staff = policy.can(current_user, Permission.ROUND_VIEW_UNAPPROVED)  # the forms of rounds/_actions.html
    # round, created, phase, may comment, who, language, timezone
    around = (
        round_.id,
        round_.created_at,
        phase,
        can_comment,
        viewer.cache_key,
        str(get_locale()),
        str(get_timezone()),
    )
    whole = (
        "round",
        *around,
        round_.revision,
        request.args.get("type", ""),
        request.args.get("group", "")[:12],
        request.args.get("clause", "")[:32],
        size,
        after,
    )
    cache = page_cache()
    # The whole page for one person at one revision (a person reloading an unchanged round);
    # not with a message to show once, the organisers' steps (forms, deadline warnings) or
    # the comment form (it carries the session's token).
    whole_page = not (comment_on or staff or session.get("_flashes"))
    if whole_page and (page := cache.get(whole)) is not None:
        return _per_response(page)

    part = comments_part(
        db, round_, viewer, now, request.args, phase=phase, can_comment=can_comment, size=size, after=after,
        comment_on=comment_on,
    )  # fmt: skip

    def render_page(total, comments, csrf_token=None, signed_in_name=None) -> str:
        extra = {"csrf_token": csrf_token} if csrf_token else {}
        if signed_in_name:
            extra["signed_in_name"] = signed_in_name
            extra["switcher_next"] = _NEXT_STAND_IN
        steps = (
            {"reason_form": ReasonForm(formdata=None), "deadline_form": DeadlineForm(formdata=None)} if staff else {}
        )
        return render_template(
            "rounds/detail.html",
            comments_part=comments,
            total=total,
            round=round_,
            consultation=part.consultation,
            phase=phase,
            now=now,
            can_comment=can_comment,
            **steps,
            **extra,
        )

    if not whole_page:
        return render_page(part.total, part.html)
    # Around the comments, the page changes only with the round's frame (its settings, texts,
    # names) and shows nothing of the person but their name (and the bell and the token, put in
    # per response): kept per role and visibility class with stand-ins for the name, the
    # comments, their count and the token, so 200 delegates of 40 organisations share 40.
    stand_in = Markup(_PART_STAND_IN)  # noqa: S704 (a constant HTML comment)  # nosec B704
    outer_key = (*around[:4], viewer.role, viewer.visibility_class, *around[5:], round_.frame_revision)
    outer = cache.get_or_make(
        ("round-outer", *outer_key),
        lambda: render_page(_TOTAL_STAND_IN, stand_in, lambda: _CSRF_STAND_IN, _NAME_STAND_IN),
    )
    page = (
        outer.replace(_TOTAL_STAND_IN, str(part.total), 1)
        .replace(_NAME_STAND_IN, str(escape(current_user.display_name)) if viewer.is_authenticated else "", 1)
        .replace(_PART_STAND_IN, part.html, 1)
    )
    cache.put(whole, page)
    return _per_response(page)


def _per_response(page: str) -> str:
    """What a shared copy of the page holds of this request: its session's token, and the
    address the language switcher returns to (the one asked for, with all its parameters)."""
    here = request.full_path.rstrip("?")
    return page.replace(_CSRF_STAND_IN, generate_csrf()).replace(_NEXT_STAND_IN, str(escape(here)), 1)


# Stand-ins random per process, so that no text can forge them.
_CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"
_TOTAL_STAND_IN = f"total-{secrets.token_hex(16)}"
_PART_STAND_IN = f"<!--comments-{secrets.token_hex(16)}-->"
_NAME_STAND_IN = f"name-{secrets.token_hex(16)}"
_NEXT_STAND_IN = f"next-{secrets.token_hex(16)}"
