"""Every page of the demo, as every demo login and as an anonymous visitor, at 390 and 1280 px:
no page scrolls sideways (the failure names the page and the widest element), and axe-core finds
nothing serious or critical (WCAG 2.1 A/AA).

The pages are found by crawling: from each person's home page, every same-origin link that a
GET follows (not signing out, not file downloads), breadth first, a bounded number of pages per
person and of URLs of one shape (`/rounds/<n>/comments/<n>` is read twice, not once per comment).
One browser; one context per person, its page loaded once at 1280 px and measured again at
390 px after the viewport shrinks (media queries apply on resize, no reload needed).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from config import TestingConfig
from consult import create_app
from consult.demo import ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.conftest import _free_port
from tests.load.server import CSRF_RE, gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 390)
NARROW = 390
MAX_PAGES_PER_PERSON = 45  # the crawl's bound per person (the demo has fewer shapes than this)
PER_SHAPE = 2  # URLs of one shape read per person: ids and values differ, the layout does not
# Not followed: signing out, files (exports, downloads, the API's JSON), the API's Swagger UI (a
# vendored page of its own), and URLs whose last part names a file.
SKIP_PATH = re.compile(
    r"^/(logout|api/|static/)|/(export|download)s?(/|$)|\.(csv|xlsx|docx|pdf|json|md|txt|zip|ics)$|/briefing-jobs/"
)

# The element that sticks out furthest to the right, when the page scrolls sideways: elements
# inside a box that scrolls or clips on its own do not count (they do not widen the page).
WIDEST = """() => {
    const doc = document.documentElement;
    const over = doc.scrollWidth - window.innerWidth;
    if (over <= 0) return null;
    const clipped = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const x = getComputedStyle(p).overflowX;
            if (x === 'auto' || x === 'scroll' || x === 'hidden' || x === 'clip') return true;
        }
        return false;
    };
    // Content of a closed <details> takes no room; a box that scrolls on its own clips what it
    // holds, but not an absolutely positioned descendant whose containing block lies outside it:
    // such an element is named when nothing else sticks out.
    const shown = (el) => !el.closest('details:not([open]) > :not(summary)');
    let widest = null, right = window.innerWidth, fallback = null, fallbackRight = window.innerWidth;
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right <= window.innerWidth + 0.5 || !shown(el)) continue;
        if (!clipped(el)) { if (r.right > right) { widest = el; right = r.right; } }
        else if (r.right > fallbackRight) { fallback = el; fallbackRight = r.right; }
    }
    if (!widest) { widest = fallback; right = fallbackRight; }
    const describe = (el) => {
        if (!el) return 'no single element';
        let name = el.tagName.toLowerCase();
        if (el.id) name += '#' + el.id;
        if (el.classList.length) name += '.' + [...el.classList].join('.');
        return name;
    };
    const path = [];
    for (let el = widest; el && el !== document.body && path.length < 4; el = el.parentElement) {
        path.unshift(describe(el));
    }
    const text = widest ? (widest.innerText || widest.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60) : '';
    return {over, element: path.join(' > ') || 'no single element', right: Math.round(right), text};
}"""


@dataclass
class Person:
    """Someone the crawl signs in as (no email: an anonymous visitor)."""

    email: str = ""
    staff: bool = False
    role: str = "anonymous"

    @property
    def label(self) -> str:
        return self.email or "anonymous"


@dataclass
class Findings:
    pages: int = 0
    widths: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # axe-core runs once per role and page shape at 390 px (two participants of different groups
    # read the same template with other comments in it; their widths are still measured), and
    # once per page shape at 1280 px (the wide layout of the same markup): to keep the test's
    # time in CI bounded.
    audited: set[tuple[str, str, int]] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    out: Path = Path()
    saved: dict[Path, str] = field(default_factory=dict)  # file -> who read which page
    seconds: dict[str, float] = field(default_factory=lambda: {"load": 0.0, "width": 0.0, "axe": 0.0})


def _people() -> list[Person]:
    from consult.auth.models import Role

    staff = {Role.MODERATOR, Role.ORGANISER, Role.ADMIN}
    return [Person()] + [Person(email, role in staff, role.value) for email, _name, role, _org, _tz in ACCOUNTS]


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn serving a fresh SQLite database with the demo loaded (`flask demo load`)."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('demo-db') / 'demo.sqlite3'}"
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**config, "DATABASE_URL": database_url})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "load"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    app.extensions["consult.db"].engine.dispose()
    log = tmp_path_factory.mktemp("demo-log") / "gunicorn.log"
    with gunicorn(database_url, workers=2, log=log, port=_free_port(), REDIS_URL="") as base:
        yield base


def _sign_in(context, person: Person) -> None:
    """Sign in through the forms (by request: the journeys test the pages themselves)."""
    import pyotp

    token = CSRF_RE.search(context.request.get("/login").text()).group(1)
    response = context.request.post(
        "/login", form={"csrf_token": token, "email": person.email, "password": DEMO_PASSWORD}
    )
    assert response.ok, f"sign-in as {person.email}: {response.status}"
    if person.staff:
        step = "/login/second-factor"
        token = CSRF_RE.search(context.request.get(step).text()).group(1)
        response = context.request.post(step, form={"csrf_token": token, "code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
        assert response.ok, f"second factor of {person.email}: {response.status}"
    assert "Sign out" in context.request.get("/").text(), f"{person.email} is not signed in"


def _shape(path: str, query: str) -> str:
    """The URL with its numbers and values taken out: pages of one shape share one layout."""
    keys = sorted({k for k, _v in parse_qsl(query, keep_blank_values=True)})
    return re.sub(r"/\d+", "/<n>", path) + ("?" + "&".join(keys) if keys else "")


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(a => a.href)")
    origin = urlsplit(base)
    found = []
    for href in hrefs:
        url = urlsplit(urljoin(page.url, href))
        if (url.scheme, url.netloc) != (origin.scheme, origin.netloc) or SKIP_PATH.search(url.path):
            continue
        query = urlencode(parse_qsl(url.query, keep_blank_values=True))
        found.append(url.path + ("?" + query if query else ""))
    return found


def _crawl(browser, base: str, person: Person, axe_source: str, findings: Findings) -> None:
    context = browser.new_context(base_url=base, locale="en-GB", viewport={"width": WIDTHS[0], "height": 900})
    context.set_default_timeout(20_000)
    try:
        if person.email:
            _sign_in(context, person)
        page = context.new_page()
        queue: deque[str] = deque(["/"])
        seen: set[str] = {"/"}
        shapes: dict[str, int] = {}
        visited = 0
        # A second person of a role already crawled (another participant, the second
        # moderator) reads each shape once: the first read its variants.
        per_shape = 1 if person.role in findings.roles else PER_SHAPE
        findings.roles.add(person.role)
        widths = list(WIDTHS)
        while queue and visited < MAX_PAGES_PER_PERSON:
            path = queue.popleft()
            split = urlsplit(path)
            shape = _shape(split.path, split.query)
            if shapes.get(shape, 0) >= per_shape:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            clock = time.monotonic()
            response = page.goto(path)
            findings.seconds["load"] += time.monotonic() - clock
            if response is None or response.status >= 400:
                findings.errors.append(f"{person.label} {path}: {response.status if response else 'no response'}")
                continue
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            visited += 1
            findings.pages += 1
            for link in _links(page, base):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
            # Measured at the width the page was loaded at, then at the other (one resize a page).
            for width in widths:
                if width != widths[0]:
                    page.set_viewport_size({"width": width, "height": 900})
                clock = time.monotonic()
                wide = page.evaluate(WIDEST)
                findings.seconds["width"] += time.monotonic() - clock
                if wide:
                    findings.widths.append(
                        f"{person.label} {path} at {width}px scrolls sideways by {wide['over']}px: "
                        f"{wide['element']} (right edge {wide['right']}px) “{wide['text']}”"
                    )
                audit = (person.role if width == NARROW else "", shape, width)
                if audit not in findings.audited:
                    findings.audited.add(audit)
                    if width == NARROW:  # its HTML, for the Nu HTML checker at the end
                        saved = findings.out / f"{len(findings.saved) + 1:03d}.html"
                        saved.write_text(page.content(), encoding="utf-8")
                        findings.saved[saved] = f"{person.label} {path}"
                    clock = time.monotonic()
                    _axe(page, axe_source, f"{person.label} {path} at {width}px", findings)
                    findings.seconds["axe"] += time.monotonic() - clock
            widths.reverse()
    finally:
        context.close()


def _axe(page, axe_source: str, where: str, findings: Findings) -> None:
    from tests.browser.conftest import AXE_TAGS, BLOCKING_IMPACTS

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            findings.axe.append(f"{where}: {violation['impact']} {violation['id']} ({violation['help']}) at {targets}")


def test_every_page_fits_and_passes_axe_for_everyone(browser, demo_base, tmp_path):
    """Anonymous and every demo login, every page they reach from home, at 390 and 1280 px;
    then the Nu HTML checker over one copy of each page shape each role read."""
    from tests.browser.conftest import AXE_JS, Auditor

    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make a11y-setup` (npm ci in tools/a11y)")
    axe_source = AXE_JS.read_text(encoding="utf-8")
    findings = Findings(out=tmp_path)
    started = time.monotonic()
    for person in _people():
        _crawl(browser, demo_base, person, axe_source, findings)
    elapsed = time.monotonic() - started
    spent = ", ".join(f"{k} {v:.0f}s" for k, v in findings.seconds.items())
    print(
        f"\n{findings.pages} pages read as {len(_people())} people in {elapsed:.0f}s ({spent});"
        f" axe-core ran {len(findings.audited)} times"
    )
    validator = Auditor(tmp_path)
    validator.saved = findings.saved
    clock = time.monotonic()
    html_errors = validator.validate_html()
    print(f"Nu HTML checker: {len(findings.saved)} pages in {time.monotonic() - clock:.0f}s")
    problems = (
        [f"sideways: {w}" for w in findings.widths]
        + [f"HTML: {e}" for e in html_errors]
        + [f"axe: {a}" for a in findings.axe]
        + [f"HTTP: {e}" for e in findings.errors]
    )
    assert findings.pages > 50, f"the crawl read only {findings.pages} pages"
    assert not problems, f"{len(problems)} problems on {findings.pages} pages:\n" + "\n".join(problems)
