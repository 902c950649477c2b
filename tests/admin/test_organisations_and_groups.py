"""Organisations and stakeholder groups: names are unique, moves are explained."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.audit import AuditEvent
from consult.auth.models import Organisation, StakeholderGroup
from tests.factories import group
from tests.support.clients import is_login_redirect, post, sign_in
from tests.support.state import fresh


def organisation_count(session) -> int:
    return fresh(session).scalar(select(func.count(Organisation.id)))


def group_count(session) -> int:
    return fresh(session).scalar(select(func.count(StakeholderGroup.id)))


def actions(session) -> list[str]:
    return list(fresh(session).scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_organiser_creates_an_organisation(app, session, people, login_as):
    organiser = sign_in(app, login_as, session, people, "organiser")
    igo = group(session, "igo")
    response = post(
        organiser, "/admin/organisations", {"name": " Council of Europe ", "country": "fr", "group": igo.id}
    )
    assert response.status_code == 302
    created = fresh(session).scalar(select(Organisation).where(Organisation.name == "Council of Europe"))
    assert created is not None
    assert (created.country, created.stakeholder_group_id) == ("FR", igo.id)
    assert actions(session) == ["organisation.create"]
    assert "Council of Europe" in organiser.get("/admin/organisations").get_data(as_text=True)


def test_duplicate_organisation_name_is_refused_whatever_the_case(app, session, people, login_as):
    before = organisation_count(session)
    admin = sign_in(app, login_as, session, people, "admin")
    response = post(admin, "/admin/organisations", {"name": "INDUSTRY ORG", "group": group(session, "industry").id})
    assert response.status_code == 400
    assert "An organisation with this name already exists." in response.get_data(as_text=True)
    assert organisation_count(session) == before
    assert actions(session) == []


def test_bad_country_code_is_refused(app, session, people, login_as):
    before = organisation_count(session)
    admin = sign_in(app, login_as, session, people, "admin")
    for country in ("K1", "1", "XYZ"):
        data = {"name": "Somewhere Ministry", "country": country, "group": group(session, "governments").id}
        response = post(admin, "/admin/organisations", data)
        assert response.status_code == 400, country
    assert "Use a two-letter country code" in post(admin, "/admin/organisations", {**data, "country": "K1"}).get_data(
        as_text=True
    )
    assert organisation_count(session) == before


def test_moving_an_organisation_needs_a_reason_and_ends_members_sessions(app, session, people, login_as):
    org = people.organisations["governments"]
    member = sign_in(app, login_as, session, people, "participant:governments")
    focal = sign_in(app, login_as, session, people, "focal_point")  # same organisation
    bystander = sign_in(app, login_as, session, people, "participant:industry")
    organiser = sign_in(app, login_as, session, people, "organiser")
    igo = group(session, "igo")
    url = f"/admin/organisations/{org.id}"

    response = post(organiser, url, {"name": org.name, "group": igo.id, "reason": ""})
    assert response.status_code == 400
    assert "Say why the organisation moves" in response.get_data(as_text=True)
    fresh(session)
    assert org.stakeholder_group.slug == "governments"
    assert member.get("/account").status_code == 200

    response = post(organiser, url, {"name": org.name, "group": igo.id, "reason": "observer status"})
    assert response.status_code == 302
    fresh(session)
    assert org.stakeholder_group.slug == "igo"
    assert is_login_redirect(member.get("/account"))
    assert is_login_redirect(focal.get("/account"))
    assert bystander.get("/account").status_code == 200
    entry = fresh(session).scalar(select(AuditEvent).where(AuditEvent.action == "organisation.update"))
    assert entry.reason == "observer status"
    assert entry.details["before_group_id"] == group(session, "governments").id


def test_renaming_without_moving_needs_no_reason(app, session, people, login_as):
    org = people.organisations["industry"]
    member = sign_in(app, login_as, session, people, "participant:industry")
    organiser = sign_in(app, login_as, session, people, "organiser")
    response = post(
        organiser,
        f"/admin/organisations/{org.id}",
        {"name": "Industry Ltd", "group": org.stakeholder_group_id},
    )
    assert response.status_code == 302
    fresh(session)
    assert org.name == "Industry Ltd"
    assert member.get("/account").status_code == 200  # what they see did not change


def test_admin_creates_and_edits_a_group(app, session, people, login_as):
    admin = sign_in(app, login_as, session, people, "admin")
    data = {"name": "Technical standards bodies", "slug": "sdo", "description": "IETF, ISO, ITU-T"}
    assert post(admin, "/admin/groups", data).status_code == 302
    created = fresh(session).scalar(select(StakeholderGroup).where(StakeholderGroup.slug == "sdo"))
    assert created.name == "Technical standards bodies" and created.description == "IETF, ISO, ITU-T"

    response = post(admin, f"/admin/groups/{created.id}", {**data, "name": "Standards bodies"})
    assert response.status_code == 302
    fresh(session)
    assert created.name == "Standards bodies"
    assert actions(session) == ["stakeholder_group.create", "stakeholder_group.update"]


def test_bad_group_slug_is_refused(app, session, people, login_as):
    before = group_count(session)
    admin = sign_in(app, login_as, session, people, "admin")
    for slug in ("Civil Society", "civil--society", "-x", "x-", "ünicode"):
        response = post(admin, "/admin/groups", {"name": f"New group {slug}", "slug": slug})
        assert response.status_code == 400, slug
        assert "Use lower-case letters, digits and single hyphens" in response.get_data(as_text=True), slug
    assert group_count(session) == before


def test_duplicate_group_is_refused(app, session, people, login_as):
    before = group_count(session)
    admin = sign_in(app, login_as, session, people, "admin")
    for data in ({"name": "GOVERNMENTS", "slug": "states"}, {"name": "States", "slug": "governments"}):
        response = post(admin, "/admin/groups", data)
        assert response.status_code == 400, data
        assert "Another stakeholder group already uses this." in response.get_data(as_text=True)
    assert group_count(session) == before

    industry = group(session, "industry")
    response = post(admin, f"/admin/groups/{industry.id}", {"name": "Industry", "slug": "igo"})
    assert response.status_code == 400
    fresh(session)
    assert industry.slug == "industry"
    assert actions(session) == []


def test_the_mb_nc_code_is_set_on_the_organisations_page(app, session, people, login_as):
    organiser = sign_in(app, login_as, session, people, "organiser")
    industry = people.organisations["industry"]
    url = f"/admin/organisations/{industry.id}"
    page = organiser.get(url).get_data(as_text=True)
    assert 'name="mb_code"' in page and "MB/NC code" in page
    data = {"name": industry.name, "country": "", "group": industry.stakeholder_group_id}
    assert post(organiser, url, {**data, "mb_code": "ecma"}).status_code == 302
    assert fresh(session).get(Organisation, industry.id).mb_code == "ECMA"  # in capitals
    for bad, message in (("EC MA", "Use letters and digits"), ("-X", "Use letters and digits"),
                         ("A" * 17, "16")):  # fmt: skip
        response = post(organiser, url, {**data, "mb_code": bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad
    other = people.organisations["igo"]
    taken = {"name": other.name, "country": "", "group": other.stakeholder_group_id, "mb_code": "Ecma"}
    response = post(organiser, f"/admin/organisations/{other.id}", taken)
    assert response.status_code == 400 and "already has the MB/NC code ECMA" in response.get_data(as_text=True)
    assert post(organiser, url, {**data, "mb_code": ""}).status_code == 302  # removed: the country code stands in
    assert fresh(session).get(Organisation, industry.id).mb_code is None
