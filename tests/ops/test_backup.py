"""Backups taken while the application writes restore to a database that passes its checks.

Writers insert comments from threads (each its own session and transaction) for the whole
time the backup runs; the backup is restored into a new SQLite file / a new PostgreSQL
database, which must hold every table, no broken foreign key, the migrations at head, and a
prefix of the writes (every comment whose transaction committed before the snapshot).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from consult import backup, create_app
from consult.cli import MIGRATIONS_DIR
from consult.comments.models import Comment
from consult.db import Base
from consult.rounds.models import Phase
from tests import factories
from tests.conftest import _base_config
from tests.load.server import ROOT

pytestmark = pytest.mark.slow

WRITERS = 4
MIN_WRITES_DURING_BACKUP = 20
BULK_COMMENTS = 15_000


def _head() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def _seed(app):
    """An open round and one author per writer, committed."""
    with app.app_context():
        return _seed_in_context(app)


def _seed_in_context(app):
    session = app.extensions["consult.db"].new_session()
    round_ = factories.make_round(session, Phase.OPEN, clauses=3)
    organisation = factories.make_organisation(session, "industry")
    authors = [
        factories.make_user(session, organisation=organisation, email=f"w{n}@example.org") for n in range(WRITERS)
    ]
    session.flush()
    # Bulk, so that copying takes long enough for writes to land while it runs (~30 MB).
    first = factories.make_comment(session, round_, authors[0])
    row = {c.name: getattr(first, c.key) for c in Comment.__table__.columns if c.name != "id"}
    row["body"] = "x" * 2000
    session.execute(
        Comment.__table__.insert(), [{**row, "nonce": f"bulk-{n}", "number": None} for n in range(BULK_COMMENTS)]
    )
    session.commit()
    ids = round_.id, [a.id for a in authors]
    session.close()
    return ids


def _write_until(app, round_id: int, author_id: int, stop: threading.Event, written: list, errors: list) -> None:

    database = app.extensions["consult.db"]
    with app.app_context():
        _write_loop(database, round_id, author_id, stop, written, errors)


def _write_loop(database, round_id: int, author_id: int, stop: threading.Event, written: list, errors: list) -> None:
    from consult.auth.models import User
    from consult.rounds.models import Round

    while not stop.is_set():
        session = database.new_session()
        try:
            factories.make_comment(session, session.get(Round, round_id), session.get(User, author_id))
            session.commit()
            written.append(1)
        except Exception as exc:  # noqa: BLE001 (reported by the test)
            errors.append(repr(exc))
        finally:
            session.close()


def _backup_under_load(app, destination) -> tuple[int, int, int, list]:
    """Take the backup while writers run; (comments before, comments after, writes during, errors)."""
    round_id, author_ids = _seed(app)
    stop, written, errors = threading.Event(), [], []
    threads = [
        threading.Thread(target=_write_until, args=(app, round_id, a, stop, written, errors)) for a in author_ids
    ]
    for thread in threads:
        thread.start()
    while len(written) < MIN_WRITES_DURING_BACKUP:  # the load is on before the backup starts
        time.sleep(0.01)
    before = len(written)
    backup.backup(app.config["DATABASE_URL"], destination)
    during = len(written) - before
    while len(written) < before + during + MIN_WRITES_DURING_BACKUP:  # and still on after it
        time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join()
    return before, len(written), during, errors


def _check_restored(url: str, before: int, total: int) -> None:
    """Every table, no orphan rows for any foreign key, the migrations at head, a prefix of the writes."""
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} <= tables
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for fk in table.foreign_key_constraints:
                    local = [c.name for c in fk.columns]
                    remote = [e.column.name for e in fk.elements]
                    target = fk.elements[0].column.table.name
                    join = " AND ".join(f"r.{r} = t.{lc}" for lc, r in zip(local, remote, strict=True))
                    present = " AND ".join(f"t.{lc} IS NOT NULL" for lc in local)
                    orphans = conn.scalar(
                        text(
                            f"SELECT count(*) FROM {table.name} t WHERE {present} "  # noqa: S608 (model names)
                            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE {join})"
                        )
                    )
                    assert orphans == 0, f"{table.name}.{local} -> {target}: {orphans} orphan rows"
            assert MigrationContext.configure(conn).get_current_revision() == _head()
            comments = conn.scalar(select(func.count(Comment.id))) - BULK_COMMENTS - 1  # the seed's
        assert before <= comments <= total, (before, comments, total)
    finally:
        engine.dispose()


def _flask_db_current(url: str) -> str:
    """What `flask db current` prints for the database at `url` (a real process, as an operator runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    env.update(CONSULT_ENV="development", CONSULT_DATABASE_URL=url, FLASK_APP="consult")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", "current"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sqlite_backup_under_write_load_restores_intact(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = create_app({**_base_config(), "DATABASE_URL": url})
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    from consult.demo import ensure_groups

    session = app.extensions["consult.db"].new_session()
    ensure_groups(session)
    session.commit()
    session.close()

    before, total, during, errors = _backup_under_load(app, tmp_path / "backup.sqlite3")
    app.extensions["consult.db"].engine.dispose()
    assert not errors, errors[:3]
    assert during > 0, "no write happened while the backup ran"

    restored = tmp_path / "restored.sqlite3"
    backup.restore(tmp_path / "backup.sqlite3", f"sqlite:///{restored}")
    with sqlite3.connect(restored) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    _check_restored(f"sqlite:///{restored}", before, total)
    assert _head() in _flask_db_current(f"sqlite:///{restored}")


def test_flask_db_backup_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = create_app({**_base_config(), "DATABASE_URL": url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "backup", str(tmp_path / "out" / "b.sqlite3")])
    app.extensions["consult.db"].engine.dispose()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "out" / "b.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def scratch_pg_database(database_url):
    """A new, empty PostgreSQL database next to the test one, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL backups need CONSULT_TEST_DATABASE_URL")
    url = make_url(database_url)
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_backup_under_write_load_restores_intact(app, tmp_path, scratch_pg_database):
    before, total, during, errors = _backup_under_load(app, tmp_path / "backup.dump")
    assert not errors, errors[:3]
    assert during > 0, "no write happened while pg_dump ran"
    backup.restore(tmp_path / "backup.dump", scratch_pg_database)
    _check_restored(scratch_pg_database, before, total)
    assert _head() in _flask_db_current(scratch_pg_database)
