"""Draft pages: a draft and its versions, a version's text, new versions typed or imported,
and the clause-by-clause comparison of two versions."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult import policy
from consult.consultations.models import Consultation
from consult.db import get_session
from consult.drafts import bp, services
from consult.drafts.forms import POSITION_STEP, ClausesForm, ImportForm, NewDraftForm, ReferenceForm
from consult.drafts.importer import MAX_BYTES, MarkdownImportError
from consult.drafts.models import Clause, Draft, DraftVersion
from consult.errors import Conflict, Invalid
from consult.markup import safe_html
from consult.policy import Permission
from consult.web import commit_or_refuse, create_once, csrf_in_form, current_actor, get_or_404, permission_required

FIRST_ROWS = 5  # empty rows offered for a new draft's first version
STATUS_LABELS = {
    "added": _l("added"),
    "removed": _l("removed"),
    "changed": _l("changed"),
    "unchanged": _l("unchanged"),
}


def _readable(db, consultation_id: int) -> Consultation:
    """The consultation, or a 404 when it is missing or the viewer may not read it."""
    consultation = db.get(Consultation, consultation_id)
    if not policy.can_read_consultation(current_user, consultation):
        abort(404)  # the same answer whether it is missing or hidden
    return consultation


def _draft_or_404(db, draft_id: int) -> tuple[Draft, Consultation]:
    draft = get_or_404(db, Draft, draft_id)
    return draft, _readable(db, draft.consultation_id)


def _versions(db, draft: Draft) -> list[DraftVersion]:
    stmt = select(DraftVersion).where(DraftVersion.draft_id == draft.id).order_by(DraftVersion.number)
    return list(db.scalars(stmt))


def _read_upload(upload) -> bytes:
    return upload.read(MAX_BYTES + 1)  # one byte more, so the importer can tell it is too large


def _conflict() -> Conflict:
    return Conflict(_("Someone else saved a version of this draft at the same moment. Reload and try again."))


@bp.route("/drafts/<int:draft_id>")
def detail(draft_id: int):
    """A draft and its versions, with links to compare each with the one before."""
    db = get_session()
    draft, consultation = _draft_or_404(db, draft_id)
    versions = _versions(db, draft)
    counts = dict(
        db.execute(
            select(Clause.version_id, func.count(Clause.id))
            .where(Clause.version_id.in_([v.id for v in versions]))
            .group_by(Clause.version_id)
        ).all()
    )
    reference_form = ReferenceForm(formdata=None, data={"reference": draft.reference})
    return render_template(
        "drafts/detail.html",
        draft=draft,
        consultation=consultation,
        versions=versions,
        counts=counts,
        reference_form=reference_form,
    )


@bp.route("/drafts/<int:draft_id>/reference", methods=["POST"])
@permission_required(Permission.DRAFT_MANAGE)
def set_reference(draft_id: int):
    """Set the draft's document reference (the comment table's sheet title)."""
    db = get_session()
    draft, _consultation = _draft_or_404(db, draft_id)
    form = ReferenceForm()
    if not form.validate():
        raise Invalid(" ".join(str(e) for errors in form.errors.values() for e in errors))
    commit_or_refuse(
        lambda: services.set_reference(db, actor=current_actor(), draft=draft, reference=form.reference.data or ""),
        success=_("Document reference saved."),
    )
    return redirect(url_for("drafts.detail", draft_id=draft.id))


@bp.route("/versions/<int:version_id>")
def version(version_id: int):
    """A version's clauses in order, each with an anchor on its stable key."""
    db = get_session()
    current = get_or_404(db, DraftVersion, version_id)
    consultation = _readable(db, current.draft.consultation_id)
    versions = _versions(db, current.draft)
    previous = next((v for v in versions if v.number == current.number - 1), None)
    return render_template(
        "drafts/version.html",
        version=current,
        draft=current.draft,
        consultation=consultation,
        clauses=services.clauses_of(db, current),
        previous=previous,
        latest=versions[-1],
        safe_html=safe_html,
    )


