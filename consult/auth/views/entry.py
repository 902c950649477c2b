"""Signing in: the password, then the second factor where the role needs one (or a passkey
alone, where its owner chose that), signing out, and leaving a half-finished sign-in."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from consult import policy
from consult.auth import bp, factors, limits, passkeys, services, signin
from consult.auth.forms import (
    ButtonForm,
    LoginForm,
    PasskeyAssertionForm,
    PasskeyLoginForm,
    SecondFactorForm,
)
from consult.auth.models import User
from consult.db import get_session
from consult.errors import Invalid
from consult.extensions import limiter
from consult.forms import add_error
from consult.web import csrf_in_form, flash_ok, is_safe_next


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("consultations.index")


def login_page(form: LoginForm | None = None, passkey_form: PasskeyLoginForm | None = None, status: int = 200):
    """The sign-in page: email and password, and a passkey where the browser can use one here."""
    form = form or LoginForm(formdata=None)
    form.password.data = ""
    here = passkeys.usable_here()
    return render_template(
        "auth/login.html",
        form=form,
        passkey_form=passkey_form or PasskeyLoginForm(formdata=None),
        passkey_options=passkeys.authentication_options(None, None) if here else None,
        passkey_url=passkeys.origin_url(url_for("auth.login")),
    ), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.login_limit, methods=["POST"])
@limiter.limit(limits.login_limit, key_func=limits.account_key, methods=["POST"])
@csrf_in_form
def login():
    """Sign in with email and password (then the second factor, where there is one)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_url(form.next.data))
    if form.validate_on_submit():
        db = get_session()
        user = services.authenticate(db, email=form.email.data, password=form.password.data)
        if user is None:
            form.password.errors.append(_("The email address or password is not correct, or the account is disabled."))
        else:
            response = signin.after_password(
                db, user, remember=bool(form.remember.data), next_url=_next_url(form.next.data)
            )
            db.commit()
            return response
    return login_page(form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out, ending this person's sessions on every device."""
    db = get_session()
    services.sign_out(db, user=current_user._get_current_object())
    db.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember cookie
    flash_ok(_("You are signed out."))
    return redirect(url_for("auth.login"))


def _expired() -> Any:
    signin.cancel()
    return redirect(url_for("auth.login"))


# --- The step after the password ---------------------------------------------------------------


def _second_factor_page(user: User, form: SecondFactorForm, passkey_form: PasskeyAssertionForm, status: int = 200):
    db = get_session()
    own = factors.passkeys_of(db, user)
    options = passkeys.authentication_options(own, user.id) if own and passkeys.usable_here() else None
    return render_template(
        "auth/second_factor.html",
        form=form,
        passkey_form=passkey_form,
        has_totp=bool((t := factors.totp_of(db, user)) and t.confirmed_at),
        has_passkeys=bool(own),
        passkey_options=options,
        passkey_url=passkeys.origin_url(url_for("auth.login")),
        may_remember=policy.may_remember_browser(user),
        cancel_form=ButtonForm(formdata=None),
    ), status


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(limits.factor_limit, methods=["POST"])
@limiter.limit(limits.factor_limit, key_func=limits.factor_key, methods=["POST"])
@csrf_in_form
def second_factor():
    """The second step of signing in: a code from the app, or a recovery code."""
    db = get_session()
    found = signin.pending(db)
    if found is None or found[1] != signin.VERIFY:
        return _expired()
    user = found[0]
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = factors.verify_code(db, user, form.code.data)
        if method is None:
            db.commit()  # nothing to keep; ends the transaction
            form.code.errors.append(_("That code is not right, or was used already. Enter the newest code."))
        else:
            next_url, remember = signin.pending_next(), signin.pending_remember()
            signin.complete(
                db, user, method=method, remember=remember, remember_browser=bool(form.remember_browser.data)
            )
            left = factors.recovery_codes_left(db, user) if method == "recovery_code" else None
            db.commit()
            if left is not None:
                flash_ok(
                    ngettext(
                        "You used a recovery code; %(num)d is left. Make new ones on your account page.",
                        "You used a recovery code; %(num)d are left. Make new ones on your account page if "
                        "you are running out.",
                        left,
                    )
                )
            return redirect(next_url)
    form.code.data = ""
    status = 400 if request.method == "POST" else 200
    return _second_factor_page(user, form, PasskeyAssertionForm(formdata=None), status)


@bp.route("/login/second-factor/passkey", methods=["POST"])
@limiter.limit(limits.factor_limit, methods=["POST"])
@limiter.limit(limits.factor_limit, key_func=limits.factor_key, methods=["POST"])
@csrf_in_form
def second_factor_passkey():
    """The second step of signing in, with a passkey."""
    db = get_session()
    found = signin.pending(db)
    if found is None or found[1] != signin.VERIFY:
        return _expired()
    user = found[0]
    form = PasskeyAssertionForm()
    if form.validate_on_submit():
        try:
            passkeys.authenticate(db, credential=form.credential.data or "", user=user)
        except Invalid as exc:
            add_error(form, exc, "credential")
        else:
            next_url, remember = signin.pending_next(), signin.pending_remember()
            signin.complete(
                db, user, method="passkey", remember=remember, remember_browser=bool(form.remember_browser.data)
            )
            db.commit()
            return redirect(next_url)
    return _second_factor_page(user, SecondFactorForm(formdata=None), form, 400)


@bp.route("/login/passkey", methods=["POST"])
@limiter.limit(limits.login_limit, methods=["POST"])
@csrf_in_form
def passkey_login():
    """Sign in with a passkey alone (one its owner allowed to do so)."""
    db = get_session()
    form = PasskeyLoginForm()
    if form.validate_on_submit():
        try:
            passkey = passkeys.authenticate(db, credential=form.credential.data or "", user=None)
        except Invalid as exc:
            add_error(form, exc, "credential")
        else:
            user = db.get(User, passkey.user_id)
            if user is not None and user.is_active:
                signin.complete(db, user, method="passkey_only", remember=False)
                db.commit()
                return redirect(url_for("consultations.index"))
            form.credential.errors.append(_("This account is disabled."))
    return login_page(passkey_form=form, status=400)


@bp.route("/login/cancel", methods=["POST"])
def cancel_sign_in():
    """Leave a half-finished sign-in."""
    signin.cancel()
    return redirect(url_for("auth.login"))


# --- Set-up and management -----------------------------------------------------------------
