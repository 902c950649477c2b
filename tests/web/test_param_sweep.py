"""S8: a malformed-parameter sweep over every URL rule. Wrong types, huge numbers, unknown ids,
odd strings in the path; junk in the query parameters the pages read; junk form bodies: as
an anonymous visitor, a participant and an organiser, every answer is a 2xx/3xx or a 4xx the
site means (400, 403, 404, 405, 409), never a 500.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from werkzeug.routing import IntegerConverter

from tests.support.clients import csrf_token, sign_in
from tests.support.world import build_world

# 401 and 422: the API's answers without a valid token and to a body or query it cannot accept.
ALLOWED_STATUSES = {200, 201, 302, 400, 401, 403, 404, 405, 409, 422}
VIEWERS = ("anonymous", "participant:civil-society", "organiser")

BAD_INTS = ("0", "-1", str(2**63), str(10**30), "abc", "1.5", "99999999")
BAD_STRINGS = ("%00", "x" * 5000, quote("ünïcødé‮\u200b😀"), "..%2F..%2Fetc%2Fpasswd", "%25%5F%5C", "a.b.c")
# The query parameters pages read (keyset pagination, filters, search, `next=`).
QUERY_PARAMS = (
    *("page", "size", "after", "clause", "type", "group", "status", "show", "q", "role", "action", "actor"),
    *("consultation", "cursor", "kind", "limit", "mb", "order", "organisation", "round", "sort"),
)
BAD_QUERY_VALUES = (
    "-1",
    "0",
    str(10**30),
    "abc",
    "1.5",
    "%00",
    "x" * 3000,
    "ünïcødé‮",
    "2026-13-45T99:99:99|-5",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
)
# Every form field name of the site, each given the same junk value in one body.
FORM_FIELDS = (
    "accept answer_clause attribution body clause clauses closes_at conference_date conference_name "
    "conference_place confirm country current description display_name email group heading is_public key kind "
    "name next nonce note number observation opens_at organisation password position premoderation preset "
    "proposed_change reason refuse remember remove requires_signoff resolution results_public role save_draft "
    "sheet slug submit summary title type version new_password comment_ids status mb_code reference line_number "
    "paragraph duplicate_of back code credential passwordless remember_browser reset_reason move insert timezone-search"
).split()
BAD_FORM_VALUES = ("-1", str(10**30), "abc", "", "ünïcødé‮" * 50, "x" * 20000, "2026-02-30T25:61")

# PDFs take WeasyPrint a second or more each, and read no query parameter: swept lightly.
RENDERED_SLOWLY = {"exports.round_briefing_pdf", "exports.consultation_briefing_pdf"}

ARGUMENT_RE = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _path(rule, values: dict[str, str]) -> str:
    """The rule's path with raw (unconverted, possibly malformed) argument values."""
    return ARGUMENT_RE.sub(lambda m: values[m.group(1)], rule.rule)


def _rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (r.rule, sorted(r.methods))
    )


def _good_args(world) -> dict[str, str]:
    return {name: str(value) for name, value in world.url_args().items()} | {"filename": "css/consult.css"}


def _check(response, what: str, failures: list[str]) -> None:
    if response.status_code not in ALLOWED_STATUSES:
        failures.append(f"{what} -> {response.status_code}")


@pytest.fixture
def sweep(app, session, people, login_as):
    app.config["RATELIMIT_ENABLED"] = False  # the limit would answer 429 before the handler sees the junk
    from consult.extensions import limiter

    limiter.enabled = False
    world = build_world(session, people)
    # Each signed-in viewer also holds an API token with every scope their role may have: the
    # operations under /api/v1/ then see the junk too (a cookie alone gets a 401 there).
    from consult.api import services as api_services

    tokens = {}
    for viewer in VIEWERS[1:]:
        user = people[viewer]
        scopes = [s.value for s in api_services.offered_scopes(user)]
        tokens[viewer] = api_services.create_token(session, actor=user, name="sweep", scopes=scopes, days=1).secret
    session.commit()

    def client_for(viewer):
        client = sign_in(app, login_as, session, people, viewer)
        if viewer in tokens:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens[viewer]}"
        return client

    yield world, client_for
    limiter.enabled = True


@pytest.mark.parametrize("viewer", VIEWERS)
def test_malformed_path_arguments(app, sweep, viewer):
    world, client_for = sweep
    good = _good_args(world)
    failures: list[str] = []
    count = 0
    for rule in _rules(app):
        for name, converter in rule._converters.items():
            bad_values = BAD_INTS if isinstance(converter, IntegerConverter) else BAD_STRINGS
            for bad in bad_values:
                path = _path(rule, {**good, name: bad})
                client = client_for(viewer)
                for method in sorted(rule.methods & {"GET", "POST", "PATCH"}):
                    data = {"csrf_token": csrf_token(client)} if method != "GET" else None
                    _check(client.open(path, method=method, data=data), f"{method} {path[:100]}", failures)
                    count += 1
    assert count > 400, count
    assert not failures, f"as {viewer}:\n" + "\n".join(failures)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_malformed_query_parameters(app, sweep, viewer):
    world, client_for = sweep
    good = _good_args(world)
    failures: list[str] = []
    client = client_for(viewer)
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in {"auth.logout"}:
            continue
        path = _path(rule, good)
        for bad in BAD_QUERY_VALUES if rule.endpoint not in RENDERED_SLOWLY else BAD_QUERY_VALUES[:1]:
            # Every parameter at once: a page reads the ones it knows and ignores the others.
            every = urlencode(dict.fromkeys(QUERY_PARAMS, bad))
            _check(client.get(f"{path}?{every}"), f"GET {path}?<all>={bad[:30]}", failures)
    assert not failures, f"as {viewer}:\n" + "\n".join(failures)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_junk_form_bodies(app, sweep, viewer):
    world, client_for = sweep
    good = _good_args(world)
    failures: list[str] = []
    for rule in _rules(app):
        method = next((m for m in ("POST", "PATCH") if m in rule.methods), None)
        if method is None:
            continue
        path = _path(rule, good)
        for bad in BAD_FORM_VALUES:
            client = client_for(viewer)  # a fresh sign-in: a junk POST may have signed the last one out
            body = {**dict.fromkeys(FORM_FIELDS, bad), "csrf_token": csrf_token(client)}
            _check(client.open(path, method=method, data=body), f"{method} {path} fields={bad[:30]!r}", failures)
            if path.startswith("/api/"):  # the same junk as a JSON body, and JSON of the wrong shapes
                for junk in (dict.fromkeys(FORM_FIELDS, bad), [bad], bad, {"body": {"x": bad}, "kind": [bad]}):
                    _check(
                        client.open(path, method=method, json=junk), f"{method} {path} json={str(junk)[:30]}", failures
                    )
        # Repeated fields, and a body that is not a form at all.
        client = client_for(viewer)
        token = csrf_token(client)
        repeated = [(name, value) for name in FORM_FIELDS for value in ("1", "abc")] + [("csrf_token", token)]
        _check(
            client.open(
                path, method=method, data=urlencode(repeated), content_type="application/x-www-form-urlencoded"
            ),
            f"{method} {path} repeated",
            failures,
        )
        _check(
            client.open(
                path,
                method=method,
                data=b"\xff\xfe{not json",
                content_type="application/json",
                headers={"X-CSRFToken": token},
            ),
            f"{method} {path} bytes",
            failures,
        )
    assert not failures, f"as {viewer}:\n" + "\n".join(failures)
