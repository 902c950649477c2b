"""Comments: the comment form, editing, withdrawing, reporting, and "my comments"."""

from flask import Blueprint

bp = Blueprint("comments", __name__)
