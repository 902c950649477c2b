"""Round pages: create, the round page, settings, transitions, and the side-by-side matrix."""

from __future__ import annotations

import inspect
import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from consult import policy
from consult.auth.queries import stakeholder_groups
from consult.comments.forms import comment_form_maker
from consult.comments.models import CommentType
from consult.consultations.models import Consultation
from consult.db import get_session, utcnow
from consult.drafts.models import Draft, DraftVersion
from consult.errors import Invalid
from consult.forms import add_error
from consult.pagecache import page_cache
from consult.policy import Permission
from consult.rounds import bp, services
from consult.rounds.forms import STAGE_LABELS, DeadlineForm, ReasonForm, RoundForm
from consult.rounds.models import Phase, Preset, Stage
from consult.rounds.queries import (
    DEFAULT_PAGE,
    MAX_PAGE,
    matrix,
    parse_after,
    parse_filters,
    round_page,
    visible_round,
)
from consult.timeutil import from_local, to_local
from consult.web import csrf_in_form, current_actor, flash_ok, get_or_404, is_safe_next, permission_required


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


def _settings(form: RoundForm, groups) -> services.RoundSettings:
    preset = Preset(form.preset.data)
    return services.RoundSettings(
        title=form.title.data or "",
        description=form.description.data or "",
        opens_at=from_local(form.opens_at.data),
        closes_at=from_local(form.closes_at.data),
        preset=preset,
        requires_signoff=form.requires_signoff.data,
        premoderation=form.premoderation.data,
        results_public=form.results_public.data,
        custom_rule=_rule_from_form(groups) if preset is Preset.CUSTOM else None,
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
        try:
            round_ = services.create_round(
                db, actor=current_actor(), consultation=consultation, version=version, settings=_settings(form, groups)
            )
        except Invalid as exc:
            add_error(form, exc, "title")
        else:
            db.commit()
            flash_ok(_("Round prepared. Check its settings, then submit it for approval."))
            return redirect(url_for("rounds.settings", round_id=round_.id))
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
        form = RoundForm(
            formdata=None,
            obj=round_,
            data={
                "version": round_.version_id,
                "opens_at": to_local(round_.opens_at),
                "closes_at": to_local(round_.closes_at),
                "preset": round_.preset.value,
            },
        )
    form.version.choices = [(round_.version_id, f"{round_.version.draft.title} {round_.version.label}")]
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_settings(db, actor=current_actor(), round_=round_, settings=_settings(form, groups))
        except Invalid as exc:
            add_error(form, exc, "title")
        else:
            db.commit()
            flash_ok(_("Settings saved."))
            return redirect(url_for("rounds.settings", round_id=round_.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "rounds/form.html",
        form=form,
        consultation=consultation,
        groups=groups,
        round=round_,
        rule=services.rule_of(db, round_),
        editable=editable,
        stage_labels=STAGE_LABELS,
        reason_form=ReasonForm(formdata=None),
        phase=round_.phase(utcnow()),
    ), status


@bp.route("/rounds/<int:round_id>")
def detail(round_id: int):
    """The round page: the draft text with each clause's visible comments, filters, the form."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    now = utcnow()
    phase = round_.phase(now)
    can_comment = (
        round_.is_open(now)
        and policy.can(current_user, Permission.COMMENT_CREATE)
        and current_user.organisation_id is not None
    )
    size = min(max(request.args.get("size", DEFAULT_PAGE, type=int) or DEFAULT_PAGE, 1), MAX_PAGE)
    after = parse_after(request.args.get("after"))
    # The comment form is rendered where the person asked for it (one form, not one per clause:
    # a page of forms costs more than the draft and its comments together).
    comment_on = request.args.get("comment_on", "")[:32]

    def render_comments() -> tuple[Markup, int, str]:
        groups = stakeholder_groups(db)
        filters = parse_filters(request.args, groups)
        page = round_page(db, round_, current_user, filters, after, size, now, groups)
        on = comment_on if comment_on == "general" or comment_on in {c.key for c in page.clauses} else ""
        html = render_template(
            "rounds/_comments.html",
            labels=_clause_labels(page),
            new_comment_form=comment_form_maker(db, round_),
            comment_on=on,
            round=round_,
            page=page,
            filters=filters,
            size=size,
            comment_types=list(CommentType),
            can_comment=can_comment,
        )
        return Markup(html), page.total, on  # noqa: S704 (a rendered, autoescaped template)  # nosec B704

    def render_page(comments: tuple[Markup, int, str], csrf_token=None) -> str:
        part, total, on = comments
        extra = {"csrf_token": csrf_token} if csrf_token else {}
        steps = {}
        if policy.can(current_user, Permission.ROUND_VIEW_UNAPPROVED):  # the forms of rounds/_actions.html
            steps = {"reason_form": ReasonForm(formdata=None), "deadline_form": DeadlineForm(formdata=None)}
        return render_template(
            "rounds/detail.html",
            comments_part=part,
            total=total,
            round=round_,
            consultation=db.get(Consultation, round_.consultation_id),
            phase=phase,
            now=now,
            can_comment=can_comment,
            **steps,
            **extra,
        )

    if comment_on:  # the form carries this session's CSRF token: never cached
        return render_page(render_comments())
    key = (
        "round",
        round_.id,
        round_.created_at,
        round_.revision,
        phase,
        can_comment,
        policy.visibility_key(current_user),
        str(get_locale()),
        str(get_timezone()),
        request.args.get("type", ""),
        request.args.get("group", "")[:12],
        request.args.get("clause", "")[:32],
        size,
        after,
    )
    cache = page_cache()
    if session.get("_flashes") or policy.can(current_user, Permission.ROUND_VIEW_UNAPPROVED):
        # A message to show once, or the organisers' steps (forms, deadline warnings): the
        # page is rendered around the cached comments part.
        return render_page(cache.get_or_make((*key, "comments"), render_comments))
    # The whole page, cached with a stand-in for the CSRF token (the sign-out form's), which
    # is put in per response: the stand-in is random per process, so no text can forge it.
    page = cache.get_or_make((*key, "page"), lambda: render_page(render_comments(), lambda: _CSRF_STAND_IN))
    return page.replace(_CSRF_STAND_IN, generate_csrf())


_CSRF_STAND_IN = f"csrf-{secrets.token_hex(16)}"


def _clause_labels(page) -> dict[str | None, tuple[str, str]]:
    """Each section's "n comments you can see" and "Comment on ..." texts, translated here in
    one go (through the template's gettext they cost more than the rest of the section)."""
    translations = get_translations()
    ngettext, gettext = translations.ngettext, translations.gettext
    comment_on = gettext("Comment on %(what)s")
    labels = {}
    for key, what in [(None, gettext("the whole text")), *((c.key, c.number) for c in page.clauses)]:
        n = page.counts.get(key, 0)
        count = ngettext("%(num)d comment you can see", "%(num)d comments you can see", n) % {"num": n}
        labels[key] = (count, comment_on % {"what": what})
    return labels


@bp.route("/rounds/<int:round_id>/matrix")
def matrix_view(round_id: int):
    """Side by side: clauses as rows, stakeholder groups as columns, visible positions in cells."""
    db = get_session()
    round_ = visible_round(db, current_user, round_id)
    groups, rows = matrix(db, round_, current_user, utcnow())
    show = request.args.get("show", "all")
    if show == "divergent":
        rows = [r for r in rows if r.divergent]
    elif show == "uncommented":
        rows = [r for r in rows if r.total == 0]
    return render_template(
        "rounds/matrix.html",
        round=round_,
        groups=groups,
        rows=rows,
        show=show,
        consultation=db.get(Consultation, round_.consultation_id),
    )


# --- Transitions: each a POST with a reason where one is needed --------------------------


def _transition(round_id: int, action, success: str, form_class=ReasonForm):
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
        try:
            action(db, actor=current_actor(), round_=round_, **kwargs)
        except Invalid as exc:
            flash(str(exc), "error")
            return redirect(target)
        db.commit()
        flash_ok(success)
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
    return _transition(round_id, services.approve_round, _("Round approved. It opens and closes at the times set."))


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
