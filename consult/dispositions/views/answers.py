"""The dispositions page of a round: record, release, acknowledge, and the open objections."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.comments.models import Comment, CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions import bp, services
from consult.dispositions.forms import (
    ACK_LABELS,
    CARRIED_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    AcknowledgementForm,
    DispositionForm,
    ReleaseForm,
)
from consult.dispositions.models import AcknowledgementKind, Disposition, DispositionKind
from consult.dispositions.queries import STATUSES, answerable_comment, disposition_page, release_preview
from consult.drafts.models import Clause
from consult.errors import DomainError
from consult.policy import Permission
from consult.rounds.queries import parse_after, parse_filters, visible_round
from consult.web import commit_or_refuse, current_actor, permission_required


def _answer_choices(later: list[Clause]) -> list[tuple[int, str]]:
    return [(0, _("No particular clause"))] + [(c.id, f"{c.number} {c.heading}") for c in later]


@bp.route("/rounds/<int:round_id>/dispositions")
def index(round_id: int):
    """Every accepted comment of the round the viewer may see, with its disposition and replies."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    now = utcnow()
    groups = stakeholder_groups(db)
    filters = parse_filters(request.args, groups)
    status = request.args.get("status", "")
    status = status if status in STATUSES else None
    if status == "drafted" and not policy.sees_all_comments(current_user):
        status = None
    page = disposition_page(db, round_, current_user, filters, status, parse_after(request.args.get("after")), now)
    clauses = list(db.scalars(select(Clause).where(Clause.version_id == round_.version_id).order_by(Clause.position)))
    next_version, carried = services.carried_forward(db, round_, {r.comment.clause_key for r in page.rows})
    later = services.later_clauses(db, round_) if policy.can(current_user, Permission.DISPOSITION_MANAGE) else []
    later_by_id = {c.id: c for c in later} or {
        c.id: c
        for c in db.scalars(
            select(Clause).where(Clause.id.in_({r.disposition.answer_clause_id for r in page.rows if r.disposition}))
        )
    }

    duplicates = _duplicate_numbers(db, [r.disposition for r in page.rows if r.disposition])
    phase = round_.phase(now)

    def reason_shown(comment: Comment) -> bool:
        # An answer's reason ("objection maintained because ...") has readers of its own.
        return policy.can_read_answer_reason(current_user, comment, phase)

    def disposition_form(row):
        d = row.disposition
        form = DispositionForm(
            formdata=None,
            prefix=f"c{row.comment.id}",
            data={
                "kind": d.kind.value if d else DispositionKind.NOTED.value,
                "observation": d.observation if d else "",
                "answer_clause": (d.answer_clause_id or 0) if d else 0,
                "duplicate_of": duplicates.get(d.duplicate_of_id, "") if d else "",
            },
        )
        form.answer_clause.choices = _answer_choices(later)
        return form

    def ack_form(row):
        ack = row.acknowledgement
        return AcknowledgementForm(
            formdata=None,
            prefix=f"a{row.disposition.id}",
            data={"kind": ack.kind.value if ack else None, "reason": ack.reason if ack else ""},
        )

    return render_template(
        "dispositions/index.html",
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        page=page,
        clauses=clauses,
        clause_by_key={c.key: c for c in clauses},
        groups=groups,
        filters=filters,
        status=status,
        statuses=[s for s in STATUSES if s != "drafted" or policy.sees_all_comments(current_user)],
        comment_types=list(CommentType),
        phase=phase,
        answerable_phase=phase in services.ANSWERABLE,
        reason_shown=reason_shown,
        next_version=next_version,
        carried=carried,
        later_by_id=later_by_id,
        duplicates={
            cid: _("another comment of this round") if label.startswith("#") else label
            for cid, label in duplicates.items()
        },
        disposition_form=disposition_form,
        ack_form=ack_form,
        KIND_LABELS=KIND_LABELS,
        ACK_LABELS=ACK_LABELS,
        DISPOSITION_STATUS_LABELS=STATUS_LABELS,
        CARRIED_LABELS=CARRIED_LABELS,
    )


def _duplicate_numbers(db, dispositions: list[Disposition]) -> dict[int, str]:
    """The numbers (or "#id", where the viewer may not see the number) of the comments these
    dispositions name as duplicated, in one query."""
    from consult.comments.display import number_shown

    ids = {d.duplicate_of_id for d in dispositions if d.duplicate_of_id}
    if not ids:
        return {}
    rows = db.execute(
        select(Comment.id, Comment.number, Comment.attribution, Comment.author_id, Comment.organisation_id).where(
            Comment.id.in_(ids)
        )
    )
    return {row.id: number_shown(row) or f"#{row.id}" for row in rows}


