"""The briefing PDF as a job: its progress page, its owner, what it holds, its parts, and the
RQ path."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from consult.db import utcnow
from consult.exports import briefing, briefing_pdf, jobs
from consult.exports.models import BriefingJob, JobStatus
from consult.rounds.models import Phase, Preset
from tests.factories import make_comment, make_round
from tests.support.clients import csrf_token, sign_in
from tests.support.state import fresh

REDIS_URL = "redis://127.0.0.1:6379/12"


def start(client, round_id: int):
    return client.post(f"/rounds/{round_id}/briefing.pdf", data={"csrf_token": csrf_token(client)})


def job_of(session, url: str) -> BriefingJob:
    return fresh(session).get(BriefingJob, int(url.rsplit("/", 1)[1]))


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_job_reports_progress_then_offers_its_file(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    make_comment(session, round_, people["participant:industry"], "k1", body="An industry position")
    job, created = jobs.start_briefing(session, actor=people["participant:industry"], round_=round_)
    session.commit()
    assert created
    client = sign_in(app, login_as, session, people, "participant:industry")
    waiting = client.get(f"/briefing-jobs/{job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in waiting  # reloads itself without a script
    assert '<progress id="job-progress" value="0" max="100" aria-labelledby="job-progress-label">' in waiting
    assert "Waiting for its turn" in waiting and "Reload now" in waiting
    assert client.get(f"/briefing-jobs/{job.id}/briefing.pdf").status_code == 404  # not ready yet
    # A second request for the same briefing while it waits: the same job.
    assert jobs.start_briefing(session, actor=people["participant:industry"], round_=round_) == (job, False)
    session.rollback()

    assert jobs.run(app, job.id) == "done"
    assert jobs.run(app, job.id) == "skipped"  # claimed once: a job handed to two workers runs once
    done = job_of(session, f"/briefing-jobs/{job.id}")
    assert (done.status, done.progress, done.stage, done.size) == (JobStatus.DONE, 100, "done", len(done.pdf))
    page = client.get(f"/briefing-jobs/{job.id}").get_data(as_text=True)
    assert "http-equiv" not in page and "Ready." in page
    download = client.get(f"/briefing-jobs/{job.id}/briefing.pdf")
    assert download.mimetype == "application/pdf" and download.headers["Cache-Control"] == "private, no-store"
    assert "An industry position" in " ".join(pdf_text(download.get_data()))


def test_only_the_person_who_asked_or_staff_reads_a_job(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    session.commit()
    owner = sign_in(app, login_as, session, people, "participant:industry")
    location = start(owner, round_.id).headers["Location"]
    assert owner.get(location).status_code == 200
    for viewer, status in (("participant:governments", 404), ("focal_point", 404), ("admin", 404),
                           ("moderator", 200), ("organiser", 200), ("anonymous", 404)):  # fmt: skip
        client = sign_in(app, login_as, session, people, viewer)
        assert client.get(location).status_code == status, viewer
        assert client.get(location + "/briefing.pdf").status_code == status, viewer


def test_the_pdf_holds_what_the_person_who_asked_may_see(app, session, people, login_as):
    """A sealed round, still open: the industry participant sees their own group's comments only."""
    round_ = make_round(session, Phase.OPEN, preset=Preset.SEALED)
    make_comment(session, round_, people["participant:industry"], "k1", body="Our own position")
    make_comment(session, round_, people["participant:governments"], "k1", body="A sealed government position")
    session.commit()
    for viewer, sees_government in (("participant:industry", False), ("organiser", True)):
        client = sign_in(app, login_as, session, people, viewer)
        location = start(client, round_.id).headers["Location"]
        text = " ".join(pdf_text(client.get(location + "/briefing.pdf").get_data()))
        assert "Our own position" in text
        assert ("A sealed government position" in text) is sees_government, viewer


def test_a_job_its_worker_left_says_so_and_offers_to_start_again(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    job, _created = jobs.start_briefing(session, actor=people["participant:industry"], round_=round_)
    session.execute(
        update(BriefingJob).where(BriefingJob.id == job.id).values(created_at=utcnow() - timedelta(hours=2))
    )
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:industry")
    page = client.get(f"/briefing-jobs/{job.id}").get_data(as_text=True)
    assert "The PDF was not made." in page and "http-equiv" not in page
    assert f'href="/rounds/{round_.id}/briefing.pdf">Ask for it again' in page
    # Asking again starts a new job (the old one is not "unfinished" any more).
    location = start(client, round_.id).headers["Location"]
    assert job_of(session, location).id != job.id and job_of(session, location).status is JobStatus.DONE


def test_a_round_the_person_may_no_longer_see_fails_the_job(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED)
    job, _created = jobs.start_briefing(session, actor=people["participant:industry"], round_=round_)
    round_.status = type(round_.status)("draft")  # back to preparation: participants no longer see it
    session.commit()
    assert jobs.run(app, job.id) == "failed"
    failed = fresh(session).get(BriefingJob, job.id)
    assert failed.status is JobStatus.FAILED and "no longer available" in failed.error and failed.pdf is None


def test_a_long_clause_is_rendered_in_parts_with_pages_numbered_throughout(app, session, people, login_as):
    round_ = make_round(session, Phase.CLOSED, clauses=2)
    for n in range(40):
        make_comment(session, round_, people["participant:industry"], "k1", body=f"Position {n} " + "words " * 60)
    session.commit()
    brief = briefing.round_brief(session, round_, people["organiser"], utcnow())
    parts = briefing_pdf.plan([brief], size=15)
    assert [p.kind for p in parts] == ["head", "sections", "sections", "sections"]
    assert [[(s.index, s.continued, s.clause.total) for s in p.sections] for p in parts[1:]] == [
        [(1, False, 15)],
        [(1, True, 15)],
        [(1, True, 10), (2, False, 0)],
    ]
    client = sign_in(app, login_as, session, people, "organiser")
    location = start(client, round_.id).headers["Location"]
    pages = pdf_text(client.get(location + "/briefing.pdf").get_data())
    assert "Summary by clause" in pages[0]  # the summary first
    numbers = [re.findall(r"\d+", page.strip().splitlines()[-1])[-1] for page in pages]
    assert numbers == [str(n) for n in range(1, len(pages) + 1)]  # across the parts


def _redis_up() -> bool:
    from redis import Redis, RedisError

    try:
        return bool(Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_the_request_enqueues_and_a_worker_makes_the_pdf(app, session, people, login_as):
    from redis import Redis
    from rq import Queue, SimpleWorker

    app.config.update(REDIS_URL=REDIS_URL, BRIEFING_QUEUE=f"test-briefings-{uuid.uuid4().hex}")
    redis = Redis.from_url(REDIS_URL)
    queue = Queue(app.config["BRIEFING_QUEUE"], connection=redis)
    try:
        round_ = make_round(session, Phase.CLOSED)
        make_comment(session, round_, people["participant:industry"], "k1", body="Made by a worker")
        session.commit()
        client = sign_in(app, login_as, session, people, "participant:industry")
        location = start(client, round_.id).headers["Location"]
        assert job_of(session, location).status is JobStatus.QUEUED and queue.count == 1  # nothing made in the request
        assert "http-equiv" in client.get(location).get_data(as_text=True)
        with app.app_context():
            SimpleWorker([queue], connection=redis).work(burst=True)
        assert job_of(session, location).status is JobStatus.DONE
        assert "Made by a worker" in " ".join(pdf_text(client.get(location + "/briefing.pdf").get_data()))
    finally:
        queue.delete(delete_jobs=True)
