"""What a person is told about their account's security: an email now, and `account_event`
(`consult.signals`) for the rooms that tell people in other ways (the notification centre).

`account_event` is sent with the person and what happened (`kind`: new_sign_in, factor_added,
factor_removed, second_factor_reset) after the email is queued in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from consult.auth.models import User
from consult.mail import queue_email
from consult.signals import account_event


def _tell(session: Session, user: User, kind: str, **context: Any) -> None:
    queue_email(
        session,
        kind,
        user.email,
        locale=user.locale,
        user=user,
        account_url=url_for("auth.account", _external=True),
        **context,
    )
    account_event.send(user, session=session, kind=kind, **context)


def new_sign_in(session: Session, user: User, *, device: str, network: str, when: Any) -> None:
    """Someone signed in to `user`'s account from a browser it had not been used in before."""
    _tell(session, user, "new_sign_in", device=device, network=network, when=when)


def factor_changed(session: Session, user: User, *, added: bool, what: str) -> None:
    """A second factor was added to or removed from `user`'s account."""
    _tell(session, user, "factor_added" if added else "factor_removed", what=what)


def second_factor_reset(session: Session, user: User, *, actor: User) -> None:
    """An administrator removed every second factor of `user`."""
    _tell(session, user, "second_factor_reset", actor=actor)
