"""Administration pages, one module per subject: the overview and audit log, people,
invitations, organisations and stakeholder groups. Importing this package attaches every
route to `consult.admin.bp` (endpoints `admin.<function>`)."""

from consult.admin.views import invitations, organisations, overview, people  # noqa: F401
