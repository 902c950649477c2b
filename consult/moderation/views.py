"""Moderators' queues and decisions, and the focal point's sign-off queue."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from consult import policy
from consult.comments import services as comment_services
from consult.comments.models import Comment, CommentReport, CommentStatus
from consult.comments.queries import visible_comment
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.errors import DomainError, Invalid
from consult.moderation import bp, queries, services
from consult.moderation.forms import BulkForm, DecisionForm, HideForm, ResolveForm, SignoffForm
from consult.pagination import paginate
from consult.policy import Permission
from consult.rounds.forms import ReasonForm
from consult.rounds.models import Round, RoundStatus
from consult.rounds.queries import with_people
from consult.web import commit_or_refuse, current_actor, get_or_404, is_safe_next, permission_required

QUEUE = 20


def _back(default: str) -> str:
    back = request.form.get("back", "")
    return back if is_safe_next(back) else default


@bp.route("/moderation")
@permission_required(Permission.MODERATION_VIEW)
def index():
    """The moderation queues: rounds to approve or publish, comments to accept, reports; each
    comment with its context. Moderators act on them; organisers read them (policy)."""
    db = get_session()
    now = utcnow()
    # The same visibility as every other surface (moderators happen to see every round and
    # every submitted comment; the queues must not depend on that).
    rounds = policy.visible_rounds(select(Round), current_user)
    approvals = db.scalars(
        rounds.where(Round.status == RoundStatus.PENDING_APPROVAL).order_by(Round.opens_at).limit(QUEUE)
    ).all()
    publications = db.scalars(
        rounds.where(Round.status == RoundStatus.APPROVED, Round.publication_requested_at.is_not(None))
        .order_by(Round.publication_requested_at)
        .limit(QUEUE)
    ).all()
    visible = policy.comment_visibility(current_user, now)
    waiting = and_(Comment.status == CommentStatus.AWAITING_MODERATION, visible)
    reported = Comment.id.in_(select(CommentReport.comment_id).where(CommentReport.resolved_at.is_(None)))
    choices = queries.queue_rounds(db, current_user, and_(visible, or_(waiting, reported)))
    filters = queries.parse_queue_filters(request.args, [r for r, _title in choices])
    pending = paginate(
        db, with_people(filters.apply(select(Comment).where(waiting)).order_by(Comment.updated_at, Comment.id)), QUEUE
    )
    pending_total = db.scalar(filters.apply(select(func.count(Comment.id)).where(waiting)))
    reports, reports_total = queries.open_reports(db, current_user, filters, QUEUE)
    consultations = {
        c.id: c
        for c in db.scalars(
            select(Consultation).where(Consultation.id.in_({r.consultation_id for r in [*approvals, *publications]}))
        )
    }
    return render_template(
        "moderation/index.html",
        approvals=approvals,
        publications=publications,
        pending=pending,
        pending_total=pending_total,
        reports=reports,
        reports_total=reports_total,
        context=queries.contexts(db, [*pending.items, *(r.comment for r in reports)]),
        consultations=consultations,
        filters=filters,
        round_choices=choices,
        clauses=queries.clause_choices(db, filters.round_id),
        decision_form=DecisionForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
        resolve_form=ResolveForm(formdata=None),
        version_of=queries.version_of,
        now=now,
    )


def _bulk(decide, chosen: list) -> int:
    """Decide each selected comment through the same service as one at a time (checked and
    audited one by one), each in a savepoint: a comment changed meanwhile, handled by someone
    else or no longer visible is left out, and listed. Commits; returns how many were decided."""
    db = get_session()
    decided, left_out = 0, []
    for comment_id, seen in chosen:
        try:
            with db.begin_nested():
                decide(db, visible_comment(db, current_user, comment_id), seen)
            decided += 1
        except DomainError as exc:
            left_out.append((comment_id, str(exc) or _("it is not in this queue")))
    left_out = [_("%(comment)s: %(why)s", comment=label, why=why) for label, why in _labelled(db, left_out)]
    db.commit()
    if left_out:
        flash(
            ngettext(
                "%(num)d comment was left out, because it changed meanwhile or was handled already: %(which)s",
                "%(num)d comments were left out, because they changed meanwhile or were handled already: %(which)s",
                len(left_out),
                which="; ".join(left_out),
            ),
            "error",
        )
    return decided


def _labelled(db, items: list) -> list:
    """(comment id, why) pairs as (label, why): a person knows comments by their number, never
    by the database id; one the viewer may no longer see is "a comment"."""
    from consult.comments.display import comment_label

    ids = [comment_id for comment_id, _why in items]
    found = (
        {
            c.id: c
            for c in db.scalars(
                with_people(
                    select(Comment).where(Comment.id.in_(ids), policy.comment_visibility(current_user, utcnow()))
                )
            ).unique()
        }
        if ids
        else {}
    )
    return [(comment_label(found[i]) if i in found else _("a comment"), why) for i, why in items]


def _selection():
    """The bulk form's choice, reason and selected comments; None (with a message) when unusable."""
    form = BulkForm()
    form.validate()
    accept = bool(form.accept.data) and not form.refuse.data
    reason = (form.reason.data or "").strip()
    chosen, refused = queries.parse_selection(request.form.getlist("comment_ids"))
    if not chosen:
        flash(_("Select at least one comment first."), "error")
        return None
    if not accept and not reason:
        flash(_("Give the reason the authors will see; nothing was changed."), "error")
        return None
    if refused:
        flash(
            ngettext(
                "%(num)d selection could not be read and was left out.",
                "%(num)d selections could not be read and were left out.",
                refused,
            ),
            "error",
        )
    return accept, reason, chosen


