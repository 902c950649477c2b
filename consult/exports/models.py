"""Briefing jobs: a PDF made in the background for the person who asked, with its progress.

The finished file is kept in the row itself (`pdf`, loaded only for the download): the web
tier is stateless and RQ workers may run on other hosts, so a file under one host's
`instance/` would not be found by the next request. Old jobs are deleted when their owner
starts a new one (`consult.exports.jobs.start_briefing`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from consult.db import Base, enum_column, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BriefingJob(Base):
    """One briefing PDF asked for by one person: of a round, or of a whole consultation."""

    __tablename__ = "briefing_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    # The language and timezone of the page it was asked from: the worker renders in them.
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    stage: Mapped[str] = mapped_column(String(40), default="")  # a key of jobs.STAGE_LABELS
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    filename: Mapped[str] = mapped_column(String(120), default="briefing.pdf")
    size: Mapped[int] = mapped_column(Integer, default=0)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def is_done(self) -> bool:
        return self.status is JobStatus.DONE

    @property
    def has_failed(self) -> bool:
        return self.status is JobStatus.FAILED


class PendingImport(Base):
    """A comment table sent again to a round where its sender had imported one: kept until they
    confirm the changes it makes (`exports.participant.plan_import`), then deleted. The file is in
    the row (the confirming request may reach another host). Old ones go when their owner sends
    the next, and anyone's after a week (`exports.participant.receive_table`)."""

    __tablename__ = "pending_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
