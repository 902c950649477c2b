"""The search form's parameters: read from the query string, checked, and labelled.

The search page is a GET form (bookmarkable, no state change, no CSRF token). A filter value
that is not one of the choices is ignored (the search runs unfiltered on it); a cursor that
this search did not make is a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from consult.comments.models import CommentStatus, CommentType
from consult.languages import parse_language
from consult.search.engines import Query, parse_query
from consult.search.models import KINDS
from consult.search.queries import SORTS, SearchFilters, decode_cursor

KIND_LABELS = {
    "consultation": _l("Consultations"),
    "round": _l("Rounds"),
    "clause": _l("Clauses of drafts"),
    "comment": _l("Comments"),
    "disposition": _l("Dispositions"),
}
SORT_LABELS = {"relevance": _l("Best match first"), "date": _l("Newest first")}
_ID_RE = re.compile(r"[0-9]{1,18}")
_KEY_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")


def _id(value: str | None) -> int | None:
    if value and _ID_RE.fullmatch(value):
        number = int(value)
        return number if 0 < number < 2**31 else None
    return None


@dataclass
class SearchArgs:
    query: Query
    raw: str
    filters: SearchFilters
    sort: str
    after: tuple | None
    bad_cursor: bool


def parse_args(args: MultiDict) -> SearchArgs:
    """What the query string asks for; values that are not choices are left out."""
    raw = (args.get("q") or "")[:200]
    kind = args.get("kind", "")
    clause = args.get("clause", "")
    comment_type = args.get("type", "")
    status = args.get("status", "")
    sort = args.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    filters = SearchFilters(
        kind=kind if kind in KINDS else None,
        consultation_id=_id(args.get("consultation")),
        round_id=_id(args.get("round")),
        clause_key=clause if clause != "general" and _KEY_RE.fullmatch(clause) else None,
        general_only=clause == "general",
        group_id=_id(args.get("group")),
        organisation_id=_id(args.get("organisation")),
        type=CommentType(comment_type) if comment_type in CommentType._value2member_map_ else None,
        status=CommentStatus(status) if status in CommentStatus._value2member_map_ else None,
        language=parse_language(args.get("language")),
    )
    cursor = args.get("after", "")
    after = decode_cursor(sort, cursor) if cursor else None
    return SearchArgs(parse_query(raw), raw, filters, sort, after, bool(cursor) and after is None)


def choice_args(filters: SearchFilters, **extra: Any) -> dict[str, Any]:
    """The query string of a search with these filters (for links to the next page)."""
    return {**filters.as_args(), **{k: v for k, v in extra.items() if v}}
