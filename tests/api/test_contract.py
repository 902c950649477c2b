"""The API's contract, tested from outside: schemathesis reads /api/v1/openapi.json from a live
gunicorn on 127.0.0.1 and sends generated requests (valid and invalid) to every operation, as
a participant's token and as an organiser's, on the access matrix's world. No answer may be a
5xx, and every answer must match the document: its status, content type, headers and schema.

Bounded: a few examples per operation, a time budget, a timeout per request.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from consult.api import services
from tests.load.server import gunicorn
from tests.support.world import build_world

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
)


@pytest.mark.parametrize("viewer", ["participant:governments", "organiser"])
def test_schemathesis_finds_no_5xx_and_no_schema_mismatch(database_url, app, session, people, viewer, tmp_path):
    build_world(session, people)
    user = people[viewer]
    scopes = [s.value for s in services.offered_scopes(user)]
    secret = services.create_token(session, actor=user, name="contract", scopes=scopes, days=1).secret
    session.commit()
    session.close()
    log = tmp_path / "gunicorn.log"
    extra = {
        "CONSULT_SECRET_KEY": app.config["SECRET_KEY"],  # the key the token's digest was made with
        "CONSULT_API_RATE_LIMIT": "100000 per minute",
        "CONSULT_API_WRITE_RATE_LIMIT": "100000 per minute",
    }
    # No request-line limit in gunicorn here: over-long generated queries reach the application,
    # which must refuse them itself (gunicorn's own 414 is documented but is not the API's answer).
    with gunicorn(database_url, workers=2, log=log, options=("--limit-request-line", "0"), **extra) as base:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {secret}",
                "--checks",
                CHECKS,
                "--max-examples",
                "15",
                "--request-timeout",
                "20",
                "--seed",
                "16",
                # One worker: with two threads, hypothesis describing a lambda (ast.parse) can
                # trip CPython 3.11's unsynchronised AST recursion counter ("AST constructor
                # recursion depth mismatch", a SystemError inside the tool, not an API fault).
                "--workers",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--no-color",
                "--generation-database",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=400,
        )
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    output = result.stdout[-8000:] + result.stderr[-2000:]
    assert result.returncode == 0, output + "\n--- server log ---\n" + log.read_text()[-4000:]
