"""Imports every model module, so that the metadata (Alembic, tests) sees all tables."""

from consult.api.models import ApiToken
from consult.audit import AuditEvent
from consult.auth.models import (
    Invitation,
    Organisation,
    Passkey,
    RecoveryCode,
    RememberedBrowser,
    Role,
    StakeholderGroup,
    TotpSecret,
    User,
    UserSession,
)
from consult.comments.models import Comment, CommentClause, CommentReport
from consult.consultations.models import Consultation
from consult.digests.models import Digest, EmailPreference
from consult.dispositions.models import Acknowledgement, Disposition
from consult.drafts.models import Clause, Draft, DraftVersion
from consult.exports.models import BriefingJob, PendingImport
from consult.mail.models import OutboxMessage
from consult.notifications.models import Notification
from consult.rounds.models import Round, RoundVisibility
from consult.submissions import FormSubmission

__all__ = [
    "Acknowledgement",
    "ApiToken",
    "AuditEvent",
    "BriefingJob",
    "Clause",
    "Comment",
    "CommentClause",
    "CommentReport",
    "Consultation",
    "Disposition",
    "Digest",
    "Draft",
    "DraftVersion",
    "EmailPreference",
    "FormSubmission",
    "Invitation",
    "Notification",
    "Organisation",
    "OutboxMessage",
    "PendingImport",
    "Passkey",
    "RecoveryCode",
    "RememberedBrowser",
    "Role",
    "Round",
    "RoundVisibility",
    "StakeholderGroup",
    "TotpSecret",
    "User",
    "UserSession",
]
