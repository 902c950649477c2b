"""Search: full-text search across consultations, rounds, clauses, comments and dispositions."""

from flask import Blueprint

bp = Blueprint("search", __name__)
