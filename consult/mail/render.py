"""Rendering: email templates, the recipient's language and timezone, and the renderers rooms
register.

The mail wing knows no domain. A room that queues notifications or digests registers, at its
`init_app`, a renderer per template name: `render(session, row, run) -> Rendered | None`
(None: nothing to send to this person now, the row is skipped). It may also register a batch
hook, called with each batch's rows before they are rendered (to read shared work once, or to
preload the batch's recipients). `run.state` keeps whatever a room wants to reuse across the
run's batches (its caches), under the room's own key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import flask_babel
from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from consult.mail.models import OutboxMessage
from consult.mail.smtp import one_line


@dataclass
class Rendered:
    """A message ready for the wire."""

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    """One delivery run: what renderers keep across its batches (`state`, per room)."""

    state: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Session, OutboxMessage, Run], Rendered | None]
BatchHook = Callable[[Session, list[OutboxMessage], Run], None]


@dataclass
class Registry:
    """The renderers and batch hooks of one app (`app.extensions["consult.mail"]`)."""

    renderers: dict[str, Renderer] = field(default_factory=dict)
    batch_hooks: list[BatchHook] = field(default_factory=list)


def registry(app: Flask | None = None) -> Registry:
    return (app or current_app).extensions["consult.mail"]


def register_renderer(app: Flask, template: str, render: Renderer) -> None:
    """Render outbox rows of `template` with `render` when they are sent."""
    registry(app).renderers[template] = render


def register_batch_hook(app: Flask, hook: BatchHook) -> None:
    """Call `hook(session, rows, run)` before each batch of rows is rendered."""
    if hook not in registry(app).batch_hooks:
        registry(app).batch_hooks.append(hook)


def render_parts(name: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of the email `name`."""
    # The Jinja environment directly: Flask's context processors add nothing an email uses
    # (emails never show the signed-in user), and they cost more than the small templates.
    env = current_app.jinja_env
    subject = one_line(env.get_template(f"email/{name}/subject.txt").render(context))
    return (
        subject,
        env.get_template(f"email/{name}/body.txt").render(context),
        env.get_template(f"email/{name}/body.html").render(context),
    )


@contextmanager
def recipient_timezone(timezone: str | None) -> Iterator[None]:
    """Show times in the recipient's timezone while rendering their message (Flask-Babel caches
    the zone per context; the app's timezone selector reads `g.email_timezone`)."""
    wanted = timezone or "UTC"
    if g.get("email_timezone") != wanted:
        g.email_timezone = wanted
        flask_babel.refresh()
    yield


@contextmanager
def recipient_locale(locale: str | None) -> Iterator[None]:
    """Render in the recipient's language (`User.locale`); None, or a language this installation
    no longer offers: the current one (the request's, English outside a request)."""
    if not locale or locale not in current_app.config["LANGUAGES"]:
        yield
        return
    with flask_babel.force_locale(locale):
        yield


def end_recipient_context() -> None:
    """Back to the request's own timezone after a run rendered messages for recipients."""
    if g.pop("email_timezone", None):
        flask_babel.refresh()