@bp.route("/drafts/<int:draft_id>/compare")
def compare(draft_id: int):
    """Two versions side by side, clause by clause, with words removed and added marked."""
    db = get_session()
    draft, consultation = _draft_or_404(db, draft_id)
    versions = _versions(db, draft)
    if not versions:
        abort(404)
    by_id = {v.id: v for v in versions}

    def pick(name: str, default: DraftVersion) -> DraftVersion:
        raw = request.args.get(name, "")
        if not raw:
            return default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or int(raw) not in by_id:
            abort(404)  # not a version, or a version of another draft
        return by_id[int(raw)]

    old = pick("from", versions[-2] if len(versions) > 1 else versions[-1])
    new = pick("to", versions[-1])
    rows = services.compare(db, old, new) if old.id != new.id else []
    totals = {status: sum(1 for r in rows if r.status == status) for status in STATUS_LABELS}
    return render_template(
        "drafts/compare.html",
        draft=draft,
        consultation=consultation,
        versions=versions,
        old=old,
        new=new,
        rows=rows,
        totals=totals,
        status_labels=STATUS_LABELS,
    )


def _new_draft_page(form: NewDraftForm, consultation: Consultation, problems=(), status: int = 200, focus: str = ""):
    return (
        render_template("drafts/new.html", form=form, consultation=consultation, problems=problems, focus=focus),
        status,
    )


def _rearranged(form: ClausesForm) -> tuple[ClausesForm, str, int] | None:
    """After the editor's move or insert button: the form again with the clauses rearranged and
    the control to focus (nothing saved), or None for any other button. A stale CSRF token
    gives the posted form back as it was, with the token's message."""
    again = form.rearranged(request.form)
    if again is None:
        return None
    if not form.csrf_token.validate(form):
        return form, "", 400
    return (*again, 200)


@bp.route("/consultations/<int:consultation_id>/drafts/new", methods=["GET", "POST"])
@permission_required(Permission.DRAFT_MANAGE)
@csrf_in_form
def create(consultation_id: int):
    """Add a draft to a consultation with its first version, typed or imported (organisers)."""
    db = get_session()
    consultation = get_or_404(db, Consultation, consultation_id)
    if request.method == "GET":
        form = NewDraftForm(formdata=None)
        form.add_rows(FIRST_ROWS)
        return _new_draft_page(form, consultation)
    form = NewDraftForm()  # the posted fields and the uploaded file
    if "add_rows" in request.form:  # "More rows": show the form again, saving nothing
        form.add_rows()
        return _new_draft_page(form, consultation)
    if (again := _rearranged(form)) is not None:
        again_form, focus, status = again
        return _new_draft_page(again_form, consultation, status=status, focus=focus)
    problems: list[str] = []
    if form.validate_on_submit():
        clauses, upload = form.clause_texts(), form.file.data
        if upload and clauses:
            form.file.errors = [_("Either type the clauses or import a file, not both.")]
        elif not upload and not clauses:
            form.form_errors.append(_("Type at least one clause, or choose a Markdown file to import."))
        else:

            def create_draft() -> Draft:
                draft = services.create_draft(
                    db,
                    actor=current_actor(),
                    consultation=consultation,
                    title=form.title.data,
                    reference=form.reference.data or "",
                )
                if upload:
                    services.import_version(
                        db, actor=current_actor(), draft=draft, data=_read_upload(upload), note=form.note.data or ""
                    )
                else:
                    services.create_version(
                        db, actor=current_actor(), draft=draft, clauses=clauses, note=form.note.data or ""
                    )
                return draft

            try:
                done = create_once(
                    form,
                    create_draft,
                    purpose="draft",
                    url_of=lambda draft: url_for("drafts.detail", draft_id=draft.id),
                    success=lambda draft: _(
                        "The draft “%(title)s” is created with its first version.", title=draft.title
                    ),
                )
            except MarkdownImportError as exc:
                db.rollback()
                problems = [str(p) for p in exc.problems]
            else:
                if done:
                    return redirect(done.url)
    return _new_draft_page(form, consultation, problems, 400)


