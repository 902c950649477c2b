"""Rounds: their pages, settings, transitions, and the side-by-side matrix."""

from flask import Blueprint

bp = Blueprint("rounds", __name__)
