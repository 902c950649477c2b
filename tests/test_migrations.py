"""Migrations: `flask db upgrade` from empty works, the models match, downgrade works too."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

import consult.models  # noqa: F401
from consult import create_app
from consult.auth.models import SEED_GROUPS, StakeholderGroup
from consult.cli import alembic_config
from consult.db import Base, make_engine
from consult.search.models import is_search_object
from tests.conftest import PG_URL, _base_config


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """An empty database of the backend under test (PostgreSQL: a scratch database)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"consult_migrations_{os.getpid()}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database_url):
    app = create_app({**_base_config(), "DATABASE_URL": empty_database_url})
    engine = app.extensions["consult.db"].engine
    with app.app_context():
        run(app, "db", "upgrade")
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_name": lambda name, *_: not is_search_object(name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            slugs = [
                row.slug for row in conn.execute(select(StakeholderGroup.slug).order_by(StakeholderGroup.position))
            ]
            assert slugs == [slug for slug, _name in SEED_GROUPS]
        _email_is_unique_ignoring_case(engine)

        run(app, "db", "downgrade", "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}

        run(app, "db", "upgrade")
        with engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def _email_is_unique_ignoring_case(engine) -> None:
    """The expression index lower(email) exists (inspectors do not report it on SQLite)."""
    insert = text(
        "INSERT INTO user_account (email, display_name, timezone, password_hash, role, is_active,"
        " session_version, created_at) VALUES (:e, 'x', 'UTC', '', 'participant', true, 1, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"e": "Same@Example.org"})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"e": "same@example.ORG"})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_account"))


def test_every_model_table_is_created_by_migrations(empty_database_url):
    app = create_app({**_base_config(), "DATABASE_URL": empty_database_url})
    engine = app.extensions["consult.db"].engine
    with app.app_context():
        run(app, "db", "upgrade")
    with engine.connect() as conn:
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    engine.dispose()


def test_digest_keys_are_backfilled_and_the_comment_triggers_survive(empty_database_url):
    """0008 gives existing comments digest keys from the audit log and moves every digest
    cursor to the newest audit id; it adds its columns without recreating `comment` (SQLite's
    batch mode would drop the round-revision triggers of 0007)."""
    from consult.comments.models import Comment, CommentStatus
    from consult.digests.models import DigestFrequency, EmailPreference
    from tests import factories

    app = create_app({**_base_config(), "DATABASE_URL": empty_database_url})
    engine = app.extensions["consult.db"].engine
    with app.app_context():
        run(app, "db", "upgrade")
        session = app.extensions["consult.db"].new_session()
        people = factories.make_people(session)
        round_ = factories.make_round(session)
        accepted = factories.make_comment(session, round_, people["participant:industry"]).id
        waiting = factories.make_comment(
            session, round_, people["participant:industry"], status=CommentStatus.AWAITING_MODERATION
        ).id
        draft = factories.make_comment(session, round_, people["participant:industry"], status=CommentStatus.DRAFT).id
        session.add(EmailPreference(user_id=people["moderator"].id, digest_frequency=DigestFrequency.DAILY))
        session.commit()
        session.close()
        run(app, "db", "downgrade", "0007")
        run(app, "db", "upgrade")
        with engine.connect() as conn:
            keys = {
                row.id: (row.submitted_key, row.accepted_key)
                for row in conn.execute(select(Comment.id, Comment.submitted_key, Comment.accepted_key))
            }
            events = dict(
                conn.execute(text("SELECT subject_id, id FROM audit_event WHERE subject_type = 'Comment'")).all()
            )
            newest = conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar()
            cursors = set(conn.execute(text("SELECT last_digest_comment_key FROM email_preference")).scalars())
            if conn.dialect.name == "postgresql":
                triggers = text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'comment'::regclass")
            else:
                triggers = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'comment'")
            names = set(conn.execute(triggers).scalars())
    engine.dispose()
    assert keys[accepted] == (events[accepted], events[accepted])
    assert keys[waiting] == (events[waiting], None)
    assert keys[draft] == (None, None)
    assert cursors == {newest}
    assert {f"comment_bumps_round_{op}" for op in ("ins", "upd", "del")} <= names


def test_0012_numbers_submitted_comments_and_keeps_the_triggers(empty_database_url):
    """0012 gives submitted comments numbers ("<country>-<nnn>" per round, in id order) and
    adds its columns without recreating `comment`, `organisation` or `draft` (SQLite's batch
    mode would drop the round-revision triggers of 0007)."""
    from consult.comments.models import Comment, CommentStatus
    from tests import factories

    app = create_app({**_base_config(), "DATABASE_URL": empty_database_url})
    engine = app.extensions["consult.db"].engine
    with app.app_context():
        run(app, "db", "upgrade")
        session = app.extensions["consult.db"].new_session()
        people = factories.make_people(session)
        people.organisations["governments"].country = "KR"
        round_ = factories.make_round(session)
        made = [
            factories.make_comment(session, round_, people["participant:governments"]),
            factories.make_comment(session, round_, people["participant:industry"]),
            factories.make_comment(session, round_, people["participant:governments"], status=CommentStatus.DRAFT),
            factories.make_comment(session, round_, people["participant:governments"]),
        ]
        ids = [c.id for c in made]
        session.execute(text("UPDATE comment SET number = NULL, member_code = '', number_seq = 0"))
        session.commit()
        session.close()
        run(app, "db", "downgrade", "0008")
        run(app, "db", "upgrade")
        with engine.connect() as conn:
            numbers = dict(conn.execute(select(Comment.id, Comment.number)).all())
            if conn.dialect.name == "postgresql":
                triggers = text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            else:
                triggers = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = set(conn.execute(triggers).scalars())
    engine.dispose()
    assert [numbers[i] for i in ids] == ["KR-001", "001", None, "KR-002"]
    assert {f"comment_bumps_round_{op}" for op in ("ins", "upd", "del")} <= names
    assert {"organisation_bumps_rounds_upd", "draft_bumps_round_upd"} <= names
