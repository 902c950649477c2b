"""Email: rendered from templates/email/<name>/, sent only after the transaction commits.

`queue_email()` renders the message now (inside the request, where URLs can be built) and
keeps it in the session's outbox; the outbox is sent when the session commits and dropped
when it rolls back, so no email announces a change that did not happen. In development the
messages are printed to the console instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import current_app, render_template
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.extensions import mail

log = logging.getLogger(__name__)
OUTBOX_KEY = "consult.outbox"


def render_email(name: str, to: str, **context: Any) -> Message:
    """Build the multipart message `name` for `to`."""
    subject = render_template(f"email/{name}/subject.txt", **context)
    # Header injection: a subject is one line, whatever the data put in it.
    subject = " ".join(subject.split())
    return Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{name}/body.txt", **context),
        html=render_template(f"email/{name}/body.html", **context),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )


def queue_email(session: Session, name: str, to: str, **context: Any) -> Message:
    """Render `name` for `to` and send it once `session` commits."""
    message = render_email(name, to, **context)
    session.info.setdefault(OUTBOX_KEY, []).append(message)
    return message


def deliver(messages: list[Message]) -> None:
    """Send now: to the console in development, over SMTP otherwise."""
    if not messages:
        return
    if current_app.config.get("MAIL_CONSOLE"):
        for message in messages:
            sys.stdout.write(f"\n----- email to {', '.join(message.recipients)} -----\n")
            sys.stdout.write(f"Subject: {message.subject}\n\n{message.body}\n")
            sys.stdout.write("----- end of email -----\n")
        sys.stdout.flush()
        return
    try:
        with mail.connect() as connection:
            for message in messages:
                connection.send(message)
    except OSError:
        # The change is committed; losing its email must not turn into a 500.
        log.exception("could not send %d email(s)", len(messages))


@event.listens_for(Session, "after_commit")
def _send_outbox(session: Session) -> None:
    messages = session.info.pop(OUTBOX_KEY, [])
    if messages:
        deliver(messages)


@event.listens_for(Session, "after_rollback")
def _drop_outbox(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)
