"""Online backups: SQLite's backup API, PostgreSQL's `pg_dump` (custom format).

Both are consistent while the application keeps writing: SQLite copies the pages of one read
snapshot (WAL lets writers go on), `pg_dump` reads one repeatable-read snapshot. Restoring is
the reverse: `restore_sqlite` into a new file, `pg_restore` into a new, empty database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # pg_dump/pg_restore with argument lists, no shell  # nosec B404
from pathlib import Path

from sqlalchemy.engine import URL, make_url


def sqlite_path(url: str | URL) -> Path:
    """The file of a SQLite URL (not an in-memory database)."""
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def libpq(url: str | URL) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump/pg_restore, and an environment with the password (kept off argv)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def backup(url: str | URL, destination: str | Path) -> Path:
    """Write a consistent backup of the database at `url` to `destination` while it is in use."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(sqlite_path(url), timeout=30)
        target = sqlite3.connect(destination)
        try:
            with target:
                source.backup(target)  # one step: the pages of one snapshot
        finally:
            target.close()
            source.close()
    elif backend == "postgresql":
        uri, env = libpq(url)
        pg_dump = shutil.which("pg_dump") or "pg_dump"
        subprocess.run(  # noqa: S603 (fixed program, arguments from configuration)  # nosec B603
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={destination}", f"--dbname={uri}"],
            check=True,
            env=env,
        )
    else:
        raise ValueError(f"no backup for {backend} databases")
    return destination


def restore(source: str | Path, url: str | URL) -> None:
    """Restore a backup into the (new, empty) database at `url`."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        target_path = sqlite_path(url)
        if target_path.exists():
            raise FileExistsError(f"{target_path} exists: restore into a new file")
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(target_path)
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    elif backend == "postgresql":
        uri, env = libpq(url)
        pg_restore = shutil.which("pg_restore") or "pg_restore"
        subprocess.run(  # noqa: S603 (fixed program, arguments from configuration)  # nosec B603
            [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={uri}", str(source)],
            check=True,
            env=env,
        )
    else:
        raise ValueError(f"no restore for {backend} databases")
