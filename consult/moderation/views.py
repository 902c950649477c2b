"""Moderators' queues and decisions, and the focal point's sign-off queue."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from consult import policy
from consult.comments import services as comment_services
from consult.comments.models import Comment, CommentReport, CommentStatus
from consult.comments.queries import visible_comment
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.errors import Invalid
from consult.moderation import bp, services
from consult.moderation.forms import DecisionForm, HideForm, ResolveForm, SignoffForm
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
@permission_required(Permission.COMMENT_MODERATE)
def index():
    """The moderators' queues: rounds to approve or publish, comments to accept, reports."""
    db = get_session()
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
    visible = policy.comment_visibility(current_user)
    waiting = and_(Comment.status == CommentStatus.AWAITING_MODERATION, visible)
    pending = db.scalars(with_people(select(Comment).where(waiting).order_by(Comment.id)).limit(QUEUE)).unique().all()
    pending_total = db.scalar(select(func.count(Comment.id)).where(waiting))
    reports = db.scalars(
        select(CommentReport)
        .join(Comment, Comment.id == CommentReport.comment_id)
        .options(joinedload(CommentReport.comment), joinedload(CommentReport.reporter))
        .where(CommentReport.resolved_at.is_(None), visible)
        .order_by(CommentReport.id)
        .limit(QUEUE)
    ).all()
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
        consultations=consultations,
        decision_form=DecisionForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
        resolve_form=ResolveForm(formdata=None),
        now=utcnow(),
    )


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
    """The focal point's queue: the organisation's comments waiting for sign-off."""
    db = get_session()
    stmt = with_people(
        select(Comment)
        .where(
            Comment.organisation_id == current_user.organisation_id,
            Comment.status == CommentStatus.AWAITING_SIGNOFF,
            Comment.author_id != current_user.id,
        )
        .order_by(Comment.id)
    )
    page = paginate(db, policy.visible_comments(stmt, current_user), QUEUE)
    rounds = {r.id: r for r in db.scalars(select(Round).where(Round.id.in_({c.round_id for c in page.items})))}
    return render_template(
        "moderation/signoff.html", page=page, rounds=rounds, form=SignoffForm(formdata=None), now=utcnow()
    )


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
        success=_("Signed off: the comment now counts.") if accept else _("Returned to the author with your reason."),
        refusals=(comment_services.RoundClosed, Invalid),
    )
    return redirect(_back(url_for("moderation.signoff_queue")))
