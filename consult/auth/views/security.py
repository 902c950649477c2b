"""Second factors and sessions: set-up and management of the authenticator app, passkeys and
recovery codes, ending sessions and forgetting remembered browsers (issue 17). Set-up pages
serve the signed-in person, or a half-signed-in one whose role needs a second factor they lack
(`consult.auth.signin`): confirming the first factor then signs them in."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from consult import policy
from consult.auth import bp, factors, limits, passkeys, sessions, signin
from consult.auth.forms import (
    ButtonForm,
    PasskeyRegisterForm,
    TotpConfirmForm,
)
from consult.auth.models import User
from consult.db import get_session
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import limiter, login_manager
from consult.forms import add_error
from consult.policy import Permission
from consult.web import csrf_in_form, flash_ok


def _actor() -> tuple[User | None, bool]:
    """The person setting up factors, and whether they are half signed in (set-up at sign-in)."""
    if current_user.is_authenticated:
        return current_user._get_current_object(), False
    found = signin.pending(get_session())
    if found is not None and found[1] == signin.SETUP:
        return found[0], True
    return None, False


def security_page(user: User, setting_up: bool, totp_form=None, passkey_form=None, status: int = 200):
    """The second-factor page: the app (QR code and secret to set it up), passkeys, codes."""
    db = get_session()
    totp = factors.totp_of(db, user)
    confirmed = totp is not None and totp.confirmed_at is not None
    setup: dict[str, Any] = {}
    if not confirmed:
        secret = factors.setup_secret()
        uri = factors.provisioning_uri(user, secret)
        setup = {"qr": factors.qr_svg(uri, _("QR code for your authenticator app")), "secret": factors.grouped(secret)}
    own = factors.passkeys_of(db, user)
    here = passkeys.usable_here()
    return render_template(
        "auth/security.html",
        user=user,
        setting_up=setting_up,
        required=policy.requires_second_factor(user),
        totp=totp if confirmed else None,
        setup=setup,
        totp_form=totp_form or TotpConfirmForm(formdata=None),
        passkeys=own,
        passkey_form=passkey_form or PasskeyRegisterForm(formdata=None),
        passkey_options=passkeys.registration_options(user, own) if here else None,
        passkey_url=passkeys.origin_url(url_for("auth.security")),
        codes_left=factors.recovery_codes_left(db, user),
        has_factor=confirmed or bool(own),
        button=ButtonForm(formdata=None),
    ), status


@bp.route("/account/security", methods=["GET"])
def security():
    """Second factors: set up or remove the app and passkeys, new recovery codes."""
    user, setting_up = _actor()
    if user is None:
        return login_manager.unauthorized()
    if not setting_up and not policy.can(user, Permission.ACCOUNT_MANAGE):
        abort(403)
    return security_page(user, setting_up)


def _codes_page(codes: list[str], continue_url: str, signed_in_now: bool):
    return render_template(
        "auth/recovery_codes.html", codes=codes, continue_url=continue_url, signed_in_now=signed_in_now
    )


def _finish_setup(db, user: User, setting_up: bool, method: str, codes: list[str]):
    """After a factor is added: sign in a half-signed-in person; show new codes once."""
    next_url = url_for("auth.security")
    if setting_up:
        next_url = signin.pending_next()
        signin.complete(db, user, method=method, remember=signin.pending_remember())
    db.commit()
    if codes:
        return _codes_page(codes, next_url, setting_up)
    flash_ok(_("The second factor is added."))
    return redirect(next_url)


@bp.route("/account/security/totp", methods=["POST"])
@limiter.limit(limits.factor_limit, methods=["POST"])
@limiter.limit(limits.factor_limit, key_func=limits.factor_key, methods=["POST"])
@csrf_in_form
def confirm_totp():
    """Confirm an authenticator app with its first code."""
    user, setting_up = _actor()
    if user is None:
        return login_manager.unauthorized()
    db = get_session()
    form = TotpConfirmForm()
    if form.validate_on_submit():
        try:
            codes = factors.confirm_totp(db, user=user, code=form.code.data)
        except (Invalid, Conflict) as exc:
            add_error(form, exc, "code")
        else:
            return _finish_setup(db, user, setting_up, "totp", codes)
    form.code.data = ""
    return security_page(user, setting_up, totp_form=form, status=400)


@bp.route("/account/security/passkeys", methods=["POST"])
@limiter.limit(limits.factor_limit, key_func=limits.factor_key, methods=["POST"])
@csrf_in_form
def register_passkey():
    """Register a passkey under a name."""
    user, setting_up = _actor()
    if user is None:
        return login_manager.unauthorized()
    db = get_session()
    form = PasskeyRegisterForm()
    if form.validate_on_submit():
        try:
            _passkey, first = passkeys.register(
                db,
                user=user,
                name=form.name.data,
                passwordless=bool(form.passwordless.data),
                credential=form.credential.data or "",
            )
            codes = factors.new_recovery_codes(db, user=user, audit_it=False) if first else []
        except (Invalid, Conflict) as exc:
            add_error(form, exc, "credential")
        else:
            return _finish_setup(db, user, setting_up, "passkey", codes)
    return security_page(user, setting_up, passkey_form=form, status=400)


def _signed_in_action(action: Any, done: str, back: str = "auth.security") -> Any:
    """Run `action(db, user)` for the signed-in person, commit, say `done`; refusals as flashes."""
    from flask import flash

    policy.require(current_user, Permission.ACCOUNT_MANAGE)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        result = action(db, current_user._get_current_object())
    except (Conflict, NotFound) as exc:
        if isinstance(exc, NotFound):
            abort(404)
        flash(str(exc), "error")
        return redirect(url_for(back))
    db.commit()
    if result is not None:
        return result
    flash_ok(done)
    return redirect(url_for(back))


@bp.route("/account/security/totp/remove", methods=["POST"])
@login_required
def remove_totp():
    """Remove the authenticator app."""
    return _signed_in_action(
        lambda db, user: factors.remove_totp(db, user=user), _("The authenticator app is removed.")
    )


@bp.route("/account/security/passkeys/<int:passkey_id>/remove", methods=["POST"])
@login_required
def remove_passkey(passkey_id: int):
    """Remove a passkey."""
    return _signed_in_action(
        lambda db, user: passkeys.remove(db, user=user, passkey_id=passkey_id), _("The passkey is removed.")
    )


@bp.route("/account/security/recovery-codes", methods=["POST"])
@login_required
def regenerate_recovery_codes():
    """Make ten new recovery codes (the old ones stop working) and show them once."""

    def action(db, user):
        codes = factors.new_recovery_codes(db, user=user)
        db.commit()
        return _codes_page(codes, url_for("auth.security"), False)

    return _signed_in_action(action, "")


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one of one's sessions."""

    def action(db, user):
        sessions.end_session(db, user=user, record_id=session_id)
        if session_id == user.session_record_id:
            db.commit()
            signin.cancel()
            from flask import session as flask_session
            from flask_login import logout_user

            flask_session.clear()
            logout_user()
            return redirect(url_for("auth.login"))
        return None

    return _signed_in_action(action, _("The session is ended."), back="auth.account")


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """End every session but this one."""

    def action(db, user):
        sessions.end_other_sessions(db, user=user, keep=user.session_record_id)

    return _signed_in_action(action, _("Your other sessions are ended."), back="auth.account")


@bp.route("/account/browsers/<int:browser_id>/forget", methods=["POST"])
@login_required
def forget_browser(browser_id: int):
    """Make a remembered browser ask for the second factor again."""
    return _signed_in_action(
        lambda db, user: sessions.forget_browser(db, user=user, browser_id=browser_id),
        _("That browser will ask for your second factor again."),
        back="auth.account",
    )
