"""Reading through the API: what the caller may see, filtered by the policy in SQL, as the pages do."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, tuple_

from consult import policy
from consult.api import present, schemas
from consult.api.registry import ApiError, api_route
from consult.auth.models import StakeholderGroup
from consult.comments.models import Comment, CommentStatus
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.dispositions.queries import disposition_page
from consult.drafts.models import Clause, Draft, DraftVersion
from consult.policy import Permission
from consult.rounds.models import Round, RoundVisibility
from consult.rounds.queries import CommentFilters, with_people


def not_found() -> ApiError:
    return ApiError(404, _("Nothing you may see is at this address."))


def visible_round(db, round_id: int, user) -> Round:
    found = db.scalar(policy.visible_rounds(select(Round).where(Round.id == round_id), user))
    if found is None:
        raise not_found()
    return found


def visible_comment(db, comment_id: int, user) -> Comment:
    stmt = with_people(select(Comment).where(Comment.id == comment_id, policy.comment_visibility(user)))
    found = db.scalars(stmt).unique().one_or_none()
    if found is None:
        raise not_found()
    return found


def _groups(db) -> dict[int, StakeholderGroup]:
    return {g.id: g for g in db.scalars(select(StakeholderGroup).order_by(StakeholderGroup.position).limit(100))}


def _filters(db, query: schemas.CommentQuery) -> CommentFilters:
    groups = _groups(db)
    return CommentFilters(
        type=query.type,
        group_id=query.group if query.group in groups else (-1 if query.group else None),
        clause_key=query.clause if query.clause and query.clause != "general" else None,
        general_only=query.clause == "general",
        language=query.language,
    )


def _round_summary(r: Round, now) -> schemas.RoundSummary:
    return schemas.RoundSummary(
        id=r.id, title=r.title, phase=r.phase(now), opens_at=r.opens_at, closes_at=r.closes_at, version_id=r.version_id
    )


def _consultation(c: Consultation) -> dict:
    return {
        "id": c.id,
        "title": c.title,
        "summary": c.summary,
        "conference_name": c.conference_name,
        "conference_place": c.conference_place,
        "conference_date": c.conference_date,
        "is_public": c.is_public,
    }


@api_route("GET", "/me", summary="Who the token speaks for", tag="account", response=schemas.Me)
def me(ctx):
    """The token's owner, their organisation and group, and the token's scopes and expiry."""
    user = ctx.user
    group = user.stakeholder_group
    return schemas.Me(
        id=user.id,
        display_name=user.display_name,
        role=user.role.value,
        organisation=user.organisation.name if user.organisation else None,
        stakeholder_group=schemas.Group(id=group.id, name=group.name) if group else None,
        scopes=sorted(s.value for s in ctx.token.scope_set),
        token_expires_at=ctx.token.expires_at,
    )


@api_route(
    "GET",
    "/consultations",
    summary="Consultations",
    tag="consultations",
    query=schemas.PageQuery,
    response=schemas.ConsultationList,
)
def consultations(ctx):
    """The consultations the caller may see, newest first."""
    db = get_session()
    after = present.decode_cursor(ctx.query.cursor, 1)
    stmt = policy.visible_consultations(select(Consultation), ctx.user)
    if after:
        stmt = stmt.where(Consultation.id < after[0])
    rows = list(db.scalars(stmt.order_by(Consultation.id.desc()).limit(ctx.query.limit + 1)))
    more = len(rows) > ctx.query.limit
    rows = rows[: ctx.query.limit]
    return schemas.ConsultationList(
        items=[schemas.Consultation(**_consultation(c)) for c in rows],
        next_cursor=present.encode_cursor(rows[-1].id) if more else None,
    )


@api_route(
    "GET",
    "/consultations/{consultation_id}",
    summary="One consultation, its rounds and draft versions",
    tag="consultations",
    response=schemas.ConsultationDetail,
)
def consultation(ctx, consultation_id: int):
    """A consultation with the rounds the caller may see and the versions of its drafts."""
    db = get_session()
    found = db.get(Consultation, consultation_id)
    if not policy.can_read_consultation(ctx.user, found):
        raise not_found()
    now = utcnow()
    rounds = db.scalars(
        policy.visible_rounds(select(Round).where(Round.consultation_id == found.id), ctx.user)
        .order_by(Round.opens_at, Round.id)
        .limit(100)
    )
    versions = db.execute(
        select(DraftVersion.id, DraftVersion.draft_id, DraftVersion.number, Draft.title)
        .join(Draft, Draft.id == DraftVersion.draft_id)
        .where(Draft.consultation_id == found.id)
        .order_by(Draft.id, DraftVersion.number)
        .limit(100)
    )
    return schemas.ConsultationDetail(
        **_consultation(found),
        rounds=[_round_summary(r, now) for r in rounds],
        versions=[
            schemas.VersionSummary(id=v.id, draft_id=v.draft_id, draft_title=v.title, number=v.number) for v in versions
        ],
    )


@api_route("GET", "/rounds/{round_id}", summary="One round: phase, dates, rule", tag="rounds", response=schemas.Round)
def round_detail(ctx, round_id: int):
    """A round's phase and dates, whether the caller may comment, and the cells of its
    visibility rule that concern the caller (for staff, every cell)."""
    db = get_session()
    user = ctx.user
    found = visible_round(db, round_id, user)
    now = utcnow()
    groups = _groups(db)
    cells = select(RoundVisibility).where(RoundVisibility.round_id == found.id)
    if not policy.sees_all_comments(user):
        group_id = user.organisation.stakeholder_group_id if user.organisation_id else -1
        cells = cells.where(RoundVisibility.viewer_group_id == group_id)
    rule = [
        schemas.RuleCell(
            viewer_group=schemas.Group(id=c.viewer_group_id, name=groups[c.viewer_group_id].name),
            author_group=schemas.Group(id=c.author_group_id, name=groups[c.author_group_id].name),
            stage=c.stage,
        )
        for c in db.scalars(cells.order_by(RoundVisibility.viewer_group_id, RoundVisibility.author_group_id))
        if c.viewer_group_id in groups and c.author_group_id in groups
    ]
    return schemas.Round(
        **_round_summary(found, now).model_dump(),
        consultation_id=found.consultation_id,
        description=found.description,
        requires_signoff=found.requires_signoff,
        premoderation=found.premoderation,
        results_public=found.results_public,
        can_comment=found.is_open(now)
        and policy.can(user, Permission.COMMENT_CREATE)
        and user.organisation_id is not None,
        rule=rule,
    )


@api_route(
    "GET", "/versions/{version_id}", summary="A draft version with its clauses", tag="drafts", response=schemas.Version
)
def version(ctx, version_id: int):
    """An immutable version of a draft: its clauses in order, each with its stable key."""
    db = get_session()
    found = db.get(DraftVersion, version_id)
    consultation = db.get(Consultation, found.draft.consultation_id) if found else None
    if not policy.can_read_consultation(ctx.user, consultation):
        raise not_found()
    clauses = db.scalars(select(Clause).where(Clause.version_id == found.id).order_by(Clause.position).limit(2000))
    return schemas.Version(
        id=found.id,
        draft_id=found.draft_id,
        draft_title=found.draft.title,
        number=found.number,
        consultation_id=consultation.id,
        note=found.note,
        created_at=found.created_at,
        clauses=[
            schemas.Clause(key=c.key, position=c.position, number=c.number, heading=c.heading, body=c.body)
            for c in clauses
        ],
    )


@api_route(
    "GET",
    "/rounds/{round_id}/comments",
    summary="The round's comments the caller may see",
    tag="comments",
    query=schemas.CommentQuery,
    response=schemas.CommentList,
)
def round_comments(ctx, round_id: int):
    """In document order (clause, then age), with the round page's filters."""
    db = get_session()
    found = visible_round(db, round_id, ctx.user)
    after = present.decode_cursor(ctx.query.cursor, 2)
    visible = policy.comment_visibility_in_round(db, ctx.user, found, utcnow())
    stmt = _filters(db, ctx.query).apply(select(Comment).where(Comment.round_id == found.id, visible))
    if after:
        stmt = stmt.where(tuple_(Comment.clause_position, Comment.id) > tuple_(*after))
    limit = ctx.query.limit
    rows = list(db.scalars(with_people(stmt.order_by(Comment.clause_position, Comment.id).limit(limit + 1))).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return schemas.CommentList(
        items=[present.comment(c, ctx.user) for c in rows],
        next_cursor=present.encode_cursor(rows[-1].clause_position, rows[-1].id) if more else None,
    )


@api_route("GET", "/comments/{comment_id}", summary="One comment", tag="comments", response=schemas.Comment)
def comment(ctx, comment_id: int):
    """A comment the caller may see."""
    return present.comment(visible_comment(get_session(), comment_id, ctx.user), ctx.user)


@api_route(
    "GET",
    "/rounds/{round_id}/dispositions",
    summary="The round's accepted comments with their dispositions",
    tag="dispositions",
    query=schemas.DispositionQuery,
    response=schemas.DispositionList,
)
def round_dispositions(ctx, round_id: int):
    """Accepted comments the caller may see, each with its released disposition (staff: drafted
    ones too) and the commenter's acknowledgement."""
    db = get_session()
    found = visible_round(db, round_id, ctx.user)
    after = present.decode_cursor(ctx.query.cursor, 2)
    status = ctx.query.status
    if status == "drafted" and not policy.sees_all_comments(ctx.user):
        status = None
    now = utcnow()
    page = disposition_page(db, found, ctx.user, _filters(db, ctx.query), status, after, now, size=ctx.query.limit)
    phase = found.phase(now)
    items = []
    for row in page.rows:
        d, ack = row.disposition, row.acknowledgement
        items.append(
            schemas.CommentWithDisposition(
                comment=present.comment(row.comment, ctx.user),
                disposition=schemas.Disposition(
                    id=d.id,
                    kind=d.kind,
                    observation=d.observation,
                    released=d.is_released,
                    acknowledgement=schemas.Acknowledgement(
                        kind=ack.kind,
                        reason=ack.reason if policy.can_read_answer_reason(ctx.user, row.comment, phase) else "",
                        updated_at=ack.updated_at,
                    )
                    if ack
                    else None,
                )
                if d
                else None,
            )
        )
    cursor = None
    if page.next_after:
        position, ident = page.next_after.split(".")
        cursor = present.encode_cursor(int(position), int(ident))
    return schemas.DispositionList(items=items, answered=page.answered, total=page.total, next_cursor=cursor)


@api_route(
    "GET",
    "/me/comments",
    summary="The caller's own comments",
    tag="account",
    query=schemas.PageQuery,
    response=schemas.CommentList,
)
def my_comments(ctx):
    """One's own comments in every round one may see, newest first, drafts included."""
    if not policy.can(ctx.user, Permission.COMMENT_CREATE):
        raise ApiError(403, _("Only people who speak for an organisation write comments."))
    return _comment_list(ctx, select(Comment).where(Comment.author_id == ctx.user.id), newest_first=True)


@api_route(
    "GET",
    "/me/signoff-queue",
    summary="Comments waiting for the caller's sign-off",
    tag="account",
    query=schemas.PageQuery,
    response=schemas.CommentList,
)
def signoff_queue(ctx):
    """A focal point's queue: their organisation's comments waiting for sign-off, oldest first."""
    if not policy.can(ctx.user, Permission.COMMENT_SIGNOFF):
        raise ApiError(403, _("Only focal points sign comments off."))
    stmt = select(Comment).where(
        Comment.organisation_id == ctx.user.organisation_id,
        Comment.status == CommentStatus.AWAITING_SIGNOFF,
        Comment.author_id != ctx.user.id,
    )
    return _comment_list(ctx, stmt, newest_first=False)


def _comment_list(ctx, stmt, newest_first: bool) -> schemas.CommentList:
    db = get_session()
    after = present.decode_cursor(ctx.query.cursor, 1)
    if after:
        stmt = stmt.where(Comment.id < after[0] if newest_first else Comment.id > after[0])
    order = Comment.id.desc() if newest_first else Comment.id
    stmt = policy.visible_comments(stmt, ctx.user).order_by(order).limit(ctx.query.limit + 1)
    rows = list(db.scalars(with_people(stmt)).unique())
    more = len(rows) > ctx.query.limit
    rows = rows[: ctx.query.limit]
    return schemas.CommentList(
        items=[present.comment(c, ctx.user) for c in rows],
        next_cursor=present.encode_cursor(rows[-1].id) if more else None,
    )
