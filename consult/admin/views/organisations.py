"""Organisations and stakeholder groups: the lists, adding, renaming, moving between groups."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from consult.admin import bp, services
from consult.admin.forms import GroupForm, OrganisationForm, group_choices
from consult.admin.views.overview import PAGE
from consult.auth.models import Organisation, StakeholderGroup, User
from consult.db import get_session
from consult.pagination import paginate
from consult.policy import Permission
from consult.web import commit_or_refuse, create_once, csrf_in_form, current_actor, get_or_404, permission_required


def _organisation_form(db, formdata=None, obj=None) -> OrganisationForm:
    data = {"group": obj.stakeholder_group_id} if obj else None
    form = OrganisationForm(formdata=formdata, obj=obj, data=data)
    form.group.choices = group_choices(db)
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
        done = create_once(
            form,
            lambda: services.create_organisation(
                db,
                actor=current_actor(),
                name=form.name.data,
                country=form.country.data or "",
                group=db.get(StakeholderGroup, form.group.data),
                mb_code=form.mb_code.data or "",
            ),
            purpose="organisation",
            url_of=lambda _created: url_for("admin.organisations"),
            field="name",
            success=_("Organisation %(name)s added.", name=form.name.data),
        )
        if done:
            return redirect(done.url)
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
        done = commit_or_refuse(
            lambda: services.update_organisation(
                db,
                actor=current_actor(),
                organisation=organisation,
                name=form.name.data,
                country=form.country.data or "",
                group=db.get(StakeholderGroup, form.group.data),
                reason=form.reason.data or "",
                mb_code=form.mb_code.data or "",
            ),
            form=form,
            field="name",
            success=_("Organisation saved."),
        )
        if done:
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
        done = create_once(
            form,
            lambda: services.create_stakeholder_group(
                db,
                actor=current_actor(),
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
            ),
            purpose="group",
            url_of=lambda _created: url_for("admin.groups"),
            field="name",
            success=_("Stakeholder group %(name)s added.", name=form.name.data),
        )
        if done:
            return redirect(done.url)
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
        done = commit_or_refuse(
            lambda: services.update_stakeholder_group(
                db,
                actor=current_actor(),
                group=group,
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
            ),
            form=form,
            field="name",
            success=_("Stakeholder group saved."),
        )
        if done:
            return redirect(url_for("admin.groups"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/group.html", form=form, group=group), status
