"""The API room's views: the operations under /api/v1/ (read, search, write), the OpenAPI document and
its page (docs), and the token forms of the account page (tokens)."""

from consult.api.views import docs, read, search, tokens, write  # noqa: F401  (each attaches its routes to `bp`)
