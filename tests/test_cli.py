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


def test_demo_staff_sign_in_with_the_printed_totp_code(app, session):
    """The demo's staff have the known secret; `flask demo totp` prints the code that signs them in."""
    import re

    import pyotp

    from consult.auth.models import TotpSecret
    from consult.demo import DEMO_TOTP_SECRET
    from tests.auth.helpers import csrf_from

    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["demo", "load"])
    assert "demo totp moderator@demo.example" in loaded.output
    session.expire_all()
    staff = {u.email for u in session.scalars(select(User).join(TotpSecret, TotpSecret.user_id == User.id))}
    assert staff == {
        "moderator@demo.example",
        "moderator2@demo.example",
        "organiser@demo.example",
        "admin@demo.example",
    }

    result = runner.invoke(args=["demo", "totp", "moderator@demo.example"])
    assert result.exit_code == 0, result.output
    code = re.match(r"(\d{6})  \(for moderator@demo.example, valid for \d+ more seconds", result.output).group(1)
    assert pyotp.TOTP(DEMO_TOTP_SECRET).verify(code, valid_window=1)

    client = app.test_client()
    token = csrf_from(client, "/login")
    step = client.post(
        "/login", data={"csrf_token": token, "email": "moderator@demo.example", "password": DEMO_PASSWORD}
    )
    assert step.headers["Location"] == "/login/second-factor"
    token = csrf_from(client, "/login/second-factor")
    done = client.post("/login/second-factor", data={"csrf_token": token, "code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/moderation").status_code == 200

    unknown = runner.invoke(args=["demo", "totp", "gov@demo.example"])
    assert unknown.exit_code != 0 and "no authenticator app" in unknown.output


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


def test_make_run_follows_the_real_address_and_ends_with_the_accounts(tmp_path):
    """`make run PORT=5103`: the demo's banner and emails name port 5103, and `flask demo serve`
    prints the address and the demo accounts last, then serves (issue 11: the banner said :5000
    and the accounts scrolled away above the emails)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flask = str(Path(sys.executable).parent / "flask")
    env = {
        **os.environ,
        "FLASK_APP": "consult",
        "CONSULT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CONSULT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CONSULT_MAIL_CONSOLE": "1",
    }
    env.pop("CONSULT_TEST_DATABASE_URL", None)
    root = Path(__file__).resolve().parent.parent
    subprocess.run([flask, "db", "upgrade"], env=env, cwd=root, check=True, capture_output=True, timeout=120)
    loaded = subprocess.run([flask, "demo", "load"], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert f"http://127.0.0.1:{port}/login" in loaded.stdout and ":5000" not in loaded.stdout
    assert "----- email to" in loaded.stdout  # the demo's notifications, printed to the console
    assert loaded.stdout.rindex("Demo accounts") > loaded.stdout.rindex("----- end of email -----")

    server = subprocess.Popen(
        [flask, "demo", "serve", "--port", str(port)], env=env, cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if line.startswith("Serving consult on"):
                break
        printed = "".join(lines)
        assert f"Serving consult on http://127.0.0.1:{port}/" in printed
        assert printed.index("Demo accounts") < printed.index("Serving consult on")
        assert "admin@demo.example" in printed and f"http://127.0.0.1:{port}/login" in printed
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as response:  # noqa: S310 (loopback)
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
