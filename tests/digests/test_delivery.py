"""Delivery: headers and the unsubscribe link, SMTP down and back, a crashed sender, RQ."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from config import BASE_DIR
from consult.auth.models import Role
from consult.consultations.models import Consultation
from consult.db import utcnow
from consult.digests import preferences, services
from consult.digests.models import DigestFrequency, EmailPreference
from consult.mail import QUEUED_IDS
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.sender import deliver
from consult.rounds.models import Phase, Preset
from tests.digests.helpers import html_of, text_of
from tests.factories import make_comment, make_consultation, make_round, make_user
from tests.support.clients import post
from tests.support.state import fresh

REDIS_URL = "redis://127.0.0.1:6379/14"


def _organiser_digest(session, people, intro="Welcome to the round", consultation=None):
    consultation = consultation or make_consultation(session)
    round_ = make_round(session, Phase.PUBLISHED, Preset.GROUP_DIALOGUE, consultation=consultation)
    make_comment(session, round_, people["participant:governments"], body="published position")
    session.commit()  # written in a request of its own, as on the site
    digest = services.send_digest(session, actor=people["organiser"], consultation=consultation, intro=intro)
    return digest


def test_digest_has_one_click_unsubscribe_headers_and_link(app, session, people, smtp, client):
    reader = people["participant:industry"]
    digest = _organiser_digest(session, people)
    session.commit()  # sent after commit, inline
    (message,) = smtp.to(reader.email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://consult\.test/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert url in text_of(message) and url in html_of(message)
    assert message.is_multipart() and "Welcome to the round" in html_of(message)
    assert "published position" in text_of(message)

    path = url.removeprefix("http://consult.test")
    page = client.get(path)  # a mail scanner following the link unsubscribes nobody
    assert page.status_code == 200 and b"Unsubscribe" in page.data
    fresh(session)
    assert session.get(EmailPreference, reader.id) is None or session.get(EmailPreference, reader.id).organiser_digest

    response = client.post(path)  # RFC 8058: no session, no CSRF token
    assert response.status_code == 200
    fresh(session)
    assert session.get(EmailPreference, reader.id).organiser_digest is False
    smtp.clear()
    consultation = session.get(Consultation, digest.consultation_id)
    services.send_digest(session, actor=people["organiser"], consultation=consultation, intro="again")
    session.commit()
    assert smtp.to(reader.email) == [] and smtp.to(people["participant:governments"].email)


def test_a_token_for_another_purpose_or_tampered_is_refused(app, client, people):
    from consult import tokens

    with app.test_request_context():
        reset_token = tokens.sign("password_reset", {"u": people["moderator"].id, "n": "digest"})
    assert client.get(f"/unsubscribe/{reset_token}").status_code == 404
    assert client.post(f"/unsubscribe/{reset_token}x").status_code == 404


def test_preferences_page_saves_switches(app, session, people, client, login_as, smtp):
    author = people["participant:governments"]
    login_as(client, author)
    assert client.get("/account/email").status_code == 200
    response = post(client, "/account/email", {"digest_frequency": "daily", "round_opened": "y"})
    assert response.status_code == 302
    fresh(session)
    pref = session.get(EmailPreference, author.id)
    assert pref.digest_frequency is DigestFrequency.DAILY and pref.round_opened and not pref.comment_decided


def test_header_injection_from_names_and_titles(app, session, people, smtp):
    consultation = make_consultation(session, title="Norms\r\nBcc: victim@example.net")
    people["participant:igo"].display_name = "Eve\r\nBcc: victim@example.net"
    _organiser_digest(session, people, consultation=consultation)
    session.commit()
    assert smtp.messages
    assert smtp.to("victim@example.net") == []
    for message in smtp.messages:
        assert message["Bcc"] is None
        assert "\n" not in message["Subject"]


def test_smtp_down_keeps_messages_pending_then_sends_with_backoff(app, session, people, smtp):
    state = app.extensions["mail"]  # Flask-Mail reads the settings once, at init
    port, state.port = state.port, _closed_port()
    digest = _organiser_digest(session, people)
    session.commit()  # the inline send fails: the request still succeeds
    fresh(session)
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.digest_id == digest.id)))
    assert rows and smtp.messages == []
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    assert all(r.last_error and r.attempts == 1 for r in rows)
    first_retry = rows[0].next_attempt_at
    assert first_retry >= utcnow() + timedelta(seconds=50)

    assert deliver(app).sent == 0  # not due yet: backoff
    deliver(app, now=first_retry + timedelta(seconds=1))  # still down: the wait doubles
    fresh(session)
    row = session.get(OutboxMessage, rows[0].id)
    assert row.attempts == 2 and row.next_attempt_at - first_retry >= timedelta(seconds=110)

    state.port = port  # the server is back
    report = deliver(app, now=utcnow() + timedelta(hours=1))
    assert report.sent == len(smtp.messages) == len({m["X-Envelope-To"] for m in smtp.messages}) > 0
    fresh(session)
    assert {r.status for r in session.scalars(select(OutboxMessage))} <= {OutboxStatus.SENT, OutboxStatus.SKIPPED}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_sender_killed_half_way_and_rerun_reaches_everyone(app, session, people, smtp, database_url):
    crowd = [
        make_user(session, Role.PARTICIPANT, people.organisations["civil-society"], email=f"crowd{i}@example.org")
        for i in range(300)
    ]
    for user in list(people.by_name.values()) + crowd:  # only the organiser digest in this run
        preferences.preference_for(session, user).digest_frequency = DigestFrequency.NONE
    _organiser_digest(session, people)
    session.info.pop(QUEUED_IDS, None)  # left to the command below
    session.commit()
    fresh(session)
    expected = set(session.scalars(select(OutboxMessage.to_address)))
    assert len(expected) > 300
    env = {
        **os.environ,
        "CONSULT_ENV": "testing",
        "CONSULT_TEST_DATABASE_URL": database_url,
        "CONSULT_MAIL_SERVER": "127.0.0.1",
        "CONSULT_MAIL_PORT": str(app.config["MAIL_PORT"]),
        "CONSULT_DIGEST_HOUR": "24",  # no personal digest is due in these runs
        "CONSULT_REDIS_URL": "",
        "REDIS_URL": "",
    }
    command = [str(Path(sys.executable).parent / "flask"), "--app", "consult", "digests", "send"]
    sender = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(smtp.messages) < 100 and time.monotonic() < deadline and sender.poll() is None:
        time.sleep(0.005)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    killed_at = len(smtp.messages)
    assert 100 <= killed_at < len(expected), "the sender finished before it could be killed"

    rerun = subprocess.run([*command, "--reclaim-after", "0"], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr

    received = Counter(m["X-Envelope-To"] for m in smtp.messages)
    assert set(received) == expected  # everyone served
    assert sum(received.values()) - len(expected) <= 1  # at most one duplicate for the one crash


def test_with_redis_the_send_button_enqueues_and_a_worker_sends(app, session, people, smtp, login_as, client):
    from redis import Redis
    from rq import Queue, SimpleWorker

    app.config.update(REDIS_URL=REDIS_URL, MAIL_QUEUE=f"test-mail-{uuid.uuid4().hex}")
    redis = Redis.from_url(REDIS_URL)
    queue = Queue(app.config["MAIL_QUEUE"], connection=redis)
    try:
        consultation = make_consultation(session)
        round_ = make_round(session, Phase.PUBLISHED, consultation=consultation)
        make_comment(session, round_, people["participant:governments"], body="published position")
        session.commit()
        login_as(client, people["organiser"])
        response = post(client, f"/consultations/{consultation.id}/digests/new", {"intro": "By worker", "step": "send"})
        assert response.status_code == 302
        assert smtp.messages == [] and queue.count == 1  # nothing sent in the request

        with app.app_context():
            SimpleWorker([queue], connection=redis).work(burst=True)
        assert len(smtp.messages) == len(people.by_name)
        assert all("By worker" in text_of(m) for m in smtp.messages)
        progress = client.get(response.headers["Location"])
        n = len(people.by_name)
        assert f'<progress id="digest-progress" value="{n}" max="{n}"'.encode() in progress.data
    finally:
        queue.delete(delete_jobs=True)


def _crowd_digest(session, people, size):
    crowd = [
        make_user(session, Role.PARTICIPANT, people.organisations["industry"], email=f"reader{i}@example.org")
        for i in range(size)
    ]
    digest = _organiser_digest(session, people)
    session.info.pop(QUEUED_IDS, None)  # sent by the test
    session.commit()
    return digest, crowd


def test_each_message_is_recorded_before_the_next_one_is_delivered(app, session, people, smtp, database_url):
    """The pipeline sends message k+1's envelope while k is recorded, but its content only after
    k's row is committed: at any moment at most one accepted message is unrecorded."""
    from sqlalchemy import create_engine, func

    digest, _crowd = _crowd_digest(session, people, 40)
    engine = create_engine(database_url)
    seen: list[tuple[int, int]] = []  # (messages the server had accepted, rows recorded sent)

    def check(_envelope):
        with engine.connect() as conn:
            recorded = conn.scalar(
                select(func.count()).where(
                    OutboxMessage.digest_id == digest.id, OutboxMessage.status == OutboxStatus.SENT
                )
            )
        seen.append((len(smtp.messages), recorded))

    smtp.on_data = check
    try:
        report = deliver(app)
    finally:
        engine.dispose()
    assert report.sent == len(smtp.messages) > 40
    assert all(recorded >= accepted for accepted, recorded in seen), seen


def test_a_refused_recipient_fails_alone_and_the_rest_are_sent_once(app, session, people, smtp):
    _digest, crowd = _crowd_digest(session, people, 10)
    refused = crowd[4].email
    smtp.refused = {refused}
    report = deliver(app)
    received = Counter(m["X-Envelope-To"] for m in smtp.messages)
    fresh(session)
    rows = {r.to_address: r for r in session.scalars(select(OutboxMessage))}
    assert refused not in received and max(received.values()) == 1
    assert set(received) == set(rows) - {refused}
    assert rows[refused].status is OutboxStatus.PENDING and "550" in rows[refused].last_error
    assert report.sent == len(received) and report.retried == 1
