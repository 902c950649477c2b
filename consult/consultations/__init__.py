"""Consultations: the processes that lead to a conference, and their timeline pages."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)