def _back(round_id: int, anchor: str = "") -> str:
    return url_for("dispositions.index", round_id=round_id) + anchor


@bp.route("/comments/<int:comment_id>/disposition", methods=["POST"])
@permission_required(Permission.DISPOSITION_MANAGE)
def record(comment_id: int):
    """The organiser records or revises a comment's disposition (drafted until released)."""
    db = get_session()
    comment = answerable_comment(db, current_user, comment_id)
    round_ = visible_round(db, current_user, comment.round_id)
    form = DispositionForm(prefix=f"c{comment.id}")
    form.answer_clause.choices = _answer_choices(services.later_clauses(db, round_))
    target = _back(round_.id, f"#comment-{comment.id}")
    if not form.validate():
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        flash(_("Nothing was changed: %(problems)s", problems=problems), "error")
        return redirect(target)
    commit_or_refuse(
        lambda: services.record_disposition(
            db,
            actor=current_actor(),
            comment=comment,
            kind=DispositionKind(form.kind.data),
            observation=(form.observation.data or "").replace("\r\n", "\n"),
            answer_clause_id=form.answer_clause.data or None,
            duplicate_of=_duplicate_of(db, comment, form.duplicate_of.data),
        ),
        success=_("Disposition saved. It stays private until you release the round's dispositions."),
        refusals=(DomainError,),
    )
    return redirect(target)


def _duplicate_of(db, comment: Comment, reference: str | None) -> Comment | None:
    """The comment of the same round that `reference` (its number) names, None if none does."""
    from consult.comments.numbering import find_by_number

    return find_by_number(db, comment.round_id, reference or "") if reference else None


@bp.route("/rounds/<int:round_id>/dispositions/release", methods=["GET", "POST"])
@permission_required(Permission.DISPOSITION_MANAGE)
def release(round_id: int):
    """The organiser reviews how many drafted dispositions a release shows, per stakeholder
    group, and confirms; every drafted disposition of the round is then released and its
    author told. A release whose count changed since the review is reviewed again."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    groups = release_preview(db, round_)
    total = sum(g.dispositions for g in groups)
    if request.method == "POST":
        form = ReleaseForm()
        expected = request.form.get("expected", type=int)
        if form.validate() and expected is not None and expected == total:
            done = commit_or_refuse(
                lambda: services.release_dispositions(db, actor=current_actor(), round_=round_),
                success=lambda count: ngettext(
                    "%(num)d disposition released; its author has been told.",
                    "%(num)d dispositions released; their authors have been told.",
                    count,
                ),
                refusals=(DomainError,),
            )
            if done.ok:
                return redirect(_back(round_id))
        elif expected is not None:
            flash(_("Dispositions were recorded or released meanwhile: check the count again."), "error")
    return render_template(
        "dispositions/release.html",
        round=round_,
        consultation=db.get(Consultation, round_.consultation_id),
        groups=groups,
        total=total,
        authors=sum(g.authors for g in groups),
        answerable_phase=round_.phase(utcnow()) in services.ANSWERABLE,
        form=ReleaseForm(formdata=None),
    )


@bp.route("/dispositions/<int:disposition_id>/acknowledge", methods=["POST"])
@permission_required(Permission.DISPOSITION_ACKNOWLEDGE)
def acknowledge(disposition_id: int):
    """The commenter (or their focal point) answers a released disposition."""
    db = get_session()
    if not 0 < disposition_id < 2**62:
        abort(404)
    disposition = db.scalar(
        select(Disposition).where(Disposition.id == disposition_id, policy.disposition_visibility(current_user))
    )
    if disposition is None:
        abort(404)
    comment = answerable_comment(db, current_user, disposition.comment_id)
    if not policy.can(current_user, Permission.DISPOSITION_ACKNOWLEDGE, comment):
        abort(403)
    form = AcknowledgementForm(prefix=f"a{disposition.id}")
    target = _back(comment.round_id, f"#comment-{comment.id}")
    if not form.validate() or form.kind.data not in AcknowledgementKind._value2member_map_:
        flash(_("Choose whether you are satisfied or maintain your objection."), "error")
        return redirect(target)
    commit_or_refuse(
        lambda: services.acknowledge(
            db,
            actor=current_actor(),
            disposition=disposition,
            kind=AcknowledgementKind(form.kind.data),
            reason=form.reason.data or "",
        ),
        success=_("Your answer has been recorded."),
        refusals=(DomainError,),
    )
    return redirect(target)
