"""Dispositions: the secretariat's answers to a closed round's comments, and the replies to them."""

from flask import Blueprint, Flask

bp = Blueprint("dispositions", __name__)


def init_app(app: Flask) -> None:
    """Drafted dispositions are released with a round's publication (`consult.signals`)."""
    from consult.dispositions import services

    services.init_app(app)
