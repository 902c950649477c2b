"""The factory and its configuration."""

import pytest

from config import ProductionConfig, check_production, config_from_env
from consult import create_app

STRONG = "k" * 20 + "Zq8-vT3_pL9" + "x" * 20


def production(**overrides) -> dict:
    base = {k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()}
    return {**base, "DATABASE_URL": "sqlite://", **overrides}


@pytest.mark.parametrize("key", ["", "dev", "development-only", "changeme", "short-but-random-9f3k"])
def test_production_refuses_weak_secret_key(key):
    with pytest.raises(RuntimeError, match="CONSULT_SECRET_KEY is missing or weak"):
        create_app(production(SECRET_KEY=key))


def test_production_starts_with_strong_key_and_secure_cookies():
    app = create_app(production(SECRET_KEY=STRONG))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_tolerates_dev_key():
    check_production({"ENV_NAME": "development", "SECRET_KEY": "dev"})


def test_cookie_and_token_lifetimes(app):
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 8 * 3600


def test_env_selects_config(monkeypatch):
    monkeypatch.setenv("CONSULT_ENV", "production")
    assert config_from_env() is ProductionConfig
    monkeypatch.setenv("CONSULT_ENV", "staging")
    with pytest.raises(RuntimeError, match="CONSULT_ENV must be one of"):
        config_from_env()


def test_factory_registers_the_blueprints(app):
    assert {"auth", "admin", "consultations"} <= set(app.blueprints)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"auth.login", "admin.audit_log", "consultations.index"} <= endpoints
