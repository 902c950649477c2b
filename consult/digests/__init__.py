"""Email in the domain: notifications, personal and organiser digests, preferences.

| module | holds |
|---|---|
| `models.py` | `Digest` (an organiser's), `EmailPreference` (switches, frequency, cursors) |
| `cursors.py` | the named structures a digest's coverage is kept in, and the newest ids |
| `content.py` | what a digest says to a viewer (`build_digest`) |
| `render.py` | rendering a row for its recipient at send time; the personal and organiser digests |
| `notices.py` | who is told what when (receivers of `consult.signals`): by email and in the app |
| `notice_builders.py` | what each notice email says, decided when it is sent |
| `preferences.py`, `services.py` | preferences, unsubscribing, the organisers' digests |
| `schedule.py` | the cron: clock-driven notices and the personal digests due |
"""

from flask import Blueprint, Flask

bp = Blueprint("digests", __name__)


def init_app(app: Flask) -> None:
    """Register the room's renderers with the mail wing and its receivers with the signals."""
    from consult import mail
    from consult.digests import notices, render

    mail.register_renderer(app, "digest", render.renderer(render.personal_digest))
    mail.register_renderer(app, "organiser_digest", render.renderer(render.organiser_digest))
    mail.register_batch_hook(app, render.start_batch)
    notices.init_app(app)
