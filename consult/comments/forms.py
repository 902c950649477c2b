"""The structured comment form (ISO/IEC template fields), the factory that gives it a round's
clauses as choices, and the report form."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult import policy
from consult.comments.models import Attribution, CommentStatus, CommentType
from consult.comments.services import MAX_BODY, MAX_LINE, MAX_PARAGRAPH, status_after_submit
from consult.drafts.models import Clause
from consult.forms import BaseForm, OnceForm
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
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=MAX_BODY)])
    proposed_change = TextAreaField(_l("Proposed change (optional)"), validators=[Optional(), Length(max=MAX_BODY)])
    supports_text = BooleanField(_l("The text should stay as it is (I support it unchanged)"))
    attribution = RadioField(
        _l("Shown to other participants as coming from"),
        choices=[(a.value, label) for a, label in ATTRIBUTION_LABELS.items()],
        default=Attribution.PERSON.value,
    )
    nonce = HiddenField()
    submit = SubmitField(_l("Submit comment"))
    save_draft = SubmitField(_l("Save as draft"))

    # What the buttons and the notes say: where the comment goes when it is sent (`SubmitWords`).
    words: SubmitWords | None = None
    offers_draft = True  # "Save as draft" keeps a draft a draft; a submitted comment has no such step

    def fresh_nonce(self) -> None:
        """One nonce per form shown: a second submission of the same form stores nothing new."""
        if not self.nonce.data:
            self.nonce.data = secrets.token_urlsafe(16)


@dataclass(frozen=True)
class SubmitWords:
    """What the comment form says about sending: the button, the note under the form and, for
    an edit that takes a comment out of others' sight, the warning before the form. Derived from
    the status the comment will have (`services.status_after_submit`), the one the service sets."""

    next_status: CommentStatus
    button: str
    note: str
    warning: str = ""
    edit: str = ""  # the link to the edit form


# How far a comment has gone: an edit that sends it back to an earlier stage is said so.
_STAGE = {
    CommentStatus.DRAFT: 0,
    CommentStatus.REJECTED: 0,
    CommentStatus.WITHDRAWN: 0,
    CommentStatus.AWAITING_SIGNOFF: 1,
    CommentStatus.AWAITING_MODERATION: 2,
    CommentStatus.ACCEPTED: 3,
}


def submit_words(next_status: CommentStatus, round_: Any, author: Any, editing: CommentStatus | None) -> SubmitWords:
    """The words of the comment form for an author whose comment will be `next_status` once sent
    (`editing`: the status of the comment being edited, None for a new one)."""
    sent = editing not in (None, CommentStatus.DRAFT)  # saving an edit sends it again
    notes = []
    if round_.requires_signoff and next_status is not CommentStatus.AWAITING_SIGNOFF:
        if policy.can(author, policy.Permission.COMMENT_SIGNOFF):
            notes.append(_("You sign off your organisation's comments, so yours need no sign-off."))
        else:
            notes.append(_("Your organisation has no focal point to sign comments off, so it needs no sign-off."))
    if next_status is CommentStatus.AWAITING_SIGNOFF:
        button = _("Save and send for sign-off") if sent else _("Send for sign-off")
        notes.append(_("Your organisation's focal point signs it off before others see it."))
        if round_.premoderation:
            notes.append(_("Then a moderator accepts it."))
    elif next_status is CommentStatus.AWAITING_MODERATION:
        button = _("Save and send to moderation") if sent else _("Submit for moderation")
        notes.append(_("A moderator accepts it before others see it."))
    else:
        button = _("Save changes") if sent else _("Submit comment")
        notes.append(_("Others see it as soon as it is submitted, as the round's rule allows."))
    warning = ""
    if editing is CommentStatus.REJECTED:
        warning = _("A moderator rejected this comment. You can change it and submit it again while the round is open.")
    elif editing is not None and _STAGE[next_status] < _STAGE[editing]:
        if editing is CommentStatus.ACCEPTED:
            warning = _(
                "This comment is accepted. Saving changes takes it out of others' sight until it is accepted again:"
            )
        else:
            warning = _("Saving changes sends this comment back a step:")
        warning += " " + (
            _("it goes to your focal point for sign-off again.")
            if next_status is CommentStatus.AWAITING_SIGNOFF
            else _("it goes to a moderator again.")
        )
    edit = _("Edit and submit again") if editing is CommentStatus.REJECTED else _("Edit")
    return SubmitWords(next_status, button, " ".join(str(n) for n in notes), warning, edit)


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


def comment_form(
    session: Session,
    round_: Round,
    formdata=None,
    prefix: str = "",
    choices=None,
    *,
    author: Any = None,
    editing: CommentStatus | None = None,
    next_status: CommentStatus | None = None,
    **data,
) -> CommentForm:
    """A comment form; pass `choices` (the round's clauses) when one page shows many forms.
    With `author` (and `editing`, the status of the comment edited) its buttons and notes say
    where the comment goes when sent (`next_status`, when already known)."""
    if formdata is None and "attribution" not in data:  # a new comment: the least exposing level
        data["attribution"] = policy.default_attribution(round_).value
    form = CommentForm(formdata=formdata, data=data or None, prefix=prefix)
    form.attribution.choices = [(a.value, ATTRIBUTION_LABELS[a]) for a in policy.attribution_choices(round_)]
    form.clause.choices = choices if choices is not None else clause_choices(session, round_)
    form.fresh_nonce()
    if author is not None and getattr(author, "organisation_id", None) is not None:
        if next_status is None:
            next_status = status_after_submit(session, round_, author)
        form.words = submit_words(next_status, round_, author, editing)
        form.submit.label.text = form.words.button
    form.offers_draft = editing in (None, CommentStatus.DRAFT)
    return form


def comment_form_maker(session: Session, round_: Round, author: Any = None) -> Callable[[str | None], CommentForm]:
    """For the round page: a function making the form for a clause (or the whole text, None),
    with the round's clauses read once for all the page's forms (one query, whatever the clauses)."""
    choices: list = []
    known: list[CommentStatus] = []  # where `author`'s comment goes when sent, read once

    def new_comment_form(clause_key: str | None) -> CommentForm:
        if not choices:
            choices.extend(clause_choices(session, round_))
        if author is not None and not known and getattr(author, "organisation_id", None) is not None:
            known.append(status_after_submit(session, round_, author))
        return comment_form(
            session,
            round_,
            prefix=form_prefix(clause_key),
            choices=choices,
            author=author,
            next_status=known[0] if known else None,
            clause=clause_key or GENERAL,
        )

    return new_comment_form


class ReportForm(OnceForm):
    reason = TextAreaField(_l("What is wrong with this comment?"), validators=[DataRequired(), Length(max=2000)])


class ActionForm(BaseForm):
    """A bare POST (withdraw, submit a draft) that still carries its CSRF token."""
