"""Comment pages: write, edit, submit, withdraw, report, one comment, and "my comments"."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult import policy
from consult.comments import bp, display, services  # noqa: F401  (display registers template helpers)
from consult.comments.forms import GENERAL, PREFIX_RE, ActionForm, CommentForm, ReportForm, comment_form, submit_words
from consult.comments.models import Attribution, Comment, CommentClause, CommentStatus, CommentType
from consult.comments.queries import visible_comment
from consult.db import get_session, utcnow
from consult.drafts.models import Clause
from consult.errors import Conflict, Invalid, NotAllowed
from consult.extensions import limiter
from consult.pagination import paginate
from consult.policy import Permission
from consult.rounds.models import Round
from consult.rounds.queries import visible_round
from consult.web import create_once, csrf_in_form, current_actor, flash_ok, permission_required


def _input(form: CommentForm) -> services.CommentInput:
    return services.CommentInput(
        clause_key=None if form.clause.data == GENERAL else form.clause.data,
        type=CommentType(form.type.data),
        body=form.body.data or "",
        proposed_change=form.proposed_change.data or "",
        attribution=Attribution(form.attribution.data),
        supports_text=bool(form.supports_text.data),
        line_number=form.line_number.data or "",
        paragraph=form.paragraph.data or "",
    )


def _form_page(
    form: CommentForm,
    round_: Round,
    comment: Comment | None = None,
    message: str | None = None,
    status: int = 200,
):
    return render_template(
        "comments/form.html",
        form=form,
        round=round_,
        comment=comment,
        message=message,
        organisation=current_user.organisation,
    ), status


@bp.route("/rounds/<int:round_id>/comments/new")
@permission_required(Permission.COMMENT_CREATE)
def new(round_id: int):
    """The comment form on its own page (also where refused comments come back)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    clause = request.args.get("clause", GENERAL)[:32]
    form = comment_form(db, round_, clause=clause, author=current_user)
    message = None if round_.is_open(utcnow()) else _("This round is not open for comments.")
    return _form_page(form, round_, message=message)


def _comment_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def _person_key() -> str:
    # The person, not the login id (which names the session too: a second browser is not a new budget).
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


@bp.route("/rounds/<int:round_id>/comments", methods=["POST"])
@permission_required(Permission.COMMENT_CREATE)
@limiter.limit(_comment_limit, key_func=_person_key)
@csrf_in_form
def create(round_id: int):
    """Store a comment (submitted, or as a draft); refusals give the text back."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    prefix = request.form.get("prefix", "")
    if not PREFIX_RE.match(prefix):
        abort(400)
    form = comment_form(db, round_, formdata=request.form, prefix=prefix, author=current_user)
    if not form.validate_on_submit():
        return _form_page(form, round_, status=400)
    try:
        comment, created = services.save_comment(
            db,
            actor=current_actor(),
            round_=round_,
            data=_input(form),
            nonce=form.nonce.data,
            submit=not form.save_draft.data,
        )
    except services.RoundClosed as exc:
        db.rollback()
        return _form_page(form, round_, message=str(exc), status=409)
    except Invalid as exc:
        db.rollback()
        name = {"clause": "clause"}.get(exc.field or "", "body")
        form[name].errors = [*form[name].errors, str(exc)]
        return _form_page(form, round_, status=400)
    db.commit()
    flash_ok(_saved_message(comment.status) if created else _("This comment was already saved; it is stored once."))
    return redirect(
        url_for("rounds.detail", round_id=round_.id, clause=comment.clause_key or GENERAL) + f"#comment-{comment.id}"
    )


def _saved_message(status: CommentStatus, edited: bool = False) -> str:
    """What became of a comment just saved, in the words of its status."""
    if status is CommentStatus.DRAFT:
        return _("Draft saved. Only you can see it until you submit it.")
    if status is CommentStatus.AWAITING_SIGNOFF:
        if edited:
            return _(
                "Your changes are saved. The comment is back with your organisation's focal point for "
                "sign-off; others do not see it until it is accepted."
            )
        return _("Comment sent to your organisation's focal point for sign-off.")
    if status is CommentStatus.AWAITING_MODERATION:
        if edited:
            return _("Your changes are saved. The comment waits for a moderator; others see it once it is accepted.")
        return _("Comment submitted; it is visible to others once a moderator accepts it.")
    return _("Your changes are saved.") if edited else _("Comment submitted.")


@bp.route("/comments/<int:comment_id>")
def detail(comment_id: int):
    """One comment, with what the viewer may do with it."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    round_ = db.get(Round, comment.round_id)
    clause = None
    if comment.clause_key:
        clause = db.scalar(
            select(Clause).where(Clause.version_id == round_.version_id, Clause.key == comment.clause_key)
        )
    also = db.scalars(
        select(Clause)
        .join(CommentClause, CommentClause.clause_key == Clause.key)
        .where(CommentClause.comment_id == comment.id, Clause.version_id == round_.version_id)
        .order_by(Clause.position)
        .limit(100)
    ).all()
    now = utcnow()
    words = None  # what sending it again would do, for its author's steps
    steps = policy.comment_steps(current_user, comment, round_.is_open(now))
    if steps & {policy.CommentStep.EDIT, policy.CommentStep.SUBMIT}:
        editing = comment.status
        next_status = services.status_after_submit(db, round_, current_user)
        words = submit_words(next_status, round_, current_user, editing)
    return render_template(
        "comments/detail.html",
        comment=comment,
        round=round_,
        clause=clause,
        also=also,
        action_form=ActionForm(formdata=None),
        now=now,
        submit_words=words,
    )


