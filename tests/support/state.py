"""The test session's view of the database: what requests committed, and what a test may compare."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from consult.db import Base


def fresh(session: Session) -> Session:
    """End the test session's transaction so it sees what requests committed since."""
    session.rollback()
    session.expire_all()  # rollback outside a transaction expires nothing
    return session


def release(session: Session) -> None:
    """End the test session's transaction: it is a writer's (BEGIN IMMEDIATE on SQLite), and
    a request that writes would wait for it. Read what a test needs first, then release."""
    session.rollback()


def table_snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (the data set is small in these tests)."""
    fresh(session)
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        snapshot[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
    return snapshot


# Signing a test client in records a session (`login_as`): tests that count rows around a
# sign-in and the action under test leave that table out (tests/auth counts it on its own).
SIGN_IN_TABLES = frozenset({"user_session"})


def row_counts(session: Session) -> dict[str, int]:
    """The number of rows in each table (but the session records a sign-in writes)."""
    fresh(session)
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name not in SIGN_IN_TABLES
    }


def audit_count(session: Session) -> int:
    """The number of audit entries."""
    fresh(session)
    return session.scalar(text("SELECT count(*) FROM audit_event"))
