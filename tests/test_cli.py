"""The flask commands, through the CLI runner."""

from sqlalchemy import func, select

from config import ProductionConfig
from consult import create_app
from consult.audit import AuditEvent
from consult.auth.models import Role, User
from consult.auth.services import authenticate
from consult.consultations.models import Consultation
from consult.demo import ACCOUNTS, DEMO_PASSWORD


def test_demo_load_creates_accounts_once_and_prints_them(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    for email, *_rest in ACCOUNTS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    session.expire_all()
    users = session.scalar(select(func.count(User.id)))
    assert users == len(ACCOUNTS)
    roles = set(session.scalars(select(User.role)))
    assert roles == set(Role)
    assert session.scalar(select(func.count(Consultation.id))) == 1
    assert authenticate(session, email="admin@demo.example", password=DEMO_PASSWORD) is not None

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0
    assert "was not loaded again" in again.output
    session.expire_all()
    assert session.scalar(select(func.count(User.id))) == users


def test_demo_refuses_production(database_url):
    config = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    app = create_app({**config, "SECRET_KEY": "Zq8-vT3_pL9-mW4nB7xK2cR5-hJ6gF1dS0aQ9", "DATABASE_URL": database_url})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "not for production" in result.output


def test_create_admin(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "--email", "Root@Example.org"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].split()[0]
    session.expire_all()
    admin = authenticate(session, email="root@example.org", password=password)
    assert admin is not None and admin.role is Role.ADMIN
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == admin.id)) == "user.create_admin"

    duplicate = runner.invoke(args=["users", "create-admin", "--email", "root@EXAMPLE.org"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_create_admin_refuses_weak_password(app, session):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "a@example.org", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert session.scalar(select(func.count(User.id))) == 0


def test_db_current_and_upgrade_are_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "current"]).exit_code == 0
