"""Exports: the ISO-style comment table (CSV, XLSX), JSON, the XLSX import, the conference briefing."""

from flask import Blueprint

bp = Blueprint("exports", __name__)
