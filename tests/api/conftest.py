"""Fixtures of the API suite: tokens made through the service."""

from __future__ import annotations

import pytest

from consult.api import services


@pytest.fixture
def token_for(session):
    """`token_for(user, *scopes)`: a new token's secret (committed)."""

    def make(user, *scopes: str, days: int = 30) -> str:
        new = services.create_token(session, actor=user, name="test tool", scopes=list(scopes or ["read"]), days=days)
        session.commit()
        return new.secret

    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
