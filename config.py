"""Configuration classes, read from the environment (CONSULT_* variables).

`CONSULT_ENV` picks the class: development (default), testing or production.
Production refuses to start without a strong `CONSULT_SECRET_KEY`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Anything shorter, or one of these well-known values, is refused in production.
MIN_SECRET_KEY_LENGTH = 32
WEAK_SECRET_KEYS = frozenset({"", "dev", "secret", "changeme", "change-me", "development-only"})


def env(name: str, default: str | None = None) -> str | None:
    """Read CONSULT_<name> from the environment."""
    return os.environ.get(f"CONSULT_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; safe for development."""

    ENV_NAME = "development"
    SECRET_KEY = env("SECRET_KEY", "development-only")
    DATABASE_URL = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'consult.sqlite3'}")
    SQL_ECHO = env_bool("SQL_ECHO", False)
    REDIS_URL = env("REDIS_URL") or os.environ.get("REDIS_URL")

    # Sessions and cookies (Flask's and Flask-Login's defaults are too loose: set them all).
    SESSION_COOKIE_NAME = "consult_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_NAME = "consult_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False

    # CSRF: every POST; a token lasts a working day and more (a form left open still submits).
    WTF_CSRF_ENABLED = True
    WTF_CSRF_CHECK_DEFAULT = False  # checked in consult.web, so forms can re-show input
    WTF_CSRF_TIME_LIMIT = int(env("CSRF_TIME_LIMIT", str(24 * 3600)))
    WTF_CSRF_SSL_STRICT = True

    # Tokens sent by email.
    INVITATION_TTL = timedelta(days=int(env("INVITATION_DAYS", "14")))
    PASSWORD_RESET_TTL = timedelta(hours=2)

    # Passwords: argon2id; the defaults meet OWASP ASVS.
    ARGON2_TIME_COST = int(env("ARGON2_TIME_COST", "3"))
    ARGON2_MEMORY_COST = int(env("ARGON2_MEMORY_COST", "65536"))  # KiB
    ARGON2_PARALLELISM = int(env("ARGON2_PARALLELISM", "4"))

    # Rate limits (Flask-Limiter): memory by default, Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Keys in Redis start with this (installations or test runs sharing one Redis keep apart).
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "")
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "6 per minute")
    RESET_RATE_LIMIT = env("RESET_RATE_LIMIT", "5 per 15 minutes")
    # Per signed-in person, for comment writes (generous: a delegation pastes many at a deadline).
    COMMENT_RATE_LIMIT = env("COMMENT_RATE_LIMIT", "60 per minute")
    # Search, per signed-in person (or address): a person pages and refines; a crawler is slowed.
    SEARCH_RATE_LIMIT = env("SEARCH_RATE_LIMIT", "120 per minute")
    # The JSON API, per personal access token: reads, and writes (which also count as reads).
    API_RATE_LIMIT = env("API_RATE_LIMIT", "300 per minute")
    API_WRITE_RATE_LIMIT = env("API_WRITE_RATE_LIMIT", "60 per minute")

    # Second factors (TOTP, passkeys). Roles that must have one before they reach any page;
    # attempts per account; how long the step after the password may take; how long a
    # remembered browser skips the second factor (never for administrators: consult.policy).
    SECOND_FACTOR_ROLES = tuple(
        r.strip() for r in (env("SECOND_FACTOR_ROLES", "moderator,organiser,admin") or "").split(",") if r.strip()
    )
    SECOND_FACTOR_RATE_LIMIT = env("SECOND_FACTOR_RATE_LIMIT", "5 per minute;20 per hour")
    SECOND_FACTOR_PENDING_SECONDS = int(env("SECOND_FACTOR_PENDING_SECONDS", "600"))
    REMEMBER_BROWSER_DAYS = int(env("REMEMBER_BROWSER_DAYS", "30"))
    REMEMBER_BROWSER_COOKIE_NAME = "consult_browser"
    TOTP_ISSUER = env("TOTP_ISSUER", "consult")
    # Sessions you can see: a session's "last seen" is written at most this often.
    SESSION_TOUCH_SECONDS = int(env("SESSION_TOUCH_SECONDS", "60"))

    # Email: printed to the console in development.
    MAIL_SERVER = env("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(env("MAIL_PORT", "25"))
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_SENDER", "consult <noreply@consult.localhost>")
    MAIL_CONSOLE = env_bool("MAIL_CONSOLE", True)
    # The outbox: a sender's claim on a row lasts this long (then a crashed sender's rows are
    # taken over); failed attempts wait MAIL_RETRY_SECONDS, doubling up to the maximum.
    MAIL_CLAIM_SECONDS = int(env("MAIL_CLAIM_SECONDS", "300"))
    MAIL_RETRY_SECONDS = int(env("MAIL_RETRY_SECONDS", "60"))
    MAIL_RETRY_MAX_SECONDS = int(env("MAIL_RETRY_MAX_SECONDS", str(6 * 3600)))
    MAIL_MAX_ATTEMPTS = int(env("MAIL_MAX_ATTEMPTS", "8"))
    # Links in emails sent outside a request (cron, RQ workers) start with this.
    PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:5000")
    # Personal digests go out from this hour in each person's timezone.
    DIGEST_HOUR = int(env("DIGEST_HOUR", "7"))
    MAIL_QUEUE = env("MAIL_QUEUE", "mail")  # the RQ queue that workers listen on
    BRIEFING_QUEUE = env("BRIEFING_QUEUE", "briefings")  # the RQ queue of briefing PDF jobs

    # Internationalisation: times stored in UTC, shown in the viewer's timezone.
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "consult" / "translations")
    # The six UN languages, in the switcher's order (English is the default, above).
    LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
    LANGUAGE_COOKIE = "consult_language"

    # Forms and uploads.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    PAGE_SIZE = 20
    # Rendered round pages and comments kept per worker process (consult/pagecache.py); 0: off.
    PAGE_CACHE_ENTRIES = int(env("PAGE_CACHE_ENTRIES", "512"))
    COMMENT_CACHE_ENTRIES = int(env("COMMENT_CACHE_ENTRIES", "4096"))
    SECTION_CACHE_ENTRIES = int(env("SECTION_CACHE_ENTRIES", "8192"))
    # Search result pages are cached with the rounds' revisions and phases in the key; what
    # those do not cover (dispositions, texts of consultations without rounds) is at most this old.
    SEARCH_CACHE_SECONDS = int(env("SEARCH_CACHE_SECONDS", "30"))
    # `make bench` only: a hello-world endpoint to compare pages with, under the same settings.
    BENCH_ENDPOINTS = env_bool("BENCH", False)
    # Behind a reverse proxy: how many proxies to trust for X-Forwarded-*.
    PROXY_FIX = int(env("PROXY_FIX", "0"))


class DevelopmentConfig(Config):
    """`make run`: SQLite under instance/, emails on the console."""


class TestingConfig(Config):
    """pytest: a throwaway database and a cheap password hash."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-" + "x" * 40
    DATABASE_URL = os.environ.get("CONSULT_TEST_DATABASE_URL", "sqlite://")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    MAIL_CONSOLE = False
    MAIL_SUPPRESS_SEND = False
    RATELIMIT_ENABLED = True
    SERVER_NAME = None


class ProductionConfig(Config):
    """Behind a reverse proxy, on PostgreSQL and Redis, over TLS."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_CONSOLE = env_bool("MAIL_CONSOLE", False)
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class that CONSULT_ENV names."""
    name = env("ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"CONSULT_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None


def check_production(config: dict) -> None:
    """Refuse to run in production with a missing or weak secret key, saying why."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    # A long key is still weak when it is the one published for tests, or barely varies ("a" * 40).
    published = key == TestingConfig.SECRET_KEY
    if key.lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH or published or len(set(key)) < 8:
        raise RuntimeError(
            "CONSULT_SECRET_KEY is missing or weak: production needs a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters, for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
