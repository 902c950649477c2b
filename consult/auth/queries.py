"""Read helpers over the people's side of the house: stakeholder groups in their order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.auth.models import StakeholderGroup

GROUP_LIMIT = 100  # a platform has a handful; the rule table and the matrix show at most this many


def stakeholder_groups(session: Session, limit: int | None = GROUP_LIMIT) -> list[StakeholderGroup]:
    """The stakeholder groups in their order (position, then name): filters, rule tables,
    matrix columns, briefings and form choices all list them the same way."""
    stmt = select(StakeholderGroup).order_by(StakeholderGroup.position, StakeholderGroup.name)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))
