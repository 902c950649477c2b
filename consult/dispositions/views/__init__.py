"""The dispositions room's pages: the answers page (record, release, acknowledge) and the
secretariat's disposition table."""

from consult.dispositions.views import answers, table  # noqa: F401  (each module attaches its routes to `bp`)
