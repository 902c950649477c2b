"""What every response shares: security headers, CSRF, error pages, template helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, g, render_template, request
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from consult import i18n, policy, submissions, timeutil
from consult.db import get_session
from consult.errors import DomainError, Invalid
from consult.extensions import csrf
from consult.forms import BaseForm, OnceForm, add_error
from consult.markup import lines, markdown, safe_html
from consult.timeutil import localtime, to_local

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Browsers that saw the site over HTTPS keep to it for a year (wapiti's http_headers finding).
HSTS = "max-age=31536000; includeSubDomains"
ERROR_STATUSES = (400, 403, 404, 405, 409, 413, 429, 500)
# Lazy, so that pybabel extracts them and each request gets its own language.
ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    409: _l("Someone else changed this first"),
    413: _l("The upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}

# Views whose form validates the CSRF token itself (so that a stale token re-shows the form
# with the person's input); every other state-changing request is checked before the view.
_FORM_CHECKED: set[str] = set()


def csrf_in_form(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose FlaskForm checks CSRF and re-shows the input when the token is stale."""
    _FORM_CHECKED.add(f"{view.__module__}.{view.__name__}")
    return view


def _check_csrf() -> None:
    if request.method in {"GET", "HEAD", "OPTIONS", "TRACE"}:
        return
    view = request.url_rule and request.endpoint and _view_function()
    if view is not None and f"{view.__module__}.{view.__name__}" in _FORM_CHECKED:
        return
    if view is not None and f"{view.__module__}.{view.__name__}" in csrf._exempt_views:
        return  # marked with @csrf.exempt, saying why (the RFC 8058 one-click unsubscribe)
    csrf.protect()


def _view_function() -> Callable[..., Any] | None:
    from flask import current_app

    return current_app.view_functions.get(request.endpoint)


def _refuse_nul() -> None:
    """A NUL character in a parameter is malformed input (PostgreSQL refuses it in text): 400."""
    from flask import abort

    if any("\x00" in value for value in request.args.values()):
        abort(400)
    if any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
        abort(400)
    if request.method not in {"GET", "HEAD", "OPTIONS"} and any("\x00" in v for v in request.form.values()):
        abort(400)


