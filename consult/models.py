"""Imports every model module, so that the metadata (Alembic, tests) sees all tables."""

from consult.api.models import ApiToken
from consult.audit import AuditEvent
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup, User
from consult.comments.models import Comment, CommentReport
from consult.consultations.models import Consultation
from consult.digests.models import Digest, EmailPreference, OutboxMessage
from consult.dispositions.models import Acknowledgement, Disposition
from consult.drafts.models import Clause, Draft, DraftVersion
from consult.rounds.models import Round, RoundVisibility

__all__ = [
    "Acknowledgement",
    "ApiToken",
    "AuditEvent",
    "Clause",
    "Comment",
    "CommentReport",
    "Consultation",
    "Disposition",
    "Digest",
    "Draft",
    "DraftVersion",
    "EmailPreference",
    "Invitation",
    "Organisation",
    "OutboxMessage",
    "Role",
    "Round",
    "RoundVisibility",
    "StakeholderGroup",
    "User",
]
