"""Round pages, one module per seam: preparing a round (create, settings), reading it (the
round page; the side-by-side page and a clause across the groups), and its transitions. Importing this package attaches
every route to `consult.rounds.bp` (endpoints `rounds.<function>`)."""

from consult.rounds.views import page, prepare, sidebyside, transitions  # noqa: F401