def is_safe_next(target: str | None) -> bool:
    """Whether `target` is a path on this host (a `next=` never leaves it)."""
    if not target or len(target) > 2000:
        return False
    if any(ch in target for ch in "\\\r\n\t") or not target.startswith("/"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


# Rooms that answer in another format register a renderer for their paths (the JSON API:
# RFC 9457 problem details under /api/); everywhere else errors are the site's HTML pages.
_ERROR_RENDERERS: dict[str, Callable[[int, str | None], Any]] = {}


def register_error_renderer(prefix: str, renderer: Callable[[int, str | None], Any]) -> None:
    """Errors of requests whose path starts with `prefix` are answered by `renderer(status, message)`."""
    _ERROR_RENDERERS[prefix] = renderer


def _renderer() -> Callable[[int, str | None], Any] | None:
    for prefix, renderer in _ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return renderer
    return None


def error_page(status: int, message: str | None = None) -> Any:
    """Render the error page for `status` in the site's layout."""
    renderer = _renderer()
    if renderer is not None:
        return renderer(status, message)
    title = str(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    renderer = _renderer()
    if renderer is not None and status >= 400:
        response = renderer(status, None)
        for name, value in exc.get_headers() if status in (405, 429) else []:
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response
    if status not in ERROR_STATUSES:
        return exc
    message = None
    if status == 429:
        message = _("You have tried this too often. Please wait a minute and try again.")
    elif status == 413:
        message = _("The file or text you sent is larger than we accept.")
    return error_page(status, message)


def _handle_csrf(exc: CSRFError) -> Any:
    message = _(
        "This page had been open too long, or your session ended, so the action was not "
        "carried out. Go back, reload the page, and try again."
    )
    return error_page(400, message)


def _handle_domain(exc: DomainError) -> Any:
    return error_page(exc.status, str(exc))


def _handle_500(exc: Exception) -> Any:
    return error_page(500)


def _security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:  # over HTTPS (directly, or behind a proxy trusted with CONSULT_PROXY_FIX)
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def _localdate(value: Any, fmt: str = "long") -> str:
    return format_date(value, fmt) if value is not None else ""


def _number(value: Any) -> str:
    """A count or figure written the way the viewer's language writes numbers (`|number`)."""
    return format_decimal(value) if value is not None else ""


def _list_of(items: Any) -> Markup:
    """Pieces of a sentence joined the way the viewer's language lists things ("3 added, 2
    removed and 1 changed"; "新增3条、删除2条和修改1条"): `|list_of`. Each piece is escaped."""
    from babel.lists import format_list

    pieces = [str(escape(item)) for item in items if item]
    if not pieces:
        return Markup("")
    return Markup(format_list(pieces, locale=get_locale()))  # noqa: S704 (escaped pieces, CLDR's commas)  # nosec B704


def _local_input(value: Any) -> str:
    """A `datetime-local` input's value: the time in the viewer's timezone, to the minute."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value is not None else ""


def _machine_time(value: Any) -> str:
    """A `<time datetime>` value: dates as is, datetimes in UTC to the second (HTML allows at most
    three digits of a fraction, and isoformat() writes six)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def flash_ok(message: str) -> None:
    """A success message for the next page (none when the next page says it itself)."""
    if message:
        flash(message, "success")


@dataclass(frozen=True)
class Outcome:
    """What `commit_or_refuse` did: committed (true, with what the service returned) or refused."""

    ok: bool
    value: Any = None
    url: str = ""  # `create_once`: where the result is (the first one, for a form sent again)

    def __bool__(self) -> bool:
        return self.ok


def commit_or_refuse(
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    form: BaseForm | None = None,
    field: str | None = None,
    refusals: tuple[type[Exception], ...] = (Invalid,),
) -> Outcome:
    """Run a view's one service call and end the request's transaction with it.

    When the service refuses (one of `refusals`), roll back and say why: on `form` (on the
    field the refusal names, else on `field`, else above the form), or with no form as an
    error message for the next page. Otherwise commit once and flash `success` (a message, or
    a function of what the service returned). The view then redirects, or shows the form again.
    """
    db = get_session()
    try:
        value = action()
    except refusals as exc:
        db.rollback()
        if form is not None:
            add_error(form, exc, field)
        else:
            flash(str(exc), "error")
        return Outcome(False)
    db.commit()
    flash_ok(success(value) if callable(success) else success)
    return Outcome(True, value)


def create_once(
    form: OnceForm,
    action: Callable[[], Any],
    *,
    purpose: str,
    url_of: Callable[[Any], str],
    success: str | Callable[[Any], str],
    field: str | None = None,
    refusals: tuple[type[Exception], ...] = (Invalid,),
) -> Outcome:
    """`commit_or_refuse` for a form that creates something, sent at most once: the same form
    sent again (a double click, a re-sent page) leads to the first result (`Outcome.url`) and
    creates nothing (`consult.submissions`)."""
    db = get_session()
    actor = current_actor()
    nonce = (form.nonce.data or "")[: submissions.MAX_NONCE]
    found = submissions.earlier(db, actor.id, nonce)
    if found is not None:
        flash(_("This form had already been sent: nothing was done twice."), "info")
        return Outcome(True, None, found.result_url)

    def create_and_remember() -> Any:
        value = action()
        submissions.remember(db, actor.id, nonce, purpose, url_of(value))
        return value

    try:
        done = commit_or_refuse(create_and_remember, success=success, form=form, field=field, refusals=refusals)
    except IntegrityError:  # the same form, sent twice at the same moment: the other one won
        db.rollback()
        found = submissions.earlier(db, actor.id, nonce)
        if found is None:
            raise
        flash(_("This form had already been sent: nothing was done twice."), "info")
        return Outcome(True, None, found.result_url)
    return Outcome(done.ok, done.value, url_of(done.value) if done.ok else "")


def init_app(app: Flask) -> None:
    """Register headers, CSRF checking, error pages and template helpers."""
    app.before_request(_refuse_nul)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.after_request(timeutil.fill_relative)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(500, _handle_500)
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(_localdate, "localdate")
    app.add_template_filter(_machine_time, "machine_time")
    app.add_template_filter(_local_input, "local_input")
    app.add_template_filter(_number, "number")
    app.add_template_filter(_list_of, "list_of")
    app.add_template_filter(safe_html, "safe_html")  # HTML stored from Markdown, cleaned again
    app.add_template_filter(markdown, "markdown")  # Markdown source, rendered and cleaned
    app.add_template_filter(lines, "lines")  # plain text with its line breaks kept, escaped
    app.add_template_filter(timeutil.relative, "relative")  # "in 2 days", "3 hours ago"
    app.add_template_filter(timeutil.relative_mark, "relative_later")  # the same, as of each response
    app.add_template_filter(timeutil.duration, "duration")  # "3 days" (how long something waited)
    app.jinja_env.globals.update(
        can=lambda permission, subject=None: policy.can(current_user, permission, subject),
        round_steps=lambda round_, phase: policy.round_steps(current_user, round_, phase),
        comment_steps=lambda comment, round_open: policy.comment_steps(current_user, comment, round_open),
        Permission=policy.Permission,
        RoundStep=policy.RoundStep,
        CommentStep=policy.CommentStep,
        ROLE_LABELS=policy.ROLE_LABELS,
        text_direction=i18n.direction,
        language_choices=i18n.choices,
        page_direction=lambda: i18n.direction(get_locale()),
        page_language=lambda: i18n.html_lang(get_locale()),
        current_language=lambda: str(get_locale()),
    )

    @app.context_processor
    def _request_globals() -> dict[str, Any]:
        return {"current_user": current_user, "g": g}


def permission_required(permission: policy.Permission) -> Callable[..., Any]:
    """Let a view run only for people whose role grants `permission` (others: sign in or 403)."""
    from functools import wraps

    from flask import abort

    from consult.extensions import login_manager

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not policy.can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_actor() -> Any:
    """The signed-in user as a model instance (what services take as `actor`)."""
    return current_user._get_current_object()


def get_or_404(session: Any, model: type, ident: int) -> Any:
    """The row of `model` with primary key `ident`, or a 404."""
    from flask import abort

    obj = session.get(model, ident) if 0 < ident < 2**62 else None
    if obj is None:
        abort(404)
    return obj
