"""Draft pages, one module per seam: drafts and their versions (create, import, compare), and
the translations of a version's clauses. Importing this package attaches every route to
`consult.drafts.bp` (endpoints `drafts.<function>`)."""

from consult.drafts.views import translations, versions  # noqa: F401
