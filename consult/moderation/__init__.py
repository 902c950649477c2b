"""Moderation: approval and publication queues, pre-moderation, reports, hiding, and the
focal point's sign-off queue."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)
