"""The structured comment form (ISO/IEC template fields), the factory that gives it a round's
clauses as choices, and the report form."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.comments.models import Attribution, CommentType
from consult.comments.services import MAX_BODY, MAX_LINE, MAX_PARAGRAPH
from consult.drafts.models import Clause
from consult.forms import BaseForm
from consult.languages import interface_language, language_choices
from consult.rounds.models import Round

TYPE_LABELS = {
    CommentType.GENERAL: _l("General"),
    CommentType.TECHNICAL: _l("Technical"),
    CommentType.EDITORIAL: _l("Editorial"),
}
ATTRIBUTION_LABELS = {
    Attribution.PERSON: _l("My name and my organisation"),
    Attribution.ORGANISATION: _l("My organisation only"),
    Attribution.GROUP: _l("My stakeholder group only"),
}
GENERAL = "general"


class CommentForm(BaseForm):
    clause = SelectField(_l("Clause"), choices=[])
    line_number = StringField(_l("Line number (optional)"), validators=[Optional(), Length(max=MAX_LINE)])
    paragraph = StringField(
        _l("Paragraph, figure or table (optional)"), validators=[Optional(), Length(max=MAX_PARAGRAPH)]
    )
    type = SelectField(_l("Type of comment"), choices=[(t.value, label) for t, label in TYPE_LABELS.items()])
    # Checked by the service (a form posted without it is in the author's interface language).
    language = SelectField(_l("Written in"), choices=language_choices(), validate_choice=False)
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=MAX_BODY)])
    proposed_change = TextAreaField(_l("Proposed change (optional)"), validators=[Optional(), Length(max=MAX_BODY)])
    attribution = RadioField(
        _l("Shown to other participants as coming from"),
        choices=[(a.value, label) for a, label in ATTRIBUTION_LABELS.items()],
        default=Attribution.PERSON.value,
    )
    nonce = HiddenField()
    submit = SubmitField(_l("Submit comment"))
    save_draft = SubmitField(_l("Save as draft"))

    def fresh_nonce(self) -> None:
        """One nonce per form shown: a second submission of the same form stores nothing new."""
        if not self.nonce.data:
            self.nonce.data = secrets.token_urlsafe(16)


def clause_choices(session: Session, round_: Round) -> list[tuple[str, str]]:
    """The clause select's choices: a general comment, then each clause of the round's version."""
    clauses = session.execute(
        select(Clause.key, Clause.number, Clause.heading)
        .where(Clause.version_id == round_.version_id)
        .order_by(Clause.position)
    )
    return [(GENERAL, _("General comment on the whole text"))] + [
        (key, f"{number} {heading}".strip()) for key, number, heading in clauses
    ]


PREFIX_RE = re.compile(r"^[a-z0-9-]{0,40}$")  # what a posted `prefix` may be (see `form_prefix`)


def form_prefix(clause_key: str | None) -> str:
    """Each comment form on the round page gets its own field names and ids."""
    return f"c-{clause_key or GENERAL}-"


def comment_form(session: Session, round_: Round, formdata=None, prefix: str = "", choices=None, **data) -> CommentForm:
    """A comment form; pass `choices` (the round's clauses) when one page shows many forms."""
    form = CommentForm(formdata=formdata, data=data or None, prefix=prefix)
    if formdata is None and not form.language.data:
        form.language.data = interface_language()  # by default, the language the author reads in
    form.clause.choices = choices if choices is not None else clause_choices(session, round_)
    form.fresh_nonce()
    return form


def comment_form_maker(session: Session, round_: Round) -> Callable[[str | None], CommentForm]:
    """For the round page: a function making the form for a clause (or the whole text, None),
    with the round's clauses read once for all the page's forms (one query, whatever the clauses)."""
    choices: list = []

    def new_comment_form(clause_key: str | None) -> CommentForm:
        if not choices:
            choices.extend(clause_choices(session, round_))
        return comment_form(
            session, round_, prefix=form_prefix(clause_key), choices=choices, clause=clause_key or GENERAL
        )

    return new_comment_form


class ReportForm(BaseForm):
    reason = TextAreaField(_l("What is wrong with this comment?"), validators=[DataRequired(), Length(max=2000)])


class ActionForm(BaseForm):
    """A bare POST (withdraw, submit a draft) that still carries its CSRF token."""