@bp.route("/moderation/bulk", methods=["POST"])
@permission_required(Permission.COMMENT_MODERATE)
def bulk_moderate():
    """Accept or reject several pre-moderated comments with one reason."""
    back = _back(url_for("moderation.index"))
    selection = _selection()
    if selection is None:
        return redirect(back)
    accept, reason, chosen = selection
    actor = current_actor()
    decided = _bulk(
        lambda db, comment, seen: services.moderate(
            db, actor=actor, comment=comment, accept=accept, reason=reason, seen=seen
        ),
        chosen,
    )
    if decided and accept:
        flash(ngettext("%(num)d comment accepted.", "%(num)d comments accepted.", decided), "success")
    elif decided:
        flash(
            ngettext(
                "%(num)d comment rejected; its author sees your reason.",
                "%(num)d comments rejected; their authors see your reason.",
                decided,
            ),
            "success",
        )
    return redirect(back)


@bp.route("/comments/<int:comment_id>/moderate", methods=["POST"])
@permission_required(Permission.COMMENT_MODERATE)
def moderate(comment_id: int):
    """Accept a pre-moderated comment, or reject it with a reason the author sees."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    form = DecisionForm()
    form.validate()
    accept = bool(form.accept.data) and not form.refuse.data
    commit_or_refuse(
        lambda: services.moderate(
            db, actor=current_actor(), comment=comment, accept=accept, reason=form.reason.data or ""
        ),
        success=_("Comment accepted.") if accept else _("Comment rejected; the author sees your reason."),
    )
    return redirect(_back(url_for("moderation.index")))


@bp.route("/comments/<int:comment_id>/hide", methods=["POST"])
@permission_required(Permission.COMMENT_HIDE)
def hide(comment_id: int):
    """Hide a comment from everyone but its author and staff, with a reason."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    form = HideForm()
    form.validate()
    commit_or_refuse(
        lambda: services.hide(db, actor=current_actor(), comment=comment, reason=form.reason.data or ""),
        success=_("The comment is hidden; its author sees your reason."),
    )
    return redirect(_back(url_for("comments.detail", comment_id=comment.id)))


