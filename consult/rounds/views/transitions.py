"""A round's transitions: each a POST from the round page, with a reason where one is needed."""

from __future__ import annotations

import inspect

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.db import get_session, utcnow
from consult.policy import Permission
from consult.rounds import bp, services
from consult.rounds.forms import DeadlineForm, ReasonForm
from consult.rounds.models import Phase
from consult.rounds.queries import visible_round
from consult.timeutil import from_local, localtime
from consult.web import commit_or_refuse, current_actor, is_safe_next, permission_required


def _transition(round_id: int, action, success, form_class=ReasonForm):
    """Run one round transition from a POSTed form; refusals come back as a message."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    form = form_class()
    back = request.form.get("back", "")
    target = back if is_safe_next(back) else url_for("rounds.detail", round_id=round_id)
    kwargs = {}
    if form.validate_on_submit():
        if "reason" in form and "reason" in inspect.signature(action).parameters:
            # Submitting, asking for publication and archiving take no reason.
            kwargs["reason"] = form.reason.data or ""
        if "closes_at" in form:
            kwargs["closes_at"] = from_local(form.closes_at.data)
        commit_or_refuse(lambda: action(db, actor=current_actor(), round_=round_, **kwargs), success=success)
        return redirect(target)
    problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
    flash(_("Nothing was changed: %(problems)s", problems=problems), "error")
    return redirect(target)


@bp.route("/rounds/<int:round_id>/submit", methods=["POST"])
@permission_required(Permission.ROUND_PREPARE)
def submit(round_id: int):
    """Send a prepared round to the moderators for approval."""
    return _transition(round_id, services.submit_for_approval, _("The round is waiting for a moderator's approval."))


@bp.route("/rounds/<int:round_id>/approve", methods=["POST"])
@permission_required(Permission.ROUND_APPROVE)
def approve(round_id: int):
    """A moderator approves a round."""
    return _transition(round_id, services.approve_round, _approved_message)


def _approved_message(round_) -> str:
    """What approving did: the round is open now, or opens later (the words follow the clock)."""
    if round_.phase(utcnow()) is Phase.OPEN:
        return _("Round approved: it is open for comments now, until %(closes)s.", closes=localtime(round_.closes_at))
    return _("Round approved: it opens for comments at %(opens)s.", opens=localtime(round_.opens_at))


@bp.route("/rounds/<int:round_id>/send-back", methods=["POST"])
@permission_required(Permission.ROUND_APPROVE)
def send_back(round_id: int):
    """A moderator sends a round back to its preparer."""
    return _transition(round_id, services.send_back, _("The round went back to the organisers with your reason."))


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@permission_required(Permission.ROUND_MODERATE)
def close(round_id: int):
    """A moderator closes a round early."""
    return _transition(round_id, services.close_early, _("The round is closed."))


@bp.route("/rounds/<int:round_id>/extend", methods=["POST"])
@permission_required(Permission.ROUND_MODERATE)
def extend(round_id: int):
    """A moderator extends a round's deadline."""
    return _transition(round_id, services.extend, _("The deadline is extended."), DeadlineForm)


@bp.route("/rounds/<int:round_id>/reopen", methods=["POST"])
@permission_required(Permission.ROUND_MODERATE)
def reopen(round_id: int):
    """A moderator reopens a closed round."""
    return _transition(round_id, services.reopen, _("The round is open again."), DeadlineForm)


@bp.route("/rounds/<int:round_id>/request-publication", methods=["POST"])
@permission_required(Permission.ROUND_REQUEST_PUBLICATION)
def request_publication(round_id: int):
    """The organiser asks for a closed round's results to be published."""
    return _transition(round_id, services.request_publication, _("Publication requested; a moderator will review it."))


@bp.route("/rounds/<int:round_id>/publish", methods=["POST"])
@permission_required(Permission.ROUND_PUBLISH)
def publish(round_id: int):
    """A moderator approves publication."""
    return _transition(round_id, services.publish, _("The round's results are published."))


@bp.route("/rounds/<int:round_id>/decline-publication", methods=["POST"])
@permission_required(Permission.ROUND_PUBLISH)
def decline_publication(round_id: int):
    """A moderator declines a publication request."""
    return _transition(
        round_id, services.decline_publication, _("The publication request went back to the organisers.")
    )


@bp.route("/rounds/<int:round_id>/archive", methods=["POST"])
@permission_required(Permission.ROUND_REQUEST_PUBLICATION)
def archive(round_id: int):
    """The organiser archives a published round."""
    return _transition(round_id, services.archive, _("The round is archived."))
