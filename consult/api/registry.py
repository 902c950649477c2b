"""The API's small route registry: one declaration per operation is its Flask rule, its
authentication and scope, the validation of its query and body, its rate limits, and its
entry in the OpenAPI 3.1 document.

Why pydantic models and a registry (not apispec with marshmallow): the same pydantic model
validates a request and, through `model_json_schema`, describes it in the document, in JSON
Schema 2020-12, which is what OpenAPI 3.1 uses; there is nothing to keep in step by hand, and
schemathesis checks the answers against that very schema. apispec would have meant
marshmallow schemas for validation plus a plugin's translation to the document.

Every operation answers JSON; errors are RFC 9457 problem details (`problem`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from consult.api import bp
from consult.api.models import Scope
from consult.api.problems import PROBLEM_TYPE, STATUS_TITLES, ApiError, problem, set_audit_via  # noqa: F401 (re-exported)
from consult.db import get_session
from consult.errors import Conflict, DomainError, NotAllowed, NotFound
from consult.extensions import csrf, limiter

API_PREFIX = "/api/v1"
READ_STATUSES = (400, 401, 403, 404, 422, 429)
WRITE_STATUSES = (400, 401, 403, 404, 409, 422, 429)


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI style: /rounds/{round_id}
    endpoint: str
    summary: str
    tag: str
    scope: Scope | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    etag: bool
    headers: dict[str, dict] = field(default_factory=dict)  # request headers read (Idempotency-Key)
    description: str = ""


OPERATIONS: list[Operation] = []


def _token_key() -> str:
    """Rate limits count per token (its digest), or per address for requests without one."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "api-token:" + hashlib.sha256(header[7:].strip().encode("utf-8", "replace")).hexdigest()[:32]
    return "api-anonymous:" + (request.remote_addr or "")


def _read_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _write_limit() -> str:
    return current_app.config["API_WRITE_RATE_LIMIT"]


def _errors(exc: ValidationError, where: str) -> list[dict]:
    return [
        {"location": where, "field": ".".join(str(p) for p in e["loc"]) or where, "message": e["msg"][:300]}
        for e in exc.errors(include_url=False, include_input=False)[:20]
    ]


def _parse_query(model: type[BaseModel]) -> BaseModel:
    data = {name: request.args.get(name) for name in model.model_fields if name in request.args}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, _("Some query parameters are not valid."), _errors(exc, "query")) from None


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiError(400, _("Send the request body as JSON (Content-Type: application/json)."))
    raw = request.get_data(cache=False)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, _("The request body is not valid JSON.")) from None
    if _has_nul(data):  # PostgreSQL refuses NUL in text: malformed input, as in forms (web._refuse_nul)
        raise ApiError(400, _("The request body contains a NUL character."))
    try:
        # Strict: JSON's types as the document says (no 0 for false, no "5" for 5).
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise ApiError(422, _("The request body is not valid."), _errors(exc, "body")) from None


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 20:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _json_response(payload: Any, status: int, etag: bool) -> Response:
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "private, no-cache"
    if etag:
        tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        response.headers["ETag"] = tag
        wanted = {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}
        if tag in wanted or f"W/{tag}" in wanted or "*" in wanted:
            not_modified = Response(status=304)
            not_modified.headers["ETag"] = tag
            not_modified.headers["Cache-Control"] = "private, no-cache"
            return not_modified
    return response


