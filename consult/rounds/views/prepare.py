"""Preparing a round: create it on a draft version, and its settings page (editable while a draft)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.drafts.models import Draft, DraftVersion
from consult.policy import Permission
from consult.rounds import bp, services
from consult.rounds.forms import STAGE_LABELS, ReasonForm, RoundForm
from consult.rounds.models import Phase, Preset, Stage
from consult.rounds.queries import visible_round
from consult.timeutil import from_local, shown_to_the_minute, to_local
from consult.web import commit_or_refuse, create_once, csrf_in_form, current_actor, get_or_404, permission_required


def _version_choices(db, consultation: Consultation) -> list[tuple[int, str]]:
    rows = db.execute(
        select(DraftVersion.id, DraftVersion.number, Draft.title)
        .join(Draft, Draft.id == DraftVersion.draft_id)
        .where(Draft.consultation_id == consultation.id)
        .order_by(Draft.title, DraftVersion.number.desc())
        .limit(500)
    )
    return [(vid, f"{title} v{number}") for vid, number, title in rows]


def _rule_from_form(groups) -> dict[tuple[int, int], Stage]:
    rule = {}
    for viewer in groups:
        for author in groups:
            value = request.form.get(f"rule-{viewer.id}-{author.id}", Stage.NEVER.value)
            rule[(viewer.id, author.id)] = Stage(value) if value in Stage._value2member_map_ else Stage.NEVER
    return rule


def _typed_time(value, stored):
    """The time typed in the form, as UTC; the stored time itself when the person left the field
    as the form showed it (to the minute), so saving unchanged changes nothing."""
    typed = from_local(value)
    if stored is not None and typed == shown_to_the_minute(stored):
        return stored
    return typed


def _settings(form: RoundForm, groups, round_=None) -> services.RoundSettings:
    preset = Preset(form.preset.data)
    return services.RoundSettings(
        title=form.title.data or "",
        description=form.description.data or "",
        opens_at=_typed_time(form.opens_at.data, round_.opens_at if round_ else None),
        closes_at=_typed_time(form.closes_at.data, round_.closes_at if round_ else None),
        preset=preset,
        requires_signoff=form.requires_signoff.data,
        premoderation=form.premoderation.data,
        results_public=form.results_public.data,
        custom_rule=_rule_from_form(groups) if preset is Preset.CUSTOM else None,
    )


def _settings_preview(form: RoundForm) -> services.RoundSettings:
    preset = Preset(form.preset.data) if form.preset.data in Preset._value2member_map_ else Preset.GROUP_DIALOGUE
    return services.RoundSettings(
        "",
        "",
        utcnow(),
        utcnow(),
        preset if preset is not Preset.CUSTOM else Preset.GROUP_DIALOGUE,
        False,
        False,
        False,
    )


@bp.route("/consultations/<int:consultation_id>/rounds/new", methods=["GET", "POST"])
@permission_required(Permission.ROUND_PREPARE)
@csrf_in_form
def create(consultation_id: int):
    """An organiser prepares a round on a draft version."""
    db = get_session()
    consultation = get_or_404(db, Consultation, consultation_id)
    groups = stakeholder_groups(db)
    form = RoundForm()
    form.version.choices = _version_choices(db, consultation)
    if request.method == "GET":
        now = to_local(utcnow()).replace(second=0, microsecond=0)
        form.opens_at.data = now
        form.closes_at.data = now.replace(hour=23, minute=59)
    if form.validate_on_submit():
        version = db.get(DraftVersion, form.version.data)
        done = create_once(
            form,
            lambda: services.create_round(
                db, actor=current_actor(), consultation=consultation, version=version, settings=_settings(form, groups)
            ),
            purpose="round",
            url_of=lambda created: url_for("rounds.settings", round_id=created.id),
            field="title",
            success=_("Round prepared. Check its settings, then submit it for approval."),
        )
        if done:
            return redirect(done.url)
    if not form.version.choices:
        form.version.errors = [_("This consultation has no draft yet: add a draft first.")]
    status = 400 if request.method == "POST" else 200
    rule = services.rule_cells(db, _settings_preview(form))
    return render_template(
        "rounds/form.html",
        form=form,
        consultation=consultation,
        groups=groups,
        rule=rule,
        round=None,
        stage_labels=STAGE_LABELS,
    ), status


def _never_public(groups, rule) -> list[str]:
    """The groups whose comments some group may never see: they are never public either
    (`policy.public_rule`), whatever "results public" says."""
    return [a.name for a in groups if any(rule.get((v.id, a.id)) is Stage.NEVER for v in groups)]


def _form_data(round_) -> dict:
    """The settings form's values for `round_`, times in the viewer's timezone."""
    return {
        "title": round_.title,
        "description": round_.description,
        "version": round_.version_id,
        "opens_at": to_local(round_.opens_at),
        "closes_at": to_local(round_.closes_at),
        "preset": round_.preset.value,
        "requires_signoff": round_.requires_signoff,
        "premoderation": round_.premoderation,
        "results_public": round_.results_public,
    }


def _needs_confirmation(round_, settings_: services.RoundSettings) -> bool:
    """A change that puts the deadline in the past is confirmed first (the round would take no
    comments). Settings change only while a round is prepared, so an open round is never
    shortened here: moderators close early or extend with a reason instead."""
    return settings_.closes_at != round_.closes_at and settings_.closes_at <= utcnow()


@bp.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@permission_required(Permission.ROUND_VIEW_UNAPPROVED)
@csrf_in_form
def settings(round_id: int):
    """The organiser's settings page (editable while the round is a draft)."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    consultation = db.get(Consultation, round_.consultation_id)
    groups = stakeholder_groups(db)
    editable = round_.phase(utcnow()) is Phase.DRAFT and policy.can(current_user, Permission.ROUND_PREPARE)
    if request.method == "POST":
        if not editable:
            abort(409 if policy.can(current_user, Permission.ROUND_PREPARE) else 403)
        form = RoundForm()
    else:
        # No `obj=`: WTForms would take the object's UTC times over the converted ones in
        # `data=`, and a form saved unchanged would move the round by the viewer's UTC offset.
        form = RoundForm(formdata=None, data=_form_data(round_))
    form.version.choices = [(round_.version_id, f"{round_.version.draft.title} {round_.version.label}")]
    confirm = False
    if request.method == "POST" and form.validate_on_submit():
        settings_ = _settings(form, groups, round_)
        confirm = _needs_confirmation(round_, settings_) and not form.confirm_dates.data
        if confirm:
            form.closes_at.errors = [
                _(
                    "This deadline is already past: the round would take no comments. "
                    "Check the date, or tick the box below to keep it."
                )
            ]
        else:
            done = commit_or_refuse(
                lambda: services.update_settings(db, actor=current_actor(), round_=round_, settings=settings_),
                form=form,
                field="title",
                success=_("Settings saved."),
            )
            if done:
                return redirect(url_for("rounds.settings", round_id=round_.id))
    status = 400 if request.method == "POST" else 200
    rule = services.rule_of(db, round_)
    return render_template(
        "rounds/form.html",
        form=form,
        consultation=consultation,
        groups=groups,
        round=round_,
        rule=rule,
        never_public=_never_public(groups, rule),
        editable=editable,
        stage_labels=STAGE_LABELS,
        reason_form=ReasonForm(formdata=None),
        phase=round_.phase(utcnow()),
        confirm=confirm,
    ), status