def _editor_page(form: ClausesForm, draft: Draft, base: DraftVersion | None, status: int = 200, focus: str = ""):
    db = get_session()
    base_clauses = {c.key: c for c in services.clauses_of(db, base)} if base else {}
    page = render_template(
        "drafts/edit.html", form=form, draft=draft, base=base, base_clauses=base_clauses, focus=focus
    )
    return page, status


@bp.route("/drafts/<int:draft_id>/versions/new", methods=["GET", "POST"])
@permission_required(Permission.DRAFT_MANAGE)
@csrf_in_form
def new_version(draft_id: int):
    """The next version, edited clause by clause from the latest one (organisers)."""
    db = get_session()
    draft = get_or_404(db, Draft, draft_id)
    base = services.latest_version(db, draft)
    if request.method == "GET":
        rows = [
            {"key": c.key, "number": c.number, "heading": c.heading, "body": c.body, "position": i * POSITION_STEP}
            for i, c in enumerate(services.clauses_of(db, base) if base else [], start=1)
        ]
        form = ClausesForm(formdata=None, data={"clauses": rows})
        if not rows:
            form.add_rows()
        return _editor_page(form, draft, base)
    form = ClausesForm()
    if "add_rows" in request.form:
        form.add_rows()
        return _editor_page(form, draft, base)
    if (again := _rearranged(form)) is not None:
        again_form, focus, status = again
        return _editor_page(again_form, draft, base, status, focus)
    if form.validate_on_submit():
        stale = request.form.get("base", "") != str(base.number if base else 0)

        def create_version():
            if stale:  # checked after the form's nonce: the same form sent again leads to its version
                raise Conflict(_("Someone saved a new version meanwhile. Open the editor again to start from it."))
            return services.create_version(
                db, actor=current_actor(), draft=draft, clauses=form.clause_texts(), note=form.note.data or ""
            )

        try:
            done = create_once(
                form,
                create_version,
                purpose="version",
                url_of=lambda created: url_for("drafts.version", version_id=created.id),
                success=lambda created: _("Version %(n)d is saved.", n=created.number),
                refusals=(Invalid, Conflict),
            )
        except IntegrityError:
            db.rollback()
            raise _conflict() from None
        if done:
            return redirect(done.url)
        if stale:
            return _editor_page(form, draft, base, 409)
    return _editor_page(form, draft, base, 400)


def _import_page(form: ImportForm, draft: Draft, problems=(), status: int = 200):
    return render_template("drafts/import.html", form=form, draft=draft, problems=problems), status


@bp.route("/drafts/<int:draft_id>/import", methods=["GET", "POST"])
@permission_required(Permission.DRAFT_MANAGE)
@csrf_in_form
def import_version(draft_id: int):
    """The next version from a Markdown file; every problem is listed with its line (organisers)."""
    db = get_session()
    draft = get_or_404(db, Draft, draft_id)
    if request.method == "GET":
        return _import_page(ImportForm(formdata=None), draft)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            done = create_once(
                form,
                lambda: services.import_version(
                    db, actor=current_actor(), draft=draft, data=_read_upload(form.file.data), note=form.note.data or ""
                ),
                purpose="version",
                url_of=lambda created: url_for("drafts.version", version_id=created.id),
                success=lambda created: _("Version %(n)d is imported.", n=created.number),
            )
        except MarkdownImportError as exc:
            db.rollback()
            problems = [str(p) for p in exc.problems]
        except IntegrityError:
            db.rollback()
            raise _conflict() from None
        else:
            if done:
                return redirect(done.url)
    return _import_page(form, draft, problems, 400)
