"""Browser fixtures: the app under gunicorn on a fresh SQLite file, an SMTP sink it sends to,
headless Debian Chromium driven by Playwright, and an auditor that runs axe-core on every page
a journey visits and saves its HTML for the Nu HTML checker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from config import TestingConfig
from consult import create_app
from tests import factories
from tests.conftest import SMTPSink, _free_port
from tests.load.server import ROOT, gunicorn

CHROMIUM = os.environ.get("CONSULT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
A11Y_TOOLS = ROOT / "tools" / "a11y" / "node_modules"
AXE_JS = A11Y_TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = A11Y_TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass
class World:
    """The server's address and the people and objects the journeys start from."""

    base: str
    smtp: SMTPSink
    ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    totp: dict[str, str] = field(default_factory=dict)  # staff's authenticator secrets, by email
    # The same server by name: browsers refuse passkeys on an IP address (PUBLIC_URL names it).
    named_base: str = ""


def _seed(database_url: str) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Migrate the database with `flask db upgrade` and add what the journeys start from."""
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**config, "DATABASE_URL": database_url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    ids: dict[str, int] = {}
    emails: dict[str, str] = {}
    with app.app_context():
        session = app.extensions["consult.db"].new_session()
        people = factories.make_people(session)
        for name in ("organiser", "moderator", "participant:governments", "participant:industry", "admin"):
            emails[name] = people[name].email
        # Staff sign in with a second factor: an authenticator app with a known secret.
        totp = {people[n].email: factories.make_totp(session, people[n]).secret for n in ("organiser", "moderator")}
        consultation = factories.make_consultation(session, title="Norms of responsible behaviour in cyberspace")
        version = factories.make_version(session, consultation, clauses=3)
        ids["consultation"] = consultation.id
        ids["version"] = version.id
        # An open round of its own for the keyboard journey, so that it does not depend on the other.
        keyboard_round = factories.make_round(
            session,
            factories.Phase.OPEN,
            consultation=factories.make_consultation(session, title="Secure development consultation"),
            clauses=2,
        )
        keyboard_round.title = "Keyboard round"
        ids["keyboard_round"] = keyboard_round.id
        # A closed round with comments for the disposition table's journey.
        table_round = factories.make_round(session, factories.Phase.CLOSED, clauses=2)
        people.organisations["governments"].mb_code = "KR"
        for n, (author, clause) in enumerate([("participant:governments", "k1"), ("participant:industry", "k1"),
                                              ("participant:governments", "k2")]):  # fmt: skip
            factories.make_comment(session, table_round, people[author], clause, body=f"Table comment {n + 1}")
        ids["table_round"] = table_round.id
        # Drafts of their own for the clause editor's keyboard journeys (each saves a new version).
        editor_consultation = factories.make_consultation(session, title="Incident response consultation")
        for width in (390, 1280):
            ids[f"editor_draft_{width}"] = factories.make_version(session, editor_consultation, clauses=3).draft_id
        session.commit()
        session.close()
    app.extensions["consult.db"].engine.dispose()
    return ids, emails, totp


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[SMTPSink, int]]:
    sink = SMTPSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, smtp_sink: tuple[SMTPSink, int]) -> Iterator[World]:
    """gunicorn serving a fresh, migrated SQLite database, sending mail to the sink."""
    sink, port = smtp_sink
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'browser.sqlite3'}"
    ids, emails, totp = _seed(database_url)
    log = tmp_path_factory.mktemp("browser-log") / "gunicorn.log"
    web_port = _free_port()
    with gunicorn(
        database_url,
        workers=2,
        log=log,
        port=web_port,
        CONSULT_PUBLIC_URL=f"http://localhost:{web_port}",
        CONSULT_MAIL_CONSOLE="0",
        CONSULT_MAIL_SERVER="127.0.0.1",
        CONSULT_MAIL_PORT=str(port),
        REDIS_URL="",  # emails go out inline, not to an RQ queue no worker reads
    ) as base:
        yield World(base=base, smtp=sink, ids=ids, emails=emails, totp=totp, named_base=f"http://localhost:{web_port}")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Headless Debian Chromium (never a downloaded browser) with a fresh profile directory."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-setup` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives each launch a new temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Auditor:
    """axe-core on every page (serious or critical WCAG 2.1 A/AA findings fail), and the HTML
    of every page saved for one run of the Nu HTML checker at the end."""

    def __init__(self, out: Path) -> None:
        if not AXE_JS.exists() or not VNU_JAR.exists():
            pytest.fail("axe-core or vnu-jar is missing: run `make a11y-setup` (npm ci in tools/a11y)")
        self.axe_source = AXE_JS.read_text(encoding="utf-8")
        self.out = out
        self.saved: dict[Path, str] = {}  # file -> URL (and state) it was saved from
        self.findings: list[str] = []
        self.pages = 0

    def check(self, page, label: str = "") -> None:
        """Audit the page as it is now (after a navigation, or after opening a part of it)."""
        page.wait_for_load_state("load")
        url = page.url
        where = f"{url} {label}".strip()
        # Through CDP (Runtime.evaluate), which the page's CSP (no inline script) does not govern.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        result = page.evaluate(
            "async (tags) => await axe.run(document,"
            " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        self.pages += 1
        for violation in result["violations"]:
            if violation["impact"] not in BLOCKING_IMPACTS:
                continue
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            detail = " ".join(violation["nodes"][0].get("failureSummary", "").split())[:300]
            self.findings.append(
                f"{where}: {violation['impact']} {violation['id']} ({violation['help']}) at {targets} "
                f"— {violation['helpUrl']}\n    {detail}"
            )
        path = self.out / f"{len(self.saved) + 1:03d}.html"
        path.write_text(page.content(), encoding="utf-8")
        self.saved[path] = where

    def assert_clean(self) -> None:
        findings, self.findings = self.findings, []
        assert not findings, "axe-core (WCAG 2.1 A/AA), serious or critical:\n" + "\n".join(findings)

    def validate_html(self) -> list[str]:
        """The Nu HTML checker over every saved page, in one JVM; returns its errors."""
        java = shutil.which("java")
        assert java, "the Nu HTML checker needs Java (apt-get install default-jre-headless)"
        files = [str(p) for p in self.saved]
        run = subprocess.run(
            [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
            capture_output=True,
            text=True,
            timeout=180,
        )
        report = json.loads(run.stderr or run.stdout or '{"messages": []}')
        errors = []
        for message in report.get("messages", []):
            if message.get("type") not in ("error", "non-document-error"):
                continue
            source = Path(message.get("url", "").removeprefix("file:"))
            origin = self.saved.get(source, source.name)
            errors.append(f"{origin} line {message.get('lastLine')}: {message.get('message')} [{source.name}]")
        return errors


@pytest.fixture(scope="session")
def auditor(tmp_path_factory: pytest.TempPathFactory) -> Auditor:
    return Auditor(tmp_path_factory.mktemp("pages"))