def api_route(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    scope: Scope | None = Scope.READ,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    headers: dict[str, dict] | None = None,
    description: str = "",
) -> Callable:
    """Declare an operation; the handler gets `ctx` (token, user, query, body) and the path ids."""
    from consult.api import auth

    writes = method != "GET"

    def decorator(handler: Callable) -> Callable:
        rule = API_PREFIX + path.replace("{", "<int:").replace("}", ">")

        @wraps(handler)
        def view(**kwargs: Any) -> Any:
            ctx = auth.authenticate_request(scope) or auth.Context(None, None)
            for _name, value in kwargs.items():
                # Ids are 32-bit integers in the database: PostgreSQL refuses a larger one.
                if not 0 < value < 2**31:
                    raise ApiError(404, _("Nothing is found at this address."))
            ctx.query = _parse_query(query) if query else None
            ctx.body = _parse_body(body) if body else None
            try:
                result = handler(ctx, **kwargs)
            except DomainError as exc:
                get_session().rollback()
                field_name = getattr(exc, "field", None)
                errors = [{"location": "body", "field": field_name, "message": str(exc)}] if field_name else None
                refusals = ((NotAllowed, 403), (NotFound, 404), (Conflict, 409))
                status_code = next((code for kind, code in refusals if isinstance(exc, kind)), 422)
                raise ApiError(status_code, str(exc), errors) from None
            if isinstance(result, Response):
                return result
            payload, code = result if isinstance(result, tuple) else (result, status)
            return _json_response(payload, code, etag=not writes)

        view = limiter.limit(_read_limit, key_func=_token_key)(view)
        if writes:
            view = limiter.limit(_write_limit, key_func=_token_key)(view)
        csrf.exempt(view)  # bearer tokens only: a browser's cookies are never read here
        bp.add_url_rule(rule, handler.__name__, view, methods=[method])
        errors = WRITE_STATUSES if writes else READ_STATUSES
        OPERATIONS.append(
            Operation(
                method,
                path,
                handler.__name__,
                summary,
                tag,
                scope,
                query,
                body,
                response,
                status,
                errors if scope else (400, 404, 422, 429),
                not writes,
                headers or {},
                description or (handler.__doc__ or "").strip(),
            )
        )
        return view

    return decorator


# --- The OpenAPI document -------------------------------------------------------------------


def _parameters(op: Operation, schemas: dict) -> list[dict]:
    params = []
    for name in _path_names(op.path):
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            }
        )
    if op.query is not None:
        props = schemas[op.query.__name__].get("properties", {})
        required = set(schemas[op.query.__name__].get("required", []))
        for name, schema in props.items():
            description = schema.pop("description", "") if isinstance(schema, dict) else ""
            entry = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if description:
                entry["description"] = description
            params.append(entry)
    for name, spec in op.headers.items():
        params.append({"name": name, "in": "header", **spec})
    return params


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


def openapi_document(problem_model: type[BaseModel]) -> dict:
    """The OpenAPI 3.1 document of every registered operation."""
    models: set[type[BaseModel]] = {problem_model}
    for op in OPERATIONS:
        models |= {m for m in (op.query, op.body, op.response) if m is not None}
    ordered = sorted(models, key=lambda m: m.__name__)
    _keys, defs = models_json_schema([(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})
    problem_ref = {"$ref": f"#/components/schemas/{problem_model.__name__}"}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        ok = {"description": "OK" if op.status == 200 else "Created"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response.__name__}"}}}
        responses[str(op.status)] = ok
        if op.status == 201:
            responses["200"] = {**ok, "description": "Already created with this Idempotency-Key"}
        if op.etag:
            responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
        if op.query is not None:
            # gunicorn refuses a request line over 4,094 bytes itself, before the application.
            responses["414"] = {"description": "URI too long (refused by the web server)"}
        for code in op.errors:
            responses[str(code)] = {
                "description": STATUS_TITLES[code],
                "content": {PROBLEM_TYPE: {"schema": problem_ref}},
            }
        operation: dict[str, Any] = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": _parameters(op, schemas),
            "responses": responses,
        }
        if op.description:
            operation["description"] = op.description
        if op.scope is not None:
            operation["security"] = [{"bearer": [op.scope.value]}]
        else:
            operation["security"] = []
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}},
            }
        paths.setdefault(API_PREFIX + op.path, {})[op.method.lower()] = operation
    for op in OPERATIONS:  # query models are parameters, not schemas of their own
        if op.query is not None:
            schemas.pop(op.query.__name__, None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consult API",
            "version": "1.0.0",
            "description": (
                "Read the consultations, rounds, drafts, comments and dispositions you may see, and "
                "write, submit, withdraw and sign off comments through the same rules as the web pages. "
                "Authenticate with a personal access token from your account page: "
                "`Authorization: Bearer cst_...`. Errors are RFC 9457 problem details."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token; its scopes are read, comment and sign-off.",
                }
            },
        },
    }
