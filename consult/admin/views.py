"""Administration pages: people, organisations, stakeholder groups, invitations, audit."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from consult import policy
from consult.admin import bp, services
from consult.admin.forms import (
    ActiveForm,
    GroupForm,
    InvitationForm,
    OrganisationForm,
    RevokeForm,
    RoleForm,
    SecondFactorResetForm,
)
from consult.audit import AuditEvent
from consult.auth.factors import has_second_factor
from consult.auth.models import Invitation, Organisation, Role, StakeholderGroup, User
from consult.auth.services import invite
from consult.db import get_session, utcnow
from consult.errors import Invalid
from consult.forms import add_error
from consult.pagination import paginate
from consult.policy import Permission
from consult.web import csrf_in_form, current_actor, flash_ok, get_or_404, permission_required

PAGE = 50


def _group_choices(db) -> list[tuple[int, str]]:
    groups = db.scalars(select(StakeholderGroup).order_by(StakeholderGroup.position, StakeholderGroup.name))
    return [(g.id, g.name) for g in groups]


def _organisation_choices(db) -> list[tuple[int, str]]:
    rows = db.execute(
        select(Organisation.id, Organisation.name, StakeholderGroup.name)
        .join(StakeholderGroup)
        .order_by(StakeholderGroup.position, Organisation.name)
    )
    return [(0, _("— none —"))] + [(oid, f"{name} ({group})") for oid, name, group in rows]


def _role_choices(actor: User) -> list[tuple[str, str]]:
    return [(r.value, str(policy.ROLE_LABELS[r])) for r in policy.assignable_roles(actor)]


@bp.route("/")
@permission_required(Permission.ADMIN_AREA)
def index():
    """The administration overview."""
    db = get_session()
    counts = {
        "users": db.scalar(select(func.count(User.id))),
        "organisations": db.scalar(select(func.count(Organisation.id))),
        "groups": db.scalar(select(func.count(StakeholderGroup.id))),
        "invitations": db.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        ),
    }
    return render_template("admin/index.html", counts=counts)


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
    form.role.choices = _role_choices(current_actor())
    form.organisation.choices = _organisation_choices(db)
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
        try:
            changed = services.change_role(
                db,
                actor=current_actor(),
                subject=user,
                role=Role(form.role.data),
                organisation=organisation,
                reason=form.reason.data or "",
            )
        except Invalid as exc:
            add_error(form, exc, "role")
        else:
            db.commit()
            flash_ok(_("The role is changed; their sessions have ended.") if changed else _("Nothing changed."))
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
        try:
            services.set_active(db, actor=current_actor(), subject=user, active=active, reason=form.reason.data)
        except Invalid as exc:
            add_error(form, exc, "reason")
        else:
            db.commit()
            flash_ok(_("The account is enabled.") if active else _("The account is disabled."))
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
        try:
            services.reset_second_factor(db, actor=current_actor(), subject=user, reason=form.reset_reason.data)
        except Invalid as exc:
            add_error(form, exc, "reset_reason")
        else:
            db.commit()
            flash_ok(_("Their second factors are removed and their sessions ended; they have been told by email."))
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(db, user, reset_form=form, status=400)


def _invitation_page(db, form: InvitationForm, status: int = 200):
    pending = paginate(
        db,
        select(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.id.desc()),
        PAGE,
    )
    return render_template(
        "admin/invitations.html", form=form, pending=pending, revoke_form=RevokeForm(formdata=None)
    ), status


def _invitation_form(db, formdata=None) -> InvitationForm:
    form = InvitationForm(formdata=formdata)
    form.role.choices = _role_choices(current_actor())
    form.organisation.choices = _organisation_choices(db)
    return form


@bp.route("/invitations")
@permission_required(Permission.INVITATION_LIST)
def invitations():
    """Pending invitations, and the form to invite someone."""
    db = get_session()
    return _invitation_page(db, _invitation_form(db, formdata=None))


@bp.route("/invitations", methods=["POST"])
@permission_required(Permission.INVITATION_CREATE)
@csrf_in_form
def create_invitation():
    """Invite an email address to an organisation with a role."""
    db = get_session()
    form = _invitation_form(db, formdata=request.form)
    if form.validate_on_submit():
        organisation = db.get(Organisation, form.organisation.data) if form.organisation.data else None
        try:
            invite(
                db, actor=current_actor(), email=form.email.data, role=Role(form.role.data), organisation=organisation
            )
        except Invalid as exc:
            add_error(form, exc, "email")
        else:
            db.commit()
            flash_ok(_("Invitation sent to %(email)s.", email=form.email.data))
            return redirect(url_for("admin.invitations"))
    return _invitation_page(db, form, 400)


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@permission_required(Permission.INVITATION_REVOKE)
def revoke_invitation(invitation_id: int):
    """Withdraw a pending invitation."""
    db = get_session()
    invitation = get_or_404(db, Invitation, invitation_id)
    services.revoke_invitation(db, actor=current_actor(), invitation=invitation)
    db.commit()
    flash_ok(_("The invitation to %(email)s is withdrawn.", email=invitation.email))
    return redirect(url_for("admin.invitations"))


def _organisation_form(db, formdata=None, obj=None) -> OrganisationForm:
    data = {"group": obj.stakeholder_group_id} if obj else None
    form = OrganisationForm(formdata=formdata, obj=obj, data=data)
    form.group.choices = _group_choices(db)
    return form


def _organisations_page(db, form: OrganisationForm, status: int = 200):
    stmt = select(Organisation).join(StakeholderGroup).order_by(StakeholderGroup.position, Organisation.name)
    return render_template("admin/organisations.html", page=paginate(db, stmt, PAGE), form=form), status


@bp.route("/organisations")
@permission_required(Permission.ORGANISATION_MANAGE)
def organisations():
    """Organisations by stakeholder group, and the form to add one."""
    db = get_session()
    return _organisations_page(db, _organisation_form(db))


@bp.route("/organisations", methods=["POST"])
@permission_required(Permission.ORGANISATION_MANAGE)
@csrf_in_form
def create_organisation():
    """Add an organisation."""
    db = get_session()
    form = _organisation_form(db, formdata=request.form)
    if form.validate_on_submit():
        try:
            services.create_organisation(
                db,
                actor=current_actor(),
                name=form.name.data,
                country=form.country.data or "",
                group=db.get(StakeholderGroup, form.group.data),
            )
        except Invalid as exc:
            add_error(form, exc, "name")
        else:
            db.commit()
            flash_ok(_("Organisation %(name)s added.", name=form.name.data))
            return redirect(url_for("admin.organisations"))
    return _organisations_page(db, form, 400)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@permission_required(Permission.ORGANISATION_MANAGE)
@csrf_in_form
def edit_organisation(organisation_id: int):
    """Rename an organisation or move it to another stakeholder group."""
    db = get_session()
    organisation = get_or_404(db, Organisation, organisation_id)
    form = _organisation_form(db, formdata=request.form if request.method == "POST" else None, obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(
                db,
                actor=current_actor(),
                organisation=organisation,
                name=form.name.data,
                country=form.country.data or "",
                group=db.get(StakeholderGroup, form.group.data),
                reason=form.reason.data or "",
            )
        except Invalid as exc:
            add_error(form, exc, "name")
        else:
            db.commit()
            flash_ok(_("Organisation saved."))
            return redirect(url_for("admin.organisations"))
    members = db.scalars(select(User).where(User.organisation_id == organisation.id).order_by(User.email).limit(PAGE))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=organisation, members=members), status


@bp.route("/groups", methods=["GET", "POST"])
@permission_required(Permission.STAKEHOLDER_GROUP_MANAGE)
@csrf_in_form
def groups():
    """Stakeholder groups, and the form to add one."""
    db = get_session()
    form = GroupForm()
    if form.validate_on_submit():
        try:
            services.create_stakeholder_group(
                db,
                actor=current_actor(),
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
            )
        except Invalid as exc:
            add_error(form, exc, "name")
        else:
            db.commit()
            flash_ok(_("Stakeholder group %(name)s added.", name=form.name.data))
            return redirect(url_for("admin.groups"))
    rows = db.execute(
        select(StakeholderGroup, func.count(Organisation.id))
        .outerjoin(Organisation)
        .group_by(StakeholderGroup.id)
        .order_by(StakeholderGroup.position, StakeholderGroup.name)
        .limit(200)
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template("admin/groups.html", rows=rows, form=form), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@permission_required(Permission.STAKEHOLDER_GROUP_MANAGE)
@csrf_in_form
def edit_group(group_id: int):
    """Rename or describe a stakeholder group."""
    db = get_session()
    group = get_or_404(db, StakeholderGroup, group_id)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            services.update_stakeholder_group(
                db,
                actor=current_actor(),
                group=group,
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
            )
        except Invalid as exc:
            add_error(form, exc, "name")
        else:
            db.commit()
            flash_ok(_("Stakeholder group saved."))
            return redirect(url_for("admin.groups"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/group.html", form=form, group=group), status


@bp.route("/audit")
@permission_required(Permission.AUDIT_READ)
def audit_log():
    """The audit log, newest first, filterable by action prefix and actor."""
    db = get_session()
    action = request.args.get("action", "").strip()[:80]
    actor = request.args.get("actor", "").strip()[:254]
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.join(User, AuditEvent.actor_id == User.id).where(func.lower(User.email) == actor.lower())
    return render_template("admin/audit.html", page=paginate(db, stmt, PAGE), action=action, actor=actor)
