"""Translating a version: the secretariat types or pastes each clause's translation beside the
authoritative text, all clauses on one page, matched by their stable keys.

One page per version and language, the way the version editor works: a translator's text
arrives as a document and is pasted clause by clause while reading the original beside it; a
clause left blank keeps the authoritative text for readers. (Importing a translated Markdown
file was the other way: it would have to match clauses by number, and translated files rename
the unnumbered ones: "Avant-propos", "Annexe A".)
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from consult.db import get_session
from consult.drafts import bp, services
from consult.drafts.forms import TranslationForm
from consult.drafts.models import DraftVersion
from consult.errors import Conflict
from consult.languages import CONTENT_LANGUAGES, interface_language, native_name, parse_language
from consult.policy import Permission
from consult.web import commit_or_refuse, csrf_in_form, current_actor, get_or_404, permission_required


def _target_language(version: DraftVersion, asked: str | None) -> str:
    """The language asked for; without one, the interface's language, else the first that is
    not the version's own. A malformed value, or the version's own language, is a 404."""
    if asked is None or asked == "":
        preferred = interface_language()
        if preferred != version.language:
            return preferred
        return next(code for code in CONTENT_LANGUAGES if code != version.language)
    language = parse_language(asked)
    if language is None or language == version.language:
        abort(404)
    return language


def _page(form: TranslationForm, version: DraftVersion, language: str, clauses, status: int = 200):
    rows = list(zip(clauses, form.clauses, strict=False))
    return render_template(
        "drafts/translate.html",
        form=form,
        version=version,
        draft=version.draft,
        language=language,
        rows=rows,
        languages=[code for code in CONTENT_LANGUAGES if code != version.language],
    ), status


@bp.route("/versions/<int:version_id>/translation", methods=["GET", "POST"])
@permission_required(Permission.DRAFT_MANAGE)
@csrf_in_form
def translate(version_id: int):
    """Add or correct a version's translation into one language, clause by clause (organisers)."""
    db = get_session()
    version = get_or_404(db, DraftVersion, version_id)
    clauses = services.clauses_of(db, version)
    if request.method == "GET":
        language = _target_language(version, request.args.get("language"))
        existing = services.translations_of(db, version, language)
        rows = [
            {
                "key": c.key,
                "heading": existing[c.key].heading if c.key in existing else "",
                "body": existing[c.key].body if c.key in existing else "",
            }
            for c in clauses
        ]
        form = TranslationForm(formdata=None, data={"language": language, "clauses": rows})
        return _page(form, version, language, clauses)
    form = TranslationForm()
    language = _target_language(version, form.language.data or "?")
    if form.validate_on_submit():
        try:
            done = _save(db, version, language, form)
        except IntegrityError:  # another organiser added the same clause's translation at the same moment
            db.rollback()
            raise Conflict(_("Someone else saved this translation at the same moment. Reload and try again.")) from None
        if done:
            return redirect(url_for("drafts.version", version_id=version.id, text=language))
    if not form.errors and not form.form_errors:
        form.form_errors.append(_("Check the address or the form and try again."))
    return _page(form, version, language, clauses, 400)


def _save(db, version: DraftVersion, language: str, form: TranslationForm):
    return commit_or_refuse(
        lambda: services.save_translation(
            db, actor=current_actor(), version=version, language=language, texts=form.texts()
        ),
        form=form,
        success=lambda n: ngettext(
            "The translation into %(language)s is saved (%(num)d clause changed).",
            "The translation into %(language)s is saved (%(num)d clauses changed).",
            n,
            language=native_name(language),
        ),
    )
