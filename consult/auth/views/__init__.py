"""The auth room's pages: signing in (`entry`), the account (`account`), second factors and
sessions (`security`), the language switcher (`language`)."""

from consult.auth.views import account, entry, language, security  # noqa: F401  (each module attaches its routes to `bp`)
