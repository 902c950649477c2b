"""Reading a round: the round page (the draft text with each clause's visible comments, the
filters, the comment form where asked for; cached in memory) and the side-by-side matrix."""

from __future__ import annotations

import secrets

from flask import render_template, request, session
from flask_babel import get_locale, get_timezone, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.comments.forms import comment_form_maker
from consult.comments.models import CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.languages import parse_language
from consult.pagecache import page_cache
from consult.policy import Permission
from consult.rounds import bp
from consult.rounds.forms import DeadlineForm, ReasonForm
from consult.rounds.queries import (
    DEFAULT_PAGE,
    MAX_PAGE,
    matrix,
    parse_after,
    parse_filters,
    round_page,
    visible_round,
)


@bp.route("/rounds/<int:round_id>")
def detail(round_id: int):
    """The round page: the draft text with each clause's visible comments, filters, the form."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
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
    # The draft in the language asked for (`text=`), else the reader's where translated.
    text_asked = parse_language(request.args.get("text"))

    def render_comments() -> tuple[Markup, int, str]:
        groups = stakeholder_groups(db)
        filters = parse_filters(request.args, groups)
        page = round_page(db, round_, current_user, filters, after, size, now, groups, text_asked)
        on = comment_on if comment_on == "general" or comment_on in {c.key for c in page.clauses} else ""
        html = render_template(
            "rounds/_comments.html",
            labels=_clause_labels(page),
            new_comment_form=comment_form_maker(db, round_, current_user),
            comment_on=on,
            round=round_,
            page=page,
            filters=filters,
            size=size,
            comment_types=list(CommentType),
            can_comment=can_comment,
            text_asked=text_asked,
        )
        return Markup(html), page.total, on  # noqa: S704 (a rendered, autoescaped template)  # nosec B704

    def render_page(comments: tuple[Markup, int, str], csrf_token=None) -> str:
        part, total, on = comments
        extra = {"csrf_token": csrf_token} if csrf_token else {}
        steps = {}
        if policy.can(current_user, Permission.ROUND_VIEW_UNAPPROVED):  # the forms of rounds/_actions.html
            steps = {"reason_form": ReasonForm(formdata=None), "deadline_form": DeadlineForm(formdata=None)}
        return render_template(
            "rounds/detail.html",
            comments_part=part,
            total=total,
            round=round_,
            consultation=db.get(Consultation, round_.consultation_id),
            phase=phase,
            now=now,
            can_comment=can_comment,
            **steps,
            **extra,
        )

    if comment_on:  # the form carries this session's CSRF token: never cached
        return render_page(render_comments())
    key = (
        "round",
        round_.id,
        round_.created_at,
        round_.revision,
        phase,
        can_comment,
        policy.as_viewer(current_user).cache_key,
        str(get_locale()),
        str(get_timezone()),
        request.args.get("type", ""),
        request.args.get("group", "")[:12],
        request.args.get("clause", "")[:32],
        parse_language(request.args.get("language")),
        text_asked,
        size,
        after,
    )
    cache = page_cache()
    if session.get("_flashes") or policy.can(current_user, Permission.ROUND_VIEW_UNAPPROVED):
        # A message to show once, or the organisers' steps (forms, deadline warnings): the
        # page is rendered around the cached comments part.
        return render_page(cache.get_or_make((*key, "comments"), render_comments))
    # The whole page, cached with a stand-in for the CSRF token (the sign-out form's), which
    # is put in per response: the stand-in is random per process, so no text can forge it.
    page = cache.get_or_make((*key, "page"), lambda: render_page(render_comments(), lambda: _CSRF_STAND_IN))
    return page.replace(_CSRF_STAND_IN, generate_csrf())


_CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"


def _clause_labels(page) -> dict[str | None, tuple[str, str]]:
    """Each section's "n comments you can see" and "Comment on ..." texts, translated here in
    one go (through the template's gettext they cost more than the rest of the section)."""
    translations = get_translations()
    ngettext, gettext = translations.ngettext, translations.gettext
    comment_on = gettext("Comment on %(what)s")
    labels = {}
    for key, what in [(None, gettext("the whole text")), *((c.key, c.number) for c in page.clauses)]:
        n = page.counts.get(key, 0)
        count = ngettext("%(num)d comment you can see", "%(num)d comments you can see", n) % {"num": n}
        labels[key] = (count, comment_on % {"what": what})
    return labels


@bp.route("/rounds/<int:round_id>/matrix")
def matrix_view(round_id: int):
    """Side by side: clauses as rows, stakeholder groups as columns, visible positions in cells
    (clauses named in the reader's language where translated, `text=` another)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    groups, rows, text = matrix(db, round_, current_user, utcnow(), parse_language(request.args.get("text")))
    show = request.args.get("show", "all")
    if show == "divergent":
        rows = [r for r in rows if r.divergent]
    elif show == "uncommented":
        rows = [r for r in rows if r.total == 0]
    return render_template(
        "rounds/matrix.html",
        round=round_,
        groups=groups,
        rows=rows,
        show=show,
        text_choice=text,
        consultation=db.get(Consultation, round_.consultation_id),
    )
