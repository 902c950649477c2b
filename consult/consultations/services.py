"""Consultations: create one and change its description, conference and publicity."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from consult import audit, policy
from consult.auth.models import User
from consult.consultations.models import Consultation
from consult.errors import Invalid
from consult.policy import Permission

MAX_TITLE = 200
MAX_SUMMARY = 10_000


def _clean(title: str, summary: str, conference_name: str, conference_place: str) -> tuple[str, str, str, str]:
    title, conference_name = title.strip(), conference_name.strip()
    summary, conference_place = summary.strip(), conference_place.strip()
    if not title:
        raise Invalid(_("Give the consultation a title."), "title")
    if len(title) > MAX_TITLE:
        raise Invalid(
            ngettext(
                "The title is longer than %(num)d character.", "The title is longer than %(num)d characters.", MAX_TITLE
            ),
            "title",
        )
    if not conference_name:
        raise Invalid(_("Name the conference the consultation leads to."), "conference_name")
    if len(conference_name) > MAX_TITLE:
        raise Invalid(
            ngettext(
                "The conference name is longer than %(num)d character.",
                "The conference name is longer than %(num)d characters.",
                MAX_TITLE,
            ),
            "conference_name",
        )
    if len(conference_place) > MAX_TITLE:
        raise Invalid(
            ngettext(
                "The place is longer than %(num)d character.", "The place is longer than %(num)d characters.", MAX_TITLE
            ),
            "conference_place",
        )
    if len(summary) > MAX_SUMMARY:
        raise Invalid(
            ngettext(
                "The summary is longer than %(num)d character.",
                "The summary is longer than %(num)d characters.",
                MAX_SUMMARY,
            ),
            "summary",
        )
    return title, summary, conference_name, conference_place


def create_consultation(
    session: Session,
    *,
    actor: User,
    title: str,
    summary: str = "",
    conference_name: str,
    conference_place: str = "",
    conference_date: date | None = None,
    is_public: bool = False,
) -> Consultation:
    """Start a consultation leading to a conference."""
    policy.require(actor, Permission.CONSULTATION_MANAGE)
    title, summary, conference_name, conference_place = _clean(title, summary, conference_name, conference_place)
    consultation = Consultation(
        title=title,
        summary=summary,
        conference_name=conference_name,
        conference_place=conference_place,
        conference_date=conference_date,
        is_public=is_public,
        created_by_id=actor.id,
    )
    session.add(consultation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="consultation.create",
        subject=consultation,
        summary=title,
        is_public=is_public,
    )
    return consultation


def update_consultation(
    session: Session,
    *,
    actor: User,
    consultation: Consultation,
    title: str,
    summary: str = "",
    conference_name: str,
    conference_place: str = "",
    conference_date: date | None = None,
    is_public: bool = False,
) -> list[str]:
    """Change a consultation's description, conference or publicity; the names of changed fields."""
    policy.require(actor, Permission.CONSULTATION_MANAGE)
    title, summary, conference_name, conference_place = _clean(title, summary, conference_name, conference_place)
    wanted = {
        "title": title,
        "summary": summary,
        "conference_name": conference_name,
        "conference_place": conference_place,
        "conference_date": conference_date,
        "is_public": is_public,
    }
    changed = [name for name, value in wanted.items() if getattr(consultation, name) != value]
    if not changed:
        return []
    before = {name: _plain(getattr(consultation, name)) for name in changed}
    for name in changed:
        setattr(consultation, name, wanted[name])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="consultation.update",
        subject=consultation,
        summary=title,
        changed=changed,
        before=before,
    )
    return changed


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