def own_comment(db, comment_id: int) -> Comment:
    comment = visible_comment(db, current_user, comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    return comment


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.COMMENT_CREATE)
@limiter.limit(_comment_limit, key_func=_person_key, methods=["POST"])
@csrf_in_form
def edit(comment_id: int):
    """The author edits a comment while the round is open."""
    db = get_session()
    comment = own_comment(db, comment_id)
    round_ = db.get(Round, comment.round_id)
    if request.method == "GET":
        form = comment_form(
            db,
            round_,
            clause=comment.clause_key or GENERAL,
            type=comment.type.value,
            body=comment.body,
            proposed_change=comment.proposed_change,
            supports_text=comment.supports_text,
            attribution=comment.attribution.value,
            line_number=comment.line_number,
            paragraph=comment.paragraph,
            author=current_user,
            editing=comment.status,
        )
        message = None if round_.is_open(utcnow()) else _("This round is closed: the comment can no longer be changed.")
        return _form_page(form, round_, comment, message=message)
    form = comment_form(db, round_, formdata=request.form, author=current_user, editing=comment.status)
    if not form.validate_on_submit():
        return _form_page(form, round_, comment, status=400)
    try:
        services.update_comment(
            db, actor=current_actor(), comment=comment, data=_input(form), submit=not form.save_draft.data
        )
    except services.RoundClosed as exc:
        db.rollback()
        return _form_page(form, round_, comment, message=str(exc), status=409)
    except (Invalid, Conflict) as exc:
        db.rollback()
        form.body.errors = [*form.body.errors, str(exc)]
        return _form_page(form, round_, comment, status=400)
    db.commit()
    flash_ok(_saved_message(comment.status, edited=True))
    return redirect(url_for("comments.detail", comment_id=comment.id))


def _author_action(comment_id: int, action, success):
    """`success`: the message, or a function of the comment that gives it."""
    db = get_session()
    comment = own_comment(db, comment_id)
    ActionForm().validate_on_submit()
    try:
        action(db, comment)
    except services.RoundClosed as exc:
        raise Conflict(str(exc)) from None
    db.commit()
    flash_ok(success(comment) if callable(success) else success)
    return redirect(url_for("comments.detail", comment_id=comment.id))


@bp.route("/comments/<int:comment_id>/submit", methods=["POST"])
@permission_required(Permission.COMMENT_CREATE)
def submit(comment_id: int):
    """Submit a draft comment."""

    def do(db, comment):
        if comment.status is not CommentStatus.DRAFT:
            raise Conflict(_("This comment has already been submitted."))
        data = services.CommentInput(
            comment.clause_key, comment.type, comment.body, comment.proposed_change, comment.attribution
        )
        services.update_comment(db, actor=current_actor(), comment=comment, data=data, submit=True)

    return _author_action(comment_id, do, lambda comment: _saved_message(comment.status))


@bp.route("/comments/<int:comment_id>/withdraw", methods=["POST"])
@permission_required(Permission.COMMENT_CREATE)
def withdraw(comment_id: int):
    """The author withdraws a comment while the round is open."""
    return _author_action(
        comment_id,
        lambda db, c: services.withdraw_comment(db, actor=current_actor(), comment=c),
        _("Comment withdrawn."),
    )


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@permission_required(Permission.COMMENT_REPORT)
@csrf_in_form
def report(comment_id: int):
    """Report a comment to the moderators (this hides nothing by itself)."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    form = ReportForm()
    if form.validate_on_submit():
        done = create_once(
            form,
            lambda: services.report(db, actor=current_actor(), comment=comment, reason=form.reason.data),
            purpose="report",
            url_of=lambda _report: url_for("comments.detail", comment_id=comment.id),
            field="reason",
            success=_("Thank you. The moderators will look at this comment."),
        )
        if done:
            return redirect(done.url)
    status = 400 if request.method == "POST" else 200
    return render_template("comments/report.html", form=form, comment=comment), status


@bp.route("/my/comments")
@login_required
def mine():
    """My comments across rounds, with their status and any reason given."""
    if not policy.can(current_user, Permission.COMMENT_CREATE):
        raise NotAllowed(_("Only people who speak for an organisation write comments."))
    db = get_session()
    stmt = (
        select(Comment)
        .options(joinedload(Comment.stakeholder_group))
        .where(Comment.author_id == current_user.id)
        .order_by(Comment.id.desc())
    )
    page = paginate(db, policy.visible_comments(stmt, current_user), 20)
    rounds = {r.id: r for r in db.scalars(select(Round).where(Round.id.in_({c.round_id for c in page.items})))}
    return render_template(
        "comments/mine.html", page=page, rounds=rounds, now=utcnow(), action_form=ActionForm(formdata=None)
    )
