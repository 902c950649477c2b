"""Email preferences, one-click unsubscribe, and the organiser's digest composer and progress."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from consult import i18n, mail, policy
from consult.auth.models import User
from consult.consultations.models import Consultation
from consult.db import get_session
from consult.digests import bp, services
from consult.digests.forms import UNSUBSCRIBE_LABELS, ConfirmForm, DigestForm, PreferencesForm
from consult.digests.models import Digest, DigestFrequency
from consult.digests.preferences import preference_or_default, switches_for
from consult.digests.render import digest_content_for, read_unsubscribe_token
from consult.extensions import csrf
from consult.policy import Permission
from consult.web import create_once, csrf_in_form, flash_ok, get_or_404, permission_required


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@csrf_in_form
def preferences():
    """Choose the digest frequency and which notifications arrive."""
    db = get_session()
    form = PreferencesForm()
    offered = switches_for(_me())
    if request.method == "GET":
        pref = preference_or_default(db, _me())
        form.digest_frequency.data = pref.digest_frequency.value
        for notice in offered:
            getattr(form, notice.value).data = pref.wants(notice)
    elif form.validate_on_submit():
        services.update_preferences(
            db,
            actor=_me(),
            frequency=DigestFrequency(form.digest_frequency.data),
            switches={notice: getattr(form, notice.value).data for notice in offered},
        )
        db.commit()
        flash_ok(_("Your email settings are saved."))
        return redirect(url_for("digests.preferences"))
    status = 400 if form.errors else 200
    switches = [getattr(form, notice.value) for notice in offered]
    return render_template("digests/preferences.html", form=form, switches=switches), status


def _token_or_404(token: str) -> tuple[int, str]:
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    return found


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe_confirm(token: str):
    """Ask before unsubscribing: a link opened by a mail scanner must not unsubscribe anyone."""
    user_id, notice = _token_or_404(token)
    return render_template(
        "digests/unsubscribe.html", form=ConfirmForm(), token=token, done=False, what=UNSUBSCRIBE_LABELS.get(notice)
    )


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058 one-click: the mail program POSTs without a session; the signed token is the proof
def unsubscribe(token: str):
    """Unsubscribe without signing in (the link's token is signed for this purpose only)."""
    user_id, notice = _token_or_404(token)
    db = get_session()
    services.unsubscribe(db, user_id=user_id, notice=notice)
    db.commit()
    return render_template(
        "digests/unsubscribe.html", form=None, token=token, done=True, what=UNSUBSCRIBE_LABELS.get(notice)
    )


def _consultation_or_404(db, consultation_id: int) -> Consultation:
    consultation = get_or_404(db, Consultation, consultation_id)
    if not policy.can_read_consultation(current_user, consultation):
        abort(404)
    return consultation


def _preview_choices(db) -> list[tuple[int, str]]:
    people = db.scalars(select(User).where(User.is_active_flag.is_(True)).order_by(User.display_name).limit(500))
    return [(person.id, f"{person.display_name} ({person.email})") for person in people]


def _preview_html(content, intro: str, recipient: User) -> Markup:
    """The digest's sections as `recipient` would read them: their language and timezone."""
    with mail.recipient_locale(i18n.email_locale(recipient)), mail.recipient_timezone(recipient.timezone):
        html = render_template("email/_sections.html", content=content, intro=intro)
    mail.end_recipient_context()
    return Markup(html)  # noqa: S704 (an autoescaped .html template's output)  # nosec B704


# The composer's steps, named by the button pressed.
PREVIEW, REVIEW, SEND = "preview", "review", "send"


@bp.route("/consultations/<int:consultation_id>/digests/new", methods=["GET", "POST"])
@permission_required(Permission.DIGEST_SEND)
@csrf_in_form
def compose(consultation_id: int):
    """Write a digest's introduction, preview it as any recipient, review who receives it, send it."""
    db = get_session()
    consultation = _consultation_or_404(db, consultation_id)
    form = DigestForm(formdata=request.form if request.method == "POST" else None)
    form.recipient.choices = _preview_choices(db)
    step = request.form.get("step", PREVIEW) if request.method == "POST" else None
    valid = step is not None and form.validate_on_submit()
    if valid and step == SEND:
        done = create_once(
            form,
            lambda: services.send_digest(db, actor=_me(), consultation=consultation, intro=form.intro.data or ""),
            purpose="digest",
            url_of=lambda digest: url_for("digests.detail", digest_id=digest.id),
            success=lambda digest: ngettext(
                "The digest is on its way to %(num)d person.",
                "The digest is on its way to %(num)d people.",
                services.progress(db, digest)["total"],
            ),
            field="intro",
        )
        if done:
            return redirect(done.url)
    preview_user = db.get(User, form.recipient.data) if valid and step == PREVIEW and form.recipient.data else None
    preview = preview_html = None
    if preview_user is not None:
        preview = digest_content_for(db, services.draft_digest(db, consultation, form.intro.data or ""), preview_user)
        preview_html = _preview_html(preview, form.intro.data or "", preview_user)
    audience = services.digest_audience(db) if valid and step == REVIEW else None
    status = 400 if form.errors else 200
    return render_template(
        "digests/compose.html",
        consultation=consultation,
        form=form,
        preview_user=preview_user,
        preview=preview,
        preview_html=preview_html,
        preview_locale=i18n.email_locale(preview_user) if preview_user else None,
        audience=audience,
    ), status


@bp.route("/digests/<int:digest_id>")
@permission_required(Permission.DIGEST_SEND)
def detail(digest_id: int):
    """A sent digest's progress: queued, sent, failed."""
    db = get_session()
    digest = get_or_404(db, Digest, digest_id)
    consultation = db.get(Consultation, digest.consultation_id)
    counts = services.progress(db, digest)
    return render_template(
        "digests/detail.html", digest=digest, consultation=consultation, counts=counts, form=ConfirmForm()
    )


@bp.route("/digests/<int:digest_id>/retry", methods=["POST"])
@permission_required(Permission.DIGEST_SEND)
def retry(digest_id: int):
    """Send the digest's failed messages again."""
    db = get_session()
    digest = get_or_404(db, Digest, digest_id)
    count = services.retry_failed(db, actor=_me(), digest=digest)
    db.commit()
    flash_ok(ngettext("%(num)d failed message queued again.", "%(num)d failed messages queued again.", count))
    return redirect(url_for("digests.detail", digest_id=digest.id))
