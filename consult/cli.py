"""The `flask` commands: database migrations, demo data, accounts."""

from __future__ import annotations

import os
import secrets

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from config import BASE_DIR
from consult.db import get_session

MIGRATIONS_DIR = BASE_DIR / "migrations"

db_cli = AppGroup("db", help="Database migrations (Alembic).")
demo_cli = AppGroup("demo", help="The demo consultation.")
users_cli = AppGroup("users", help="Accounts.")
digests_cli = AppGroup("digests", help="Notifications and digests by email.")
mail_cli = AppGroup("mail", help="The mail queue's workers (with REDIS_URL).")
search_cli = AppGroup("search", help="The full-text search index.")


def alembic_config() -> AlembicConfig:
    """Alembic's configuration, pointed at migrations/ and the app's database."""
    config = AlembicConfig(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["flask_app"] = current_app._get_current_object()
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    command.upgrade(alembic_config(), revision)


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models with the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration file."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
def db_backup(destination: str) -> None:
    """Write a consistent backup of the live database to DESTINATION (SQLite file or pg_dump -Fc)."""
    from consult.backup import backup

    click.echo(f"Backup written to {backup(current_app.config['DATABASE_URL'], destination)}")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    command.current(alembic_config(), verbose=False)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
@click.option("--password", envvar="CONSULT_DEMO_PASSWORD", default=None, help="Password for every demo account.")
def demo_load(if_empty: bool, password: str | None) -> None:
    """Load the demo consultation and print the demo accounts."""
    from consult.demo import DEMO_PASSWORD, load_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("The demo data is not for production databases.")
    session = get_session()
    created = load_demo(session, password or DEMO_PASSWORD, if_empty=if_empty)
    session.commit()
    if not created:
        click.echo("The database has data already; the demo was not loaded again.")
    _print_accounts(session, password or DEMO_PASSWORD)


def _print_accounts(session, password: str) -> None:
    from consult.demo import demo_accounts

    base = current_app.config["PUBLIC_URL"].rstrip("/")
    click.echo(f"\nDemo accounts (sign in at {base}/login):")
    for email, role, organisation in demo_accounts(session):
        click.echo(f"  {email:<34} {role:<12} {organisation}")
    click.echo(f"  Password for all of them: {password}")
    click.echo("  Moderators, organisers and administrators also give a code from an authenticator app:")
    click.echo("  flask --app consult demo totp moderator@demo.example   (prints the current code)")
    passkeys = base.replace("127.0.0.1", "localhost")
    click.echo(f"  Passkeys work at {passkeys} (browsers refuse them on an IP address).\n")


@demo_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--password", envvar="CONSULT_DEMO_PASSWORD", default=None, help="The demo accounts' password.")
def demo_serve(host: str, port: int, password: str | None) -> None:
    """Serve the app for trying it: the address and the demo accounts are the last lines printed."""
    from werkzeug.serving import make_server

    from consult.demo import DEMO_PASSWORD

    app = current_app._get_current_object()
    server = make_server(host, port, app, threaded=True)  # bound now: the address below works
    if not os.environ.get("CONSULT_PUBLIC_URL"):
        app.config["PUBLIC_URL"] = f"http://{host}:{server.port}"
    _print_accounts(get_session(), password or DEMO_PASSWORD)
    click.echo(f"Serving consult on {app.config['PUBLIC_URL']}/ (Ctrl+C stops it).")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@demo_cli.command("totp")
@click.argument("email")
def demo_totp(email: str) -> None:
    """Print the current authenticator-app code of a demo account (EMAIL), and how long it lasts."""
    import pyotp

    from consult.auth.models import TotpSecret
    from consult.auth.services import find_user_by_email
    from consult.db import utcnow

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Codes are not printed in production.")
    session = get_session()
    user = find_user_by_email(session, email)
    secret = session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id)) if user else None
    if secret is None or secret.confirmed_at is None:
        raise click.ClickException(f"{email} has no authenticator app set up (try `flask demo load`).")
    totp = pyotp.TOTP(secret.secret)
    now = utcnow()
    left = totp.interval - int(now.timestamp()) % totp.interval
    click.echo(f"{totp.at(now)}  (for {email}, valid for {left} more seconds; each code works once)")


@users_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Administrator")
@click.option("--password", envvar="CONSULT_ADMIN_PASSWORD", default=None, help="Generated when omitted.")
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an administrator account (the first account of a new installation)."""
    from consult import audit
    from consult.auth.models import Role, User
    from consult.auth.services import check_password_rules, find_user_by_email, hash_password
    from consult.errors import Invalid

    session = get_session()
    if find_user_by_email(session, email) is not None:
        raise click.ClickException(f"An account for {email} already exists.")
    generated = password is None
    password = password or secrets.token_urlsafe(18)
    try:
        check_password_rules(password, email)
    except Invalid as exc:
        raise click.ClickException(str(exc)) from None
    user = User(email=email.strip(), display_name=name, role=Role.ADMIN, password_hash=hash_password(password))
    session.add(user)
    audit.record(session, actor=None, action="user.create_admin", subject=user, summary=email, via="cli")
    session.commit()
    click.echo(f"Administrator {email} created.")
    if generated:
        click.echo(f"Password: {password}  (change it on the account page)")


@digests_cli.command("send")
@click.option(
    "--reclaim-after",
    type=float,
    default=None,
    help="Take over rows another sender claimed this many seconds ago (default MAIL_CLAIM_SECONDS).",
)
def digests_send(reclaim_after: float | None) -> None:
    """Queue due notifications and digests, then send every due email (run it from cron)."""
    from consult import mail
    from consult.db import utcnow
    from consult.digests import schedule
    from consult.mail.sender import deliver

    session = get_session()
    now = utcnow()
    notifications = schedule.queue_round_events(session, now)
    digests = schedule.queue_due_digests(session, now)
    mail.forget_queued(session)  # sent below with everything else that is due
    session.commit()
    click.echo(f"Queued {notifications} notification(s) and {digests} digest(s).")
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from consult.mail.jobs import enqueue_delivery

        enqueue_delivery(app, None)
        click.echo("Sending is left to the RQ workers.")
        return
    report = deliver(app, lease_seconds=reclaim_after)
    click.echo(
        f"Sent {report.sent}, nothing new for {report.skipped}, will retry {report.retried}, failed {report.failed}."
    )
    for error in sorted(set(report.errors))[:5]:
        click.echo(f"  error: {error}", err=True)


@mail_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def mail_worker(burst: bool) -> None:
    """Send queued email as an RQ worker on the MAIL_QUEUE queue (needs REDIS_URL)."""
    from consult.mail.jobs import work

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is not set: without it, email is sent inline and needs no worker.")
    work(app, burst=burst)


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the full-text index of every searchable text (SQLite FTS5 rebuild, PostgreSQL REINDEX)."""
    from consult.search.services import reindex

    session = get_session()
    engine = reindex(session)
    session.commit()
    click.echo(f"Search index rebuilt ({engine}).")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, demo_cli, users_cli, digests_cli, mail_cli, search_cli):
        app.cli.add_command(group)
    os.environ.setdefault("FLASK_RUN_HOST", "127.0.0.1")
