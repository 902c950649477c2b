"""Invitations: the pending ones, inviting someone, and withdrawing an invitation."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from consult import i18n
from consult.admin import bp, services
from consult.admin.forms import InvitationForm, RevokeForm, organisation_choices, role_choices
from consult.admin.views.overview import PAGE
from consult.auth.models import Invitation, Organisation, Role
from consult.auth.services import invite
from consult.db import get_session, utcnow
from consult.pagination import paginate
from consult.policy import Permission
from consult.web import create_once, csrf_in_form, current_actor, flash_ok, get_or_404, permission_required


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
    form.role.choices = role_choices(current_actor())
    form.organisation.choices = organisation_choices(db)
    form.language.choices = i18n.choices()
    if formdata is None:
        form.language.data = str(get_locale())
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
        done = create_once(
            form,
            lambda: invite(
                db,
                actor=current_actor(),
                email=form.email.data,
                role=Role(form.role.data),
                organisation=organisation,
                locale=form.language.data,
            ),
            purpose="invitation",
            url_of=lambda _invitation: url_for("admin.invitations"),
            field="email",
            success=_("Invitation sent to %(email)s.", email=form.email.data),
        )
        if done:
            return redirect(done.url)
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
