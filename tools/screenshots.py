"""Screenshots of the side-by-side page (`make screenshots`): the demo data on a fresh SQLite
file, served on 127.0.0.1, photographed by Debian's headless Chromium (Playwright) at 1280 and
390 px wide, as a government and an industry participant, on the demo's open round and its
published round. The PNGs go to `screenshots/` (see README.md).

    .venv/bin/python tools/screenshots.py [--out screenshots] [--full-page]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from the checkout
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
WIDTHS = (1280, 390)
VIEWERS = {"government": "gov@demo.example", "industry": "industry@demo.example"}
ROUNDS = {"open": "Second round: the revised draft", "published": "First round: comments on the first draft"}


def _environment(database_url: str) -> None:
    """A development server's settings on a file of its own (cheap hashes, no rate limit)."""
    for key in [k for k in os.environ if k.startswith("CONSULT_")]:
        del os.environ[key]
    os.environ.update(
        CONSULT_ENV="development",
        CONSULT_SECRET_KEY="screenshots-" + secrets.token_urlsafe(40),
        CONSULT_DATABASE_URL=database_url,
        CONSULT_MAIL_CONSOLE="1",
        CONSULT_LOGIN_RATE_LIMIT="10000 per minute",
        CONSULT_ARGON2_TIME_COST="1",
        CONSULT_ARGON2_MEMORY_COST="8192",
        CONSULT_ARGON2_PARALLELISM="1",
        REDIS_URL="",
    )


def _app(database_url: str):
    _environment(database_url)
    from consult import create_app

    app = create_app()
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "load"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.output}")
    return app


def _round_ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from consult.rounds.models import Round

    with app.app_context():
        session = app.extensions["consult.db"].new_session()
        try:
            titles = dict(session.execute(select(Round.title, Round.id)).all())
        finally:
            session.close()
    return {phase: titles[title] for phase, title in ROUNDS.items()}


def take(out: Path, full_page: bool) -> list[Path]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from consult.demo import DEMO_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(f"sqlite:///{Path(tmp) / 'screenshots.sqlite3'}")
        rounds = _round_ids(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for viewer, email in VIEWERS.items():
                    context = browser.new_context(
                        base_url=base, locale="en-GB", viewport={"width": 1280, "height": 900}
                    )
                    page = context.new_page()
                    page.goto("/login")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(DEMO_PASSWORD)
                    with page.expect_navigation():
                        page.get_by_role("button", name="Sign in", exact=True).click()
                    for phase, round_id in rounds.items():
                        for width in WIDTHS:
                            page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
                            response = page.goto(f"/rounds/{round_id}/matrix")
                            assert response is not None and response.ok, f"{viewer} {phase}: {response}"
                            path = out / f"sidebyside-{viewer}-{phase}-{width}.png"
                            page.screenshot(path=str(path), full_page=full_page)
                            written.append(path)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            app.extensions["consult.db"].engine.dispose()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not the first screen")
    options = parser.parse_args()
    for path in take(options.out, options.full_page):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
