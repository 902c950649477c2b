"""consult: structured multi-stakeholder consultations on draft norms."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, check_production, config_from_env


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, then a list of registrations."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_production(app.config)

    register_database(app)
    register_extensions(app)
    register_web(app)
    register_blueprints(app)
    register_cli(app)
    if app.config["BENCH_ENDPOINTS"]:
        app.add_url_rule("/_bench/hello", "bench_hello", lambda: "hello, world")
        app.add_url_rule("/_bench/locks", "bench_locks", _bench_locks)
    if app.config["PROXY_FIX"]:
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _bench_locks() -> dict:
    """This worker's round-lock statistics (`rounds.services.COMMENT_LOCKS`), for `make bench`."""
    import os

    from consult.rounds.services import COMMENT_LOCKS

    return {"pid": os.getpid(), **COMMENT_LOCKS}


def register_database(app: Flask) -> None:
    from consult import db, mail, pagecache

    db.init_app(app)
    pagecache.init_app(app)
    mail.init_app(app)


def register_extensions(app: Flask) -> None:
    from consult import i18n
    from consult.auth.loader import init_login
    from consult.extensions import babel, csrf, limiter, mail

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=_select_timezone)
    init_login(app)


def _select_timezone() -> str | None:
    from flask import g

    if g.get("email_timezone"):  # an email being rendered for its recipient
        return g.email_timezone
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def register_web(app: Flask) -> None:
    from consult import web

    web.init_app(app)


BLUEPRINTS = (
    "consultations",
    "auth",
    "admin",
    "drafts",
    "rounds",
    "comments",
    "moderation",
    "dispositions",
    "exports",
    "digests",
    "search",
    "api",
    "notifications",
)


def register_blueprints(app: Flask) -> None:
    """Import each room's views (which attach routes to its `bp`), register the blueprint, and
    let the room wire itself (`init_app`: renderers with the mail wing, signal receivers)."""
    import importlib

    for name in BLUEPRINTS:
        importlib.import_module(f"consult.{name}.views")
        room = importlib.import_module(f"consult.{name}")
        app.register_blueprint(room.bp)
        if hasattr(room, "init_app"):
            room.init_app(app)


def register_cli(app: Flask) -> None:
    from consult import cli

    cli.init_app(app)
