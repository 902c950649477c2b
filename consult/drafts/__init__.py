"""Drafts: norm documents, their immutable versions, Markdown import and comparison pages."""

from flask import Blueprint

bp = Blueprint("drafts", __name__)
