"""Fixtures: a migrated database (SQLite file, or PostgreSQL from CONSULT_TEST_DATABASE_URL),
an app per test, its session and client, `login_as`, and a real SMTP server on loopback."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

import consult.models  # noqa: F401  (every table, for cleaning)
from config import TestingConfig
from consult import create_app
from consult.db import Base, get_session, make_engine
from tests import factories
from tests.support.catalogues import compile_catalogues
from tests.support.clients import IsolatedClient

PG_URL = os.environ.get("CONSULT_TEST_DATABASE_URL", "")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The pages speak six languages: their compiled catalogues must be there and current."""
    compile_catalogues()


def _reset_schema(url: str) -> None:
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head with the project's own `flask db upgrade`."""
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    _reset_schema(url)
    app = create_app({**_base_config(), "DATABASE_URL": url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    app.extensions["consult.db"].engine.dispose()
    return url


class SMTPSink:
    """Collects what a real SMTP server on loopback receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.refused: set[str] = set()  # recipients refused at RCPT (550)
        self.on_data = None  # called with the envelope as each message arrives, before it is kept

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.on_data is not None:
            self.on_data(envelope)
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refused, self.on_data = set(), None

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[SMTPSink, int]]:
    sink = SMTPSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[SMTPSink, int]) -> SMTPSink:
    """The SMTP sink, emptied for this test."""
    sink, _port = smtp_server
    sink.clear()
    return sink


def _base_config() -> dict:
    return {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}


@pytest.fixture
def app_config(database_url: str, smtp_server: tuple[SMTPSink, int]) -> dict:
    """Settings for this test's app; tests may change them before `app` is built."""
    return {
        **_base_config(),
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server[1],
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "consult.test",
    }


@pytest.fixture
def app(app_config: dict) -> Iterator:
    """The app under test; its clients run each request on its own (tests/support/clients.py)."""
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _clean(app)
    yield app
    app.extensions["consult.db"].engine.dispose()


def _clean(app) -> None:
    """Empty every table and re-seed the stakeholder groups (as the migration does)."""
    engine = app.extensions["consult.db"].engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Row by row, not TRUNCATE (which makes new files for every table and index: 70 ms a
            # test), with the foreign-key and other triggers off for this transaction (the
            # tests connect as the superuser), and the ids starting again at 1 as TRUNCATE's
            # RESTART IDENTITY did.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our own table names)
            conn.execute(
                text(
                    "SELECT setval(oid::regclass, 1, false) FROM pg_class "
                    "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
                )
            )
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our own table names)
    from consult.demo import ensure_groups

    session = app.extensions["consult.db"].new_session()
    ensure_groups(session)
    session.commit()
    session.close()


@pytest.fixture
def session(app) -> Iterator:
    """The app's session inside an app context (what a CLI command or service sees)."""
    with app.test_request_context():
        yield get_session()


@pytest.fixture
def client(app):
    return app.test_client()


def record_session(app, user, method: str | None = None) -> int:
    """A committed session record for `user`: what a full sign-in leaves, with every step their
    role needs taken (method "totp" where the role needs a second factor), for tests that sign
    people in without the (rate-limited) forms. Written on the test's own session when one is
    open (a second writer would wait for its SQLite lock), else on a new one."""
    from flask import g, has_app_context

    from consult import policy
    from consult.auth.models import UserSession

    with app.app_context():
        method = method or ("totp" if policy.requires_second_factor(user) else "password")
    record = UserSession(user_id=user.id, method=method, device="Test client", network="127.0.0.0/24")
    own = g.get("db_session") if has_app_context() else None
    db = own if own is not None else app.extensions["consult.db"].new_session()
    db.add(record)
    db.commit()
    if own is None:
        db.close()
    return record.id


@pytest.fixture
def login_as(app):
    """Sign a test client in as a user without going through the (rate-limited) forms: a session
    record counts as a finished sign-in (password and, where the role needs one, second factor)."""

    def sign_in(client, user) -> None:
        record_id = record_session(app, user)
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = f"{user.id}:{user.session_version}:{record_id}"
            flask_session["_fresh"] = True

    return sign_in


@pytest.fixture
def half_sign_in(app):
    """Put a test client half way: password given, second factor (`verify`) or its set-up
    (`setup`) still to do, as `consult.auth.signin.begin` leaves a session."""
    import time

    from consult.auth.signin import PENDING_KEY

    def sign_in(client, user, stage: str = "setup") -> None:
        with client.session_transaction() as flask_session:
            flask_session[PENDING_KEY] = {
                "u": user.id,
                "v": user.session_version,
                "at": int(time.time()),
                "s": stage,
                "r": False,
                "n": "/",
            }

    return sign_in


@pytest.fixture
def people(session):
    """One account per role and stakeholder group, committed."""
    crowd = factories.make_people(session)
    session.commit()
    return crowd
