"""The exports room's pages: comment tables out and in (`tables`), briefings (`briefings`)."""

from consult.exports.views import briefings, tables  # noqa: F401  (each attaches its routes to `bp`)
