"""Imports every model module, so that the metadata (Alembic, tests) sees all tables."""

from consult.audit import AuditEvent
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup, User
from consult.consultations.models import Consultation

__all__ = ["AuditEvent", "Consultation", "Invitation", "Organisation", "Role", "StakeholderGroup", "User"]
