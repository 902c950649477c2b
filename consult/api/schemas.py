"""The API's shapes: pydantic models that validate requests and describe every answer in the
OpenAPI document (`registry.openapi_document`). Input models forbid unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from consult.comments.models import Attribution, CommentStatus, CommentType
from consult.dispositions.models import AcknowledgementKind, DispositionKind
from consult.rounds.models import Phase, Stage

Id = int
Cursor = str | None
CLAUSE_PATTERN = r"^[A-Za-z0-9._-]{1,32}$"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    location: str
    field: str | None = None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


# --- Query parameters ---------------------------------------------------------------------------


class PageQuery(Input):
    cursor: str | None = Field(None, max_length=200, description="The `next_cursor` of the previous page.")
    limit: int = Field(20, ge=1, le=100, description="Items per page.")


# The six content languages (consult.languages.CONTENT_LANGUAGES), by ISO 639-1 code.
Language = Literal["ar", "en", "es", "fr", "ru", "zh"]


class CommentQuery(PageQuery):
    type: CommentType | None = Field(None, description="Only comments of this type.")
    language: Language | None = Field(None, description="Only comments written in this language.")
    group: int | None = Field(None, ge=1, le=2**31 - 1, description="Only comments from this stakeholder group.")
    clause: str | None = Field(
        None, pattern=CLAUSE_PATTERN, description="A clause's stable key, or `general` for general comments."
    )


class DispositionQuery(CommentQuery):
    status: Literal["unanswered", "drafted", "released", "satisfied", "objection"] | None = None


class SearchQuery(PageQuery):
    q: str = Field(..., min_length=1, max_length=200, description='Words; "a phrase"; `or`; `-word` to exclude.')
    kind: Literal["consultation", "round", "clause", "comment", "disposition"] | None = None
    consultation: int | None = Field(None, ge=1, le=2**31 - 1)
    round: int | None = Field(None, ge=1, le=2**31 - 1)
    clause: str | None = Field(None, pattern=CLAUSE_PATTERN)
    group: int | None = Field(None, ge=1, le=2**31 - 1)
    organisation: int | None = Field(None, ge=1, le=2**31 - 1)
    type: CommentType | None = None
    status: CommentStatus | None = None
    language: Language | None = Field(None, description="Only comments written in this language.")
    sort: Literal["relevance", "date"] = "relevance"


# --- Bodies -------------------------------------------------------------------------------------


class CommentIn(Input):
    clause: str | None = Field(None, pattern=CLAUSE_PATTERN, description="A clause key; null or `general`.")
    type: CommentType = CommentType.GENERAL
    body: str = Field(..., min_length=1, max_length=20_000)
    proposed_change: str = Field("", max_length=20_000)
    attribution: Attribution = Attribution.PERSON
    language: Language | None = Field(
        None, description="The language it is written in; by default the request's `Accept-Language`, else English."
    )
    submit: bool = Field(True, description="Submit now (false: keep it as a draft only you see).")


class CommentEdit(Input):
    clause: str | None = Field(None, pattern=CLAUSE_PATTERN)
    type: CommentType | None = None
    body: str | None = Field(None, min_length=1, max_length=20_000)
    proposed_change: str | None = Field(None, max_length=20_000)
    attribution: Attribution | None = None
    language: Language | None = None
    submit: bool = Field(False, description="Submit a draft with this edit.")


class SignoffIn(Input):
    accept: bool
    reason: str = Field("", max_length=2_000, description="Why the comment goes back (required to return it).")


class AcknowledgementIn(Input):
    kind: AcknowledgementKind
    reason: str = Field("", max_length=1_000)


# --- Answers ------------------------------------------------------------------------------------


class Group(BaseModel):
    id: Id
    name: str


class Me(BaseModel):
    id: Id
    display_name: str
    role: str
    organisation: str | None
    stakeholder_group: Group | None
    scopes: list[str]
    token_expires_at: datetime


class RoundSummary(BaseModel):
    id: Id
    title: str
    phase: Phase
    opens_at: datetime
    closes_at: datetime
    version_id: Id


class VersionSummary(BaseModel):
    id: Id
    draft_id: Id
    draft_title: str
    number: int


class Consultation(BaseModel):
    id: Id
    title: str
    summary: str
    conference_name: str
    conference_place: str
    conference_date: date | None
    is_public: bool


class ConsultationDetail(Consultation):
    rounds: list[RoundSummary]
    versions: list[VersionSummary]


class ConsultationList(BaseModel):
    items: list[Consultation]
    next_cursor: Cursor


class RuleCell(BaseModel):
    viewer_group: Group
    author_group: Group
    stage: Stage


class Round(RoundSummary):
    consultation_id: Id
    description: str
    requires_signoff: bool
    premoderation: bool
    results_public: bool
    can_comment: bool
    rule: list[RuleCell] = Field(description="The cells that concern the caller (staff: all of them).")


class Clause(BaseModel):
    key: str
    position: int
    number: str
    heading: str
    body: str


class Version(VersionSummary):
    consultation_id: Id
    note: str
    created_at: datetime
    clauses: list[Clause]


class Author(BaseModel):
    """Who wrote a comment, as far as the caller may know (the group always)."""

    name: str | None
    organisation: str | None
    stakeholder_group: Group


class Comment(BaseModel):
    id: Id
    round_id: Id
    clause: str | None
    type: CommentType
    status: CommentStatus
    body: str
    proposed_change: str
    language: Language = Field(description="The language it is written in (ISO 639-1).")
    author: Author
    hidden: bool
    submitted_at: datetime | None
    updated_at: datetime
    is_mine: bool
    attribution: Attribution | None = Field(None, description="Only on one's own comments.")
    reasons: dict[str, str] | None = Field(
        None, description="Only on one's own comments: why returned, rejected, hidden."
    )


class CommentList(BaseModel):
    items: list[Comment]
    next_cursor: Cursor


class Acknowledgement(BaseModel):
    kind: AcknowledgementKind
    reason: str
    updated_at: datetime


class Disposition(BaseModel):
    id: Id | None
    kind: DispositionKind | None
    observation: str | None
    released: bool
    acknowledgement: Acknowledgement | None


class CommentWithDisposition(BaseModel):
    comment: Comment
    disposition: Disposition | None


class DispositionList(BaseModel):
    items: list[CommentWithDisposition]
    answered: int
    total: int
    next_cursor: Cursor


class SearchHit(BaseModel):
    kind: Literal["consultation", "round", "clause", "comment", "disposition"]
    id: Id
    title: str
    snippets: dict[str, str] = Field(description="Matched words between <mark> and </mark>; the rest is escaped HTML.")
    consultation_id: Id | None
    round_id: Id | None
    clause: str | None
    comment_id: Id | None
    stakeholder_group: Group | None
    url: str


class SearchResults(BaseModel):
    items: list[SearchHit]
    next_cursor: Cursor
