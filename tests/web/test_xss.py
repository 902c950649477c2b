"""S4: XSS payloads stored in every text field come back escaped on every page and email."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from consult.auth.models import Organisation, StakeholderGroup
from tests.factories import make_consultation
from tests.support.clients import post, sign_in
from tests.support.html import parse
from tests.support.state import fresh

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><svg onload=alert(1)>",
    "'><a href=javascript:alert(1)>x</a>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "{% raw %}<b>bold</b>",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "data"}


def check(html: str, payload: str, where: str, shown: bool = True) -> None:
    """`payload` appears only escaped, and no URL attribute runs script."""
    escaped = str(escape(payload))
    if escaped != payload:
        assert payload not in html, f"{where}: the payload came back unescaped"
    if shown:
        assert escaped in html, f"{where}: the escaped payload is missing (was the field shown?)"
    for tag, name, value in parse(html).attributes:
        assert not (name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:")), (
            f"{where}: <{tag} {name}={value!r}>"
        )
        assert not name.startswith("on"), f"{where}: an event handler attribute <{tag} {name}>"
    assert not re.search(r"<(script|svg|iframe|img)\b", html, re.IGNORECASE), f"{where}: an injected element"


def html_part(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no HTML part")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_come_back_escaped(app, session, people, login_as, smtp, payload):
    consultation = make_consultation(session, title=payload, summary=payload)
    session.commit()
    admin = sign_in(app, login_as, session, people, "admin")
    victim = sign_in(app, login_as, session, people, "participant:igo")

    # Store the payload through the forms people use.
    assert post(victim, "/account/profile", {"display_name": payload, "timezone": "UTC"}).status_code == 302
    assert post(admin, "/account/profile", {"display_name": payload, "timezone": "UTC"}).status_code == 302
    data = {"name": payload, "slug": "xss-group", "description": payload}
    assert post(admin, "/admin/groups", data).status_code == 302
    group = fresh(session).scalar(select(StakeholderGroup).where(StakeholderGroup.slug == "xss-group"))
    assert post(admin, "/admin/organisations", {"name": payload, "group": group.id}).status_code == 302
    org = fresh(session).scalar(select(Organisation).where(Organisation.stakeholder_group_id == group.id))
    subject = people["participant:industry"]
    data = {"role": "participant", "organisation": org.id, "reason": payload}
    assert post(admin, f"/admin/users/{subject.id}/role", data).status_code == 302
    data = {"email": "invitee@example.org", "role": "participant", "organisation": org.id}
    assert post(admin, "/admin/invitations", data).status_code == 302
    fresh(session)
    assert (org.name, group.name, people["participant:igo"].display_name) == (payload, payload, payload)

    pages = {
        "users": "/admin/users",
        "user search": "/admin/users?q=" + payload,
        "victim's page": f"/admin/users/{people['participant:igo'].id}",
        "role-changed person's page": f"/admin/users/{subject.id}",
        "organisations": "/admin/organisations",
        "organisation": f"/admin/organisations/{org.id}",
        "groups": "/admin/groups",
        "group": f"/admin/groups/{group.id}",
        "invitations": "/admin/invitations",
        "audit log": "/admin/audit",
        "audit log filtered": "/admin/audit?action=" + payload,
        "account": "/account",
        "home": "/",
        "consultation": f"/consultations/{consultation.id}",
    }
    for where, url in pages.items():
        response = admin.get(url)
        assert response.status_code == 200, where
        check(
            response.get_data(as_text=True),
            payload,
            f"as admin, {where}",
            shown=where != "audit log filtered",
        )
    for where, url in {
        "account": "/account",
        "home": "/",
        "consultation": f"/consultations/{consultation.id}",
    }.items():
        check(victim.get(url).get_data(as_text=True), payload, f"as the victim, {where}")

    anonymous = app.test_client()
    check(anonymous.get("/").get_data(as_text=True), payload, "anonymous home")
    check(
        anonymous.get("/login?next=" + payload).get_data(as_text=True),
        payload,
        "sign-in page next=",
        shown=False,
    )

    (message,) = smtp.to("invitee@example.org")
    email = html_part(message)
    check(email, payload, "invitation email")
    link = re.search(r'href="(http://consult\.test(/invitation/[^"]+))"', email)
    assert link, "no invitation link in the email"
    accept = anonymous.get(link.group(2))
    assert accept.status_code == 200
    check(accept.get_data(as_text=True), payload, "accept-invitation page")
