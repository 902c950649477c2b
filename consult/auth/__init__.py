"""Accounts: sign in and out, invitations, password reset, the account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
