"""Forms: email preferences, the organiser's digest composer, the unsubscribe button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length

from consult.digests.models import DigestFrequency, Notice
from consult.digests.services import MAX_INTRO
from consult.forms import BaseForm, OnceForm

FREQUENCY_LABELS = {
    DigestFrequency.NONE: _l("Never"),
    DigestFrequency.DAILY: _l("Daily"),
    DigestFrequency.WEEKLY: _l("Weekly"),
}


class PreferencesForm(BaseForm):
    digest_frequency = SelectField(
        _l("Digest of what is new for you"),
        choices=[(f.value, label) for f, label in FREQUENCY_LABELS.items()],
        default=DigestFrequency.WEEKLY.value,
    )
    round_opened = BooleanField(_l("A round opens for comments"))
    round_closing = BooleanField(_l("A round closes in 48 hours and my organisation has not commented yet"))
    round_published = BooleanField(_l("A round's results are published"))
    comment_decided = BooleanField(_l("My comment was accepted, rejected, returned or hidden"))
    comment_waiting = BooleanField(_l("A comment waits for my sign-off or moderation"))
    disposition_released = BooleanField(_l("The secretariat answered my comments (dispositions released)"))
    organiser_digest = BooleanField(_l("Digests sent by the organisers"))
    round_waiting = BooleanField(_l("A round waits for my approval, or its results for publication"))
    round_decided = BooleanField(
        _l("A moderator approved or sent back a round I prepared, or declined its publication")
    )
    objection_maintained = BooleanField(_l("A commenter maintains an objection to a disposition"))


class DigestForm(OnceForm):
    """The composer: one introduction, previewed as any recipient, reviewed, then sent once."""

    intro = TextAreaField(
        _l("Introduction (Markdown)"),
        validators=[Length(max=MAX_INTRO)],
    )
    recipient = SelectField(_l("Preview as"), coerce=int, choices=[], validate_choice=False)


class ConfirmForm(BaseForm):
    pass


# What an unsubscribe link switches off, in the words of the confirmation page.
UNSUBSCRIBE_LABELS = {
    "digest": _l("your digest of what is new"),
    Notice.ROUND_OPENED.value: _l("emails when a round opens"),
    Notice.ROUND_CLOSING.value: _l("reminders before a round closes"),
    Notice.ROUND_PUBLISHED.value: _l("emails when results are published"),
    Notice.COMMENT_DECIDED.value: _l("emails about decisions on your comments"),
    Notice.COMMENT_WAITING.value: _l("emails about comments waiting for you"),
    Notice.ORGANISER_DIGEST.value: _l("digests sent by the organisers"),
    Notice.DISPOSITION_RELEASED.value: _l("emails when the secretariat answers your comments"),
    Notice.ROUND_WAITING.value: _l("emails about rounds waiting for approval or publication"),
    Notice.ROUND_DECIDED.value: _l("emails about moderators' decisions on your rounds"),
    Notice.OBJECTION_MAINTAINED.value: _l("emails about maintained objections"),
}
