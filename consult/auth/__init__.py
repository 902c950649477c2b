"""Accounts: sign in and out, invitations, password reset, the account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from consult.auth import views  # noqa: E402,F401  (registers the routes)
