"""Dispositions: the secretariat's answers to a closed round's comments, and the replies to them."""

from flask import Blueprint

bp = Blueprint("dispositions", __name__)
