"""Consultations: the processes that lead to a conference, and their timeline pages."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)

from consult.consultations import views  # noqa: E402,F401  (registers the routes)
