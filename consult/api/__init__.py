"""The JSON API (`/api/v1/`): personal access tokens, OpenAPI 3.1, the same services as the pages."""

from flask import Blueprint

bp = Blueprint("api", __name__)