@bp.route("/comments/<int:comment_id>/unhide", methods=["POST"])
@permission_required(Permission.COMMENT_HIDE)
def unhide(comment_id: int):
    """Show a hidden comment again."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    form = HideForm()
    form.validate()
    commit_or_refuse(
        lambda: services.unhide(db, actor=current_actor(), comment=comment, reason=form.reason.data or ""),
        success=_("The comment is visible again."),
    )
    return redirect(_back(url_for("comments.detail", comment_id=comment.id)))


@bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
@permission_required(Permission.REPORT_HANDLE)
def resolve_report(report_id: int):
    """Close a report, saying what was done."""
    db = get_session()
    item = get_or_404(db, CommentReport, report_id)
    form = ResolveForm()
    form.validate()
    services.resolve_report(db, actor=current_actor(), item=item, resolution=form.resolution.data or "")
    db.commit()
    flash(_("Report closed."), "success")
    return redirect(_back(url_for("moderation.index")))


@bp.route("/signoff")
@permission_required(Permission.COMMENT_SIGNOFF)
def signoff_queue():
    """The focal point's queue: the organisation's comments waiting for sign-off, with context."""
    db = get_session()
    now = utcnow()
    waiting = and_(
        Comment.organisation_id == current_user.organisation_id,
        Comment.status == CommentStatus.AWAITING_SIGNOFF,
        Comment.author_id != current_user.id,
        policy.comment_visibility(current_user, now),
    )
    choices = queries.queue_rounds(db, current_user, waiting)
    filters = queries.parse_queue_filters(request.args, [r for r, _title in choices])
    stmt = with_people(filters.apply(select(Comment).where(waiting)).order_by(Comment.updated_at, Comment.id))
    page = paginate(db, stmt, QUEUE)
    return render_template(
        "moderation/signoff.html",
        page=page,
        context=queries.contexts(db, page.items),
        filters=filters,
        round_choices=choices,
        clauses=queries.clause_choices(db, filters.round_id),
        form=SignoffForm(formdata=None),
        version_of=queries.version_of,
        now=now,
    )


@bp.route("/signoff/bulk", methods=["POST"])
@permission_required(Permission.COMMENT_SIGNOFF)
def bulk_signoff():
    """Sign off several comments, or return them to their authors with one reason."""
    back = _back(url_for("moderation.signoff_queue"))
    selection = _selection()
    if selection is None:
        return redirect(back)
    accept, reason, chosen = selection
    actor = current_actor()
    decided = _bulk(
        lambda db, comment, seen: services.sign_off(
            db, actor=actor, comment=comment, accept=accept, reason=reason, seen=seen
        ),
        chosen,
    )
    if decided and accept:
        flash(ngettext("%(num)d comment signed off.", "%(num)d comments signed off.", decided), "success")
    elif decided:
        flash(
            ngettext(
                "%(num)d comment returned to its author with your reason.",
                "%(num)d comments returned to their authors with your reason.",
                decided,
            ),
            "success",
        )
    return redirect(back)


def _signed_off_message(comment) -> str:
    """What signing off did: the comment goes to a moderator (pre-moderation), or others read it."""
    if comment.status is CommentStatus.AWAITING_MODERATION:
        return _("Signed off: the comment now goes to a moderator, who accepts it before others see it.")
    return _("Signed off: the comment is accepted; others see it as the round's rule allows.")


@bp.route("/comments/<int:comment_id>/signoff", methods=["POST"])
@permission_required(Permission.COMMENT_SIGNOFF)
def signoff(comment_id: int):
    """The focal point signs a comment off, or returns it with a reason."""
    db = get_session()
    comment = visible_comment(db, current_user, comment_id)
    form = SignoffForm()
    form.validate()
    accept = bool(form.accept.data) and not form.refuse.data
    commit_or_refuse(
        lambda: services.sign_off(
            db, actor=current_actor(), comment=comment, accept=accept, reason=form.reason.data or ""
        ),
        success=_signed_off_message if accept else _("Returned to the author with your reason."),
        refusals=(comment_services.RoundClosed, Invalid),
    )
    return redirect(_back(url_for("moderation.signoff_queue")))
