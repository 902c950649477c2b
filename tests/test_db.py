"""The data layer: SQLite tuning, write transactions that begin immediately, UTC times."""

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from consult.auth.models import Organisation
from consult.db import make_engine
from tests.factories import make_organisation


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_concurrent_read_then_write_loses_nothing(tmp_path):
    """Eight threads increment one counter 25 times each, reading before writing.

    With a deferred BEGIN, SQLite refuses most of these with "database is locked"; with
    BEGIN IMMEDIATE every transaction waits its turn and no update is lost.
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    errors: list[Exception] = []

    def work() -> None:
        for _ in range(25):
            try:
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
            except Exception as exc:  # noqa: BLE001 (the test reports any failure)
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        total = conn.execute(text("SELECT n FROM counter")).scalar_one()
    engine.dispose()
    assert errors == []
    assert total == 200


def test_times_come_back_aware_in_utc(session):
    org = make_organisation(session)
    seoul = timezone(timedelta(hours=9))
    org.created_at = datetime(2013, 10, 17, 9, 0, tzinfo=seoul)
    session.commit()
    session.expire_all()
    stored = session.scalar(select(Organisation.created_at).where(Organisation.id == org.id))
    assert stored == datetime(2013, 10, 17, 0, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_naive_datetimes_are_refused(session):
    org = make_organisation(session)
    org.created_at = datetime(2013, 10, 17, 9, 0)  # noqa: DTZ001 (that is the point)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_uncommitted_work_is_rolled_back_at_teardown(app):
    with app.test_request_context():
        from consult.db import get_session

        make_organisation(get_session(), name="never committed")
    with app.test_request_context():
        from consult.db import get_session

        assert get_session().scalar(select(Organisation).where(Organisation.name == "never committed")) is None
