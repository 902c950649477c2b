"""Personal access tokens on the account page: create (shown once), list, revoke.

These are web forms with a cookie session and CSRF tokens, like the rest of the account page;
the account page includes `api/_tokens.html`, which reads its data from `api_tokens_panel()`.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import policy
from consult.api import bp, services
from consult.api.forms import SCOPE_LABELS, RevokeForm, TokenForm
from consult.db import get_session, utcnow
from consult.errors import Conflict, NotFound
from consult.policy import Permission
from consult.web import create_once, csrf_in_form, current_actor, flash_ok


def token_form(**kwargs) -> TokenForm:
    """The form, offering only the scopes the person's role allows (`services.offered_scopes`)."""
    form = TokenForm(**kwargs)
    form.scopes.choices = [(s.value, SCOPE_LABELS[s]) for s in services.offered_scopes(current_user)]
    return form


@bp.app_context_processor
def _panel() -> dict:
    def api_tokens_panel() -> dict:
        """What the account page's token section shows (read when the section renders)."""
        return {
            "tokens": services.tokens_of(get_session(), current_user),
            "form": token_form(formdata=None),
            "revoke_form": RevokeForm(formdata=None),
            "now": utcnow(),
            "scope_labels": SCOPE_LABELS,
        }

    return {"api_tokens_panel": api_tokens_panel}


@bp.route("/account/tokens", methods=["POST"])
@login_required
@csrf_in_form
def create_token():
    """Create a personal access token; the page shows it once."""
    policy.require(current_user, Permission.ACCOUNT_MANAGE)
    form = token_form()
    if form.validate_on_submit():
        db = get_session()
        done = create_once(
            form,
            lambda: services.create_token(
                db, actor=current_actor(), name=form.name.data, scopes=form.scopes.data, days=form.days.data
            ),
            purpose="token",
            # Sent again: the account page's list (the secret was shown once, to the first).
            url_of=lambda _new: url_for("auth.account") + "#api-tokens",
            field="name",
            success=_("The token is created. Copy it now: it is shown only once."),
        )
        if done and done.value is not None:
            return render_template("api/token_created.html", token=done.value.token, secret=done.value.secret)
        if done:
            return redirect(done.url)
    return render_template("api/token_form.html", form=form), 400


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's tokens: it stops working at once."""
    db = get_session()
    try:
        services.revoke_token(db, actor=current_actor(), token_id=token_id if 0 < token_id < 2**31 else 0)
    except (NotFound, Conflict):
        raise
    db.commit()
    flash_ok(_("The token is revoked: it no longer works."))
    return redirect(url_for("auth.account") + "#api-tokens")
