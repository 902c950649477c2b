"""The auth room's pages: signing in (`entry`), the account (`account`), second factors and
sessions (`security`)."""

from consult.auth.views import account, entry, security  # noqa: F401  (each module attaches its routes to `bp`)
