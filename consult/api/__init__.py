"""The JSON API (`/api/v1/`): personal access tokens, OpenAPI 3.1, the same services as the pages."""

from flask import Blueprint

bp = Blueprint("api", __name__)


@bp.record_once
def _init(state) -> None:
    """Cookie-free sessions and problem details under /api/ (see consult/api/auth.py)."""
    from consult.api import auth

    auth.init_app(state.app)
