"""Benchmark: an organiser digest to 10,000 recipients through a local SMTP sink.

Builds the outbox rows (`send_digest`) and sends them (`delivery.deliver`: per-recipient
rendering with the visibility filter, one SMTP connection, one row update per message), then
sends the very same messages again with bare smtplib over one connection. Prints JSON lines:
digest_10k_seconds, digest_10k_peak_mb, raw_smtp_seconds, digest_vs_raw_smtp (goal >= 0.8, P9).

    python bench/digest.py [--recipients 10000] [--languages ar,zh,en,fr,ru,es] [--database-url ...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import smtplib
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _sink(port: int, ready, count, spool: str) -> None:
    """An SMTP server on loopback that keeps every message it accepts (in both phases alike)."""
    from aiosmtpd.controller import Controller

    out = open(spool, "ab")  # noqa: SIM115 (open for the life of the process)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            rcpt = envelope.rcpt_tos[0].encode()
            out.write(struct.pack("!II", len(rcpt), len(envelope.content)) + rcpt + envelope.content)
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _emit(name: str, value: float, unit: str, **extra) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, **extra}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=40)
    parser.add_argument("--database-url", default="")
    # Recipients spread over the six languages (each message rendered in its recipient's).
    parser.add_argument("--languages", default="en", help="comma-separated, e.g. ar,zh,en,fr,ru,es")
    args = parser.parse_args()
    languages = args.languages.split(",")

    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="consult-bench-")
    spool = f"{workdir}/spool.bin"
    ready, count = multiprocessing.Event(), multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_sink, args=(port, ready, count, spool), daemon=True)
    sink.start()
    ready.wait(10)

    from sqlalchemy import insert, select

    from config import TestingConfig
    from consult import create_app
    from consult.auth.models import Organisation, Role, User
    from consult.db import get_session
    from consult.digests import services
    from consult.digests.models import DigestFrequency, EmailPreference
    from consult.mail import QUEUED_IDS
    from consult.mail.sender import deliver
    from consult.rounds.models import Phase, Preset
    from tests.factories import make_comment, make_consultation, make_people, make_round

    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    if url.startswith("postgresql"):
        from tests.conftest import _reset_schema

        _reset_schema(url)
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(DATABASE_URL=url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, SERVER_NAME="consult.test")
    app = create_app(config)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0

    with app.test_request_context():
        session = get_session()
        from consult.demo import ensure_groups

        ensure_groups(session)
        people = make_people(session)
        consultation = make_consultation(session)
        round_ = make_round(session, Phase.PUBLISHED, Preset.GROUP_DIALOGUE, consultation=consultation, clauses=10)
        open_round = make_round(session, Phase.OPEN, Preset.GROUP_DIALOGUE, consultation=consultation)
        authors = [people[f"participant:{g}"] for g in ("governments", "industry", "civil-society", "igo")]
        for i in range(args.comments):
            target = round_ if i % 2 else open_round
            make_comment(session, target, authors[i % 4], clause_key=f"k{1 + i % 3}", body=f"Position {i} " * 20)
        orgs = list(session.scalars(select(Organisation)))
        users = [
            {
                "email": f"r{i}@example.org",
                "display_name": f"Recipient {i}",
                "role": Role.PARTICIPANT,
                "organisation_id": orgs[i % len(orgs)].id,
                "password_hash": "x",
                "timezone": "UTC",
                "locale": languages[i % len(languages)],
                "is_active_flag": True,
                "session_version": 1,
            }
            for i in range(args.recipients - len(people.by_name))
        ]
        session.execute(insert(User), users)
        session.commit()
        # Everyone but the digest's recipients is left alone: no personal digests in the run.
        for user_id in session.scalars(select(User.id)):
            session.add(EmailPreference(user_id=user_id, digest_frequency=DigestFrequency.NONE))
        session.commit()
        organiser = people["organiser"]

        started = time.perf_counter()
        services.send_digest(session, actor=organiser, consultation=consultation, intro="Hello **all**")
        session.info.pop(QUEUED_IDS, None)
        session.commit()
        report = deliver(app)
        digest_seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sent = report.sent
    deadline = time.monotonic() + 30
    while count.value < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent == count.value == args.recipients, (sent, count.value, report)

    # The very same messages, bare: the bytes the sink received, over one smtplib connection.
    payloads = []
    with open(spool, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        rcpt_len, content_len = struct.unpack_from("!II", data, offset)
        offset += 8
        rcpt = data[offset : offset + rcpt_len].decode()
        offset += rcpt_len
        payloads.append((rcpt, data[offset : offset + content_len]))
        offset += content_len
    del data
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, data in payloads:
            smtp.sendmail("noreply@consult.localhost", [to], data)
    raw_seconds = time.perf_counter() - started
    sink.terminate()
    if url.startswith("postgresql"):
        app.extensions["consult.db"].engine.dispose()

    backend = url.split(":", 1)[0]
    _emit("digest_10k_seconds", digest_seconds, "s", messages=sent, backend=backend, skipped=report.skipped)
    _emit("digest_10k_peak_mb", peak_mb, "MB", backend=backend)
    _emit("raw_smtp_seconds", raw_seconds, "s", messages=len(payloads))
    ratio = (sent / digest_seconds) / (len(payloads) / raw_seconds)
    _emit(
        "digest_vs_raw_smtp",
        ratio,
        "ratio",
        goal=">= 0.8",
        digest_rate=round(sent / digest_seconds, 1),
        raw_rate=round(len(payloads) / raw_seconds, 1),
    )


if __name__ == "__main__":
    main()
