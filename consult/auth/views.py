"""Sign in and out, invitations, password reset, and the account page."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from consult import policy
from consult.auth import bp, factors, passkeys, services, sessions, signin
from consult.auth.forms import (
    AcceptInvitationForm,
    ButtonForm,
    ForgotPasswordForm,
    LoginForm,
    PasskeyLoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetPasswordForm,
)
from consult.db import get_session
from consult.errors import DomainError, Invalid, NotFound
from consult.extensions import limiter
from consult.policy import Permission
from consult.web import csrf_in_form, flash_ok, is_safe_next


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _account_key() -> str:
    """Rate-limit key for the account a sign-in or reset form names."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


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
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"])
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


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@csrf_in_form
def accept_invitation(token: str):
    """Accept an invitation: choose a name, password and timezone."""
    db = get_session()
    try:
        invitation = services.find_invitation(db, token)
    except NotFound as exc:
        return render_template("auth/token_invalid.html", message=str(exc)), 404
    if current_user.is_authenticated:
        return render_template(
            "auth/token_invalid.html",
            message=_("You are signed in already. Sign out first to accept an invitation."),
        ), 409
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                db,
                token=token,
                display_name=form.display_name.data,
                password=form.password.data,
                timezone=form.timezone.data,
            )
        except Invalid as exc:
            form.password.errors.append(str(exc))
        except DomainError as exc:
            return render_template("auth/token_invalid.html", message=str(exc)), exc.status
        else:
            response = signin.after_password(db, user, remember=False, next_url=url_for("consultations.index"))
            db.commit()
            flash_ok(_("Welcome, %(name)s. Your account is ready.", name=user.display_name))
            return response
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, key_func=_account_key, methods=["POST"])
@csrf_in_form
def forgot_password():
    """Ask for a password reset link by email."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = get_session()
        services.request_password_reset(db, email=form.email.data)
        db.commit()
        flash_ok(
            _(
                "If an account exists for that address, we have sent it a link to choose a new "
                "password. The link works once and expires in a few hours."
            )
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@csrf_in_form
def reset_password(token: str):
    """Choose a new password from an emailed link."""
    db = get_session()
    try:
        services.user_for_reset_token(db, token)
    except NotFound as exc:
        return render_template("auth/token_invalid.html", message=str(exc), offer_reset=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db, token=token, password=form.password.data)
        except Invalid as exc:
            form.password.errors.append(str(exc))
        else:
            db.commit()
            logout_user()
            flash_ok(_("Your password is changed. Sign in with the new one."))
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


def _account_page(profile: ProfileForm, password: PasswordChangeForm, status: int = 200):
    db = get_session()
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        profile=profile,
        password_form=password,
        sessions=sessions.active_sessions(db, user),
        browsers=sessions.remembered_browsers(db, user),
        has_factor=factors.has_second_factor(db, user),
        required=policy.requires_second_factor(user),
        button=ButtonForm(formdata=None),
    ), status


@bp.route("/account", methods=["GET"])
@login_required
def account():
    """The account page: name, timezone, password."""
    if not policy.can(current_user, Permission.ACCOUNT_MANAGE):
        abort(403)
    return _account_page(ProfileForm(obj=current_user), PasswordChangeForm())


@bp.route("/account/profile", methods=["POST"])
@login_required
@csrf_in_form
def update_profile():
    """Save name and timezone."""
    policy.require(current_user, Permission.ACCOUNT_MANAGE)
    form = ProfileForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            services.update_profile(
                db,
                user=current_user._get_current_object(),
                display_name=form.display_name.data,
                timezone=form.timezone.data,
            )
        except Invalid as exc:
            form.timezone.errors.append(str(exc))
        else:
            db.commit()
            flash_ok(_("Your profile is saved."))
            return redirect(url_for("auth.account"))
    return _account_page(form, PasswordChangeForm(), 400)


@bp.route("/account/password", methods=["POST"])
@login_required
@csrf_in_form
def change_password():
    """Change the password; other sessions end, this one continues."""
    policy.require(current_user, Permission.ACCOUNT_MANAGE)
    form = PasswordChangeForm()
    if form.validate_on_submit():
        db = get_session()
        user = current_user._get_current_object()
        try:
            services.change_password(db, user=user, current=form.current.data, new=form.password.data)
        except Invalid as exc:
            form[exc.field or "password"].errors.append(str(exc))
        else:
            db.commit()
            login_user(user)  # keep this browser signed in with the new session version
            flash_ok(_("Your password is changed. Other devices have been signed out."))
            return redirect(url_for("auth.account"))
    return _account_page(ProfileForm(obj=current_user), form, 400)


# The second-factor and session pages join this blueprint.
from consult.auth import security_views  # noqa: E402,F401
