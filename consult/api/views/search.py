"""The API's search operation: the same statement as the search page, through the policy."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from consult.api import schemas
from consult.api.registry import ApiError, api_route
from consult.db import get_session


@api_route(
    "GET",
    "/search",
    summary="Full-text search",
    tag="search",
    query=schemas.SearchQuery,
    response=schemas.SearchResults,
)
def search(ctx):
    """What the caller may see that matches the words, as on the search page."""
    from consult.search import queries
    from consult.search.engines import parse_query

    q = ctx.query
    filters = queries.SearchFilters(
        kind=q.kind,
        consultation_id=q.consultation,
        round_id=q.round,
        clause_key=q.clause if q.clause and q.clause != "general" else None,
        general_only=q.clause == "general",
        group_id=q.group,
        organisation_id=q.organisation,
        type=q.type,
        status=q.status,
        language=q.language,
    )
    after = queries.decode_cursor(q.sort, q.cursor) if q.cursor else None
    if q.cursor and after is None:
        raise ApiError(400, _("This cursor is not one this API gave out: start again without it."))
    page = queries.search(get_session(), ctx.user, parse_query(q.q), filters, q.sort, after, size=q.limit)
    return schemas.SearchResults(items=[_hit(h, ctx.user) for h in page.hits], next_cursor=page.next_cursor)


def _hit(hit, viewer) -> schemas.SearchHit:
    from consult.comments.display import comment_label

    c = hit.comment
    title = {
        "consultation": lambda: hit.consultation.title,
        "round": lambda: hit.round.title,
        "clause": lambda: f"{hit.clause.number} {hit.clause.heading}".strip(),
    }.get(hit.kind, lambda: comment_label(c, viewer))()
    if hit.kind == "consultation":
        url = url_for("consultations.detail", consultation_id=hit.id)
    elif hit.kind == "round":
        url = url_for("rounds.detail", round_id=hit.id)
    elif hit.kind == "clause":
        url = url_for("drafts.version", version_id=hit.clause.version_id) + f"#clause-{hit.clause.key}"
    else:
        url = url_for("comments.detail", comment_id=c.id)
    group = c.stakeholder_group if c is not None else None
    return schemas.SearchHit(
        kind=hit.kind,
        id=hit.id,
        title=title,
        snippets={k: str(v) for k, v in hit.snippets.items()},
        consultation_id=hit.consultation.id if hit.consultation else None,
        round_id=hit.round.id if hit.round else None,
        clause=hit.clause.key if hit.clause else (c.clause_key if c else None),
        comment_id=c.id if c else None,
        stakeholder_group=schemas.Group(id=group.id, name=group.name) if group else None,
        url=url,
    )
