"""The OpenAPI document (generated from the registry) and the page that renders it.

The page uses Swagger UI vendored under static/vendor/ (npm `swagger-ui-dist`, pinned; no
CDN) and a static script that starts it (the CSP forbids inline scripts); without JavaScript
it links to the document.
"""

from __future__ import annotations

import json
from functools import cache

from flask import Response, render_template

from consult.api import bp, schemas
from consult.api.registry import API_PREFIX, openapi_document

SWAGGER_UI = "vendor/swagger-ui-5.35.0"


@cache
def _document() -> str:
    return json.dumps(openapi_document(schemas.Problem), ensure_ascii=False, indent=1)


@bp.route(API_PREFIX + "/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of the API."""
    response = Response(_document(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route(API_PREFIX + "/docs")
def docs():
    """The API's reference, rendered from the document by Swagger UI."""
    return render_template("api/docs.html", swagger_ui=SWAGGER_UI)
