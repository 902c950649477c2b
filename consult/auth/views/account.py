"""The account: accepting an invitation, a forgotten password, the account page (profile,
password)."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from consult import i18n, policy
from consult.auth import bp, factors, limits, services, sessions, signin
from consult.auth.forms import (
    AcceptInvitationForm,
    ButtonForm,
    ForgotPasswordForm,
    PasswordChangeForm,
    ProfileForm,
    ResetPasswordForm,
)
from consult.db import get_session
from consult.errors import DomainError, Invalid, NotFound
from consult.extensions import limiter
from consult.policy import Permission
from consult.web import csrf_in_form, flash_ok


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@csrf_in_form
def accept_invitation(token: str):
    """Accept an invitation: choose a name, password and timezone."""
    db = get_session()
    try:
        invitation = services.find_invitation(db, token)
    except NotFound as exc:
        return render_template("auth/token_invalid.html", message=str(exc)), 404
    i18n.suggest(invitation.locale)
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
@limiter.limit(limits.reset_limit, methods=["POST"])
@limiter.limit(limits.reset_limit, key_func=limits.account_key, methods=["POST"])
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
    return _account_page(_profile_form(), PasswordChangeForm())


def _profile_form() -> ProfileForm:
    profile = ProfileForm(obj=current_user)
    profile.locale.data = current_user.locale or str(get_locale())
    return profile


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
                locale=form.locale.data,
            )
        except Invalid as exc:
            form[exc.field or "timezone"].errors.append(str(exc))
        else:
            db.commit()
            refresh()  # the message below speaks the language just chosen
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
    return _account_page(_profile_form(), form, 400)


# The second-factor and session pages join this blueprint.
