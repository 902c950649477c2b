"""Alembic environment: runs migrations on the Flask app's engine, with every model loaded."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import consult.models  # noqa: F401  (imports every model so the metadata is complete)
from consult.db import Base
from consult.search.models import is_search_object

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

app = config.attributes.get("flask_app")
if app is None:
    from consult import create_app

    app = create_app()


def run_migrations_online() -> None:
    engine = app.extensions["consult.db"].engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # The search indexes differ per engine and are not in the models (migration 0011).
            include_name=lambda name, _type, _parents: not is_search_object(name),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `flask db upgrade`.")
run_migrations_online()
