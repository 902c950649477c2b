"""Words for round phases, shown on pages and in messages."""

from flask_babel import lazy_gettext as _l

from consult.rounds.models import Phase

PHASE_LABELS = {
    Phase.DRAFT: _l("being prepared"),
    Phase.PENDING_APPROVAL: _l("waiting for approval"),
    Phase.SCHEDULED: _l("scheduled"),
    Phase.OPEN: _l("open for comments"),
    Phase.CLOSED: _l("closed"),
    Phase.PUBLISHED: _l("results published"),
    Phase.ARCHIVED: _l("archived"),
}
