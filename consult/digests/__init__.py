"""Email: notifications, personal and organiser digests, preferences, the outbox."""

from flask import Blueprint

bp = Blueprint("digests", __name__)
