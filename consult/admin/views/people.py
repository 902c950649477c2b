"""People: the searchable list, one person's page, their role and organisation, disabling."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from consult.admin import bp, services
from consult.admin.forms import ActiveForm, RoleForm, SecondFactorResetForm, organisation_choices, role_choices
from consult.admin.views.overview import PAGE
from consult.audit import AuditEvent
from consult.auth.factors import has_second_factor
from consult.auth.models import Organisation, Role, User
from consult.db import get_session
from consult.pagination import paginate
from consult.policy import Permission
from consult.web import commit_or_refuse, csrf_in_form, current_actor, get_or_404, permission_required


@bp.route("/users")
@permission_required(Permission.USER_LIST)
def users():
    """People, searchable by name or email, filterable by role."""
    db = get_session()
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    stmt = select(User).order_by(func.lower(User.email))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.display_name).like(like)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = paginate(db, stmt, PAGE)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=list(Role))


def _role_form(db, user: User, formdata=None) -> RoleForm:
    form = RoleForm(formdata=formdata, data={"role": user.role.value, "organisation": user.organisation_id or 0})
    form.role.choices = role_choices(current_actor())
    form.organisation.choices = organisation_choices(db)
    return form


def _user_page(
    db,
    user: User,
    role_form: RoleForm | None = None,
    active_form: ActiveForm | None = None,
    status=200,
    reset_form: SecondFactorResetForm | None = None,
):
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "User", AuditEvent.subject_id == user.id)
        .order_by(AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/user.html",
        user=user,
        role_form=role_form or _role_form(db, user, formdata=None),
        active_form=active_form or ActiveForm(formdata=None),
        reset_form=reset_form or SecondFactorResetForm(formdata=None),
        has_second_factor=has_second_factor(db, user),
        events=events,
    ), status


@bp.route("/users/<int:user_id>")
@permission_required(Permission.USER_LIST)
def user_detail(user_id: int):
    """One person: role, organisation, state, recent audit entries."""
    db = get_session()
    return _user_page(db, get_or_404(db, User, user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
@csrf_in_form
def change_role(user_id: int):
    """Change a person's role or organisation (their sessions end)."""
    db = get_session()
    user = get_or_404(db, User, user_id)
    form = _role_form(db, user, formdata=request.form)
    if form.validate_on_submit():
        organisation = db.get(Organisation, form.organisation.data) if form.organisation.data else None
        done = commit_or_refuse(
            lambda: services.change_role(
                db,
                actor=current_actor(),
                subject=user,
                role=Role(form.role.data),
                organisation=organisation,
                reason=form.reason.data or "",
            ),
            form=form,
            field="role",
            success=lambda changed: (
                _("The role is changed; their sessions have ended.") if changed else _("Nothing changed.")
            ),
        )
        if done:
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(db, user, role_form=form, status=400)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@permission_required(Permission.USER_MANAGE)
@csrf_in_form
def set_active(user_id: int):
    """Disable or re-enable an account."""
    db = get_session()
    user = get_or_404(db, User, user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        done = commit_or_refuse(
            lambda: services.set_active(
                db, actor=current_actor(), subject=user, active=active, reason=form.reason.data
            ),
            form=form,
            field="reason",
            success=_("The account is enabled.") if active else _("The account is disabled."),
        )
        if done:
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(db, user, active_form=form, status=400)


@bp.route("/users/<int:user_id>/second-factor/reset", methods=["POST"])
@permission_required(Permission.SECOND_FACTOR_RESET)
@csrf_in_form
def reset_second_factor(user_id: int):
    """Remove a person's second factors, with a reason (their sessions end; they are told)."""
    db = get_session()
    user = get_or_404(db, User, user_id)
    form = SecondFactorResetForm()
    if form.validate_on_submit():
        done = commit_or_refuse(
            lambda: services.reset_second_factor(
                db, actor=current_actor(), subject=user, reason=form.reset_reason.data
            ),
            form=form,
            field="reset_reason",
            success=_("Their second factors are removed and their sessions ended; they have been told by email."),
        )
        if done:
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(db, user, reset_form=form, status=400)
