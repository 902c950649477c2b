"""The database: typed declarative base, engine, and one session per request.

SQLite is tuned for a web server with concurrent writers: WAL, foreign keys, a busy
timeout, and write transactions that begin with `BEGIN IMMEDIATE` (a deferred begin lets
two writers both read and then fail with "database is locked" when one upgrades). Requests
that only read (GET, HEAD) begin deferred so readers never queue behind writers.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (a callable default, never import time)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column stored as its string values, checked by a named constraint."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
        name=enum_class.__name__.lower(),
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Every model's base: constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN instead of the driver's own implicit handling.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("consult_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`, tuned for its backend."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


class Database:
    """The app's engine and session factory, kept in `app.extensions["consult.db"]`."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.engine = make_engine(url, echo)
        self.reader = self.engine.execution_options(consult_begin="DEFERRED")
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    def new_session(self, read_only: bool = False) -> Session:
        """A new session; read-only ones begin deferred on SQLite."""
        return self.session_factory(bind=self.reader if read_only else self.engine)


def advisory_lock(session: Session, key: int) -> None:
    """Serialise the transactions that take lock `key` until they end (PostgreSQL: a
    transaction-scoped advisory lock; SQLite's writers, which begin IMMEDIATE, are serial)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def init_app(app: Flask) -> None:
    """Create the engine and close the request's session at teardown."""
    app.extensions["consult.db"] = Database(app.config["DATABASE_URL"], app.config["SQL_ECHO"])
    app.teardown_appcontext(close_session)


def database() -> Database:
    """The current app's Database."""
    return current_app.extensions["consult.db"]


def get_session() -> Session:
    """The session of this request (or CLI command), created on first use."""
    if "db_session" not in g:
        read_only = has_request_context() and request.method in READ_ONLY_METHODS
        g.db_session = database().new_session(read_only=read_only)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Roll back whatever the request did not commit, and give the connection back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
