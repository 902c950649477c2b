"""S1: the access matrix. Every URL rule, every viewer, the answer the policy promises.

The table is the policy written out: a new page fails `test_every_rule_is_in_the_matrix`
until it is added here, and a removed page fails `test_the_matrix_lists_no_stale_rules`.

Outcomes: an HTTP status, LOGIN (302 to the sign-in page with `next=`), or for POST rules
ALLOWED (the request reached the action: anything but LOGIN, 403, 404, 409, a refused CSRF
token or a 5xx). POSTs carry a valid CSRF token and an empty body unless a case says otherwise.
Columns: anonymous, participant (each of the five stakeholder groups), focal point,
moderator, organiser, admin.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.clients import csrf_token, is_login_redirect, sign_in
from tests.support.state import release
from tests.support.world import VIEWERS, build_url, build_world

LOGIN = "LOGIN"
ALLOWED = "ALLOWED"
CSRF_REFUSED = "CSRF_REFUSED"
GROUPS = ("governments", "industry", "civil-society", "academia-technical", "igo")
COLUMNS = ("anonymous", "participant", "focal_point", "moderator", "organiser", "admin")


def expand(outcomes: tuple | dict) -> dict[str, Any]:
    """A row of COLUMNS (participant standing for each group), or a dict by viewer, by viewer."""
    if isinstance(outcomes, dict):
        return outcomes
    assert len(outcomes) == len(COLUMNS), f"a row needs {len(COLUMNS)} columns: {outcomes}"
    row = dict(zip(COLUMNS, outcomes, strict=True))
    participant = row.pop("participant")
    return {**row, **{f"participant:{slug}": participant for slug in GROUPS}}


def cs(outcomes: tuple, civil_society: Any) -> dict[str, Any]:
    """A row of COLUMNS where the civil-society participant (the subject's colleague) differs."""
    return {**expand(outcomes), "participant:civil-society": civil_society}


def by_viewer(outcomes: tuple, **participants: Any) -> dict[str, Any]:
    """A row of COLUMNS with some participants' outcomes given by group (`civil_society=`)."""
    row = expand(outcomes)
    for group, value in participants.items():
        row[f"participant:{group.replace('_', '-')}"] = value
    return row


#                                  columns: anonymous, participant, focal point, moderator, organiser, admin
EXPECTED: dict[tuple[str, str], tuple | dict] = {
    # Public pages: consultations (the public one here; hidden ones below), sign-in, reset.
    ("consultations.index", "GET"):            (200,    200,   200,    200,    200,    200),
    ("consultations.detail", "GET"):           (200,    200,   200,    200,    200,    200),
    ("auth.login", "GET"):                     (200,    302,   302,    302,    302,    302),
    ("auth.login", "POST"):                    (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.forgot_password", "GET"):           (200,    200,   200,    200,    200,    200),
    ("auth.forgot_password", "POST"):          (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # Token links with a token that is not valid: the same 404 for everyone.
    ("auth.accept_invitation", "GET"):         (404,    404,   404,    404,    404,    404),
    ("auth.accept_invitation", "POST"):        (404,    404,   404,    404,    404,    404),
    ("auth.reset_password", "GET"):            (404,    404,   404,    404,    404,    404),
    ("auth.reset_password", "POST"):           (404,    404,   404,    404,    404,    404),
    # One's own account: anyone signed in.
    ("auth.logout", "POST"):                   (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.account", "GET"):                   (LOGIN,  200,   200,    200,    200,    200),
    ("auth.update_profile", "POST"):           (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.change_password", "POST"):          (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # The second step of signing in: without a half sign-in, back to the sign-in page (302);
    # posts are refused by the page itself (no pending sign-in, no passkey challenge).
    ("auth.second_factor", "GET"):             (302,    302,   302,    302,    302,    302),
    ("auth.second_factor", "POST"):            (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.second_factor_passkey", "POST"):    (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.passkey_login", "POST"):            (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.cancel_sign_in", "POST"):           (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.set_language", "POST"):             (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # One's own second factors and sessions; the subject's passkey, session and remembered
    # browser are nobody else's business (404).
    ("auth.security", "GET"):                  (LOGIN,  200,   200,    200,    200,    200),
    ("auth.confirm_totp", "POST"):             (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.remove_totp", "POST"):              (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.register_passkey", "POST"):         (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.remove_passkey", "POST"):           (LOGIN,  404,   404,    404,    404,    404),
    ("auth.regenerate_recovery_codes", "POST"): (LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.end_session", "POST"):              (LOGIN,  404,   404,    404,    404,    404),
    ("auth.end_other_sessions", "POST"):       (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("auth.forget_browser", "POST"):           (LOGIN,  404,   404,    404,    404,    404),
    # Administration: organisers see people and manage organisations and invitations ...
    ("admin.index", "GET"):                    (LOGIN,  403,   403,    403,    200,    200),
    ("admin.users", "GET"):                    (LOGIN,  403,   403,    403,    200,    200),
    ("admin.user_detail", "GET"):              (LOGIN,  403,   403,    403,    200,    200),
    ("admin.invitations", "GET"):              (LOGIN,  403,   403,    403,    200,    200),
    ("admin.create_invitation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.revoke_invitation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.organisations", "GET"):            (LOGIN,  403,   403,    403,    200,    200),
    ("admin.create_organisation", "POST"):     (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    ("admin.edit_organisation", "GET"):        (LOGIN,  403,   403,    403,    200,    200),
    ("admin.edit_organisation", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, ALLOWED),
    # ... only admins change roles and accounts, stakeholder groups, and read the audit log.
    ("admin.change_role", "POST"):             (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.set_active", "POST"):              (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.groups", "GET"):                   (LOGIN,  403,   403,    403,    403,    200),
    ("admin.groups", "POST"):                  (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.edit_group", "GET"):               (LOGIN,  403,   403,    403,    403,    200),
    ("admin.edit_group", "POST"):              (LOGIN,  403,   403,    403,    403,    ALLOWED),
    ("admin.audit_log", "GET"):                (LOGIN,  403,   403,    403,    403,    200),
    ("admin.reset_second_factor", "POST"):     (LOGIN,  403,   403,    403,    403,    ALLOWED),
    # Consultations and drafts: organisers manage them; reading follows the consultation.
    ("consultations.create", "GET"):           (LOGIN,  403,   403,    403,    200,    403),
    ("consultations.create", "POST"):          (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("consultations.edit", "GET"):             (LOGIN,  403,   403,    403,    200,    403),
    ("consultations.edit", "POST"):            (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("drafts.detail", "GET"):                  (200,    200,   200,    200,    200,    200),
    ("drafts.version", "GET"):                 (200,    200,   200,    200,    200,    200),
    ("drafts.compare", "GET"):                 (200,    200,   200,    200,    200,    200),
    ("drafts.create", "GET"):                  (LOGIN,  403,   403,    403,    200,    403),
    ("drafts.create", "POST"):                 (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("drafts.new_version", "GET"):             (LOGIN,  403,   403,    403,    200,    403),
    # (An empty body names no base version: the editor takes it for a stale form, 409.)
    ("drafts.new_version", "POST"):            (LOGIN,  403,   403,    403,    409,    403),
    ("drafts.import_version", "GET"):          (LOGIN,  403,   403,    403,    200,    403),
    ("drafts.import_version", "POST"):         (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("drafts.set_reference", "POST"):          (LOGIN,  403,   403,    403,    ALLOWED, 403),
    # A version's translation: organisers (the POST names no language here: 404, none to save).
    ("drafts.translate", "GET"):               (LOGIN,  403,   403,    403,    200,    403),
    ("drafts.translate", "POST"):              (LOGIN,  403,   403,    403,    404,    403),
    # Rounds (the world's round is open, group dialogue): everyone signed in reads it; the
    # organiser prepares and asks for publication, the moderator approves, moderates, publishes.
    # 409: the step was allowed but the round is not in the phase it needs.
    ("rounds.detail", "GET"):                  (404,    200,   200,    200,    200,    200),
    ("rounds.matrix_view", "GET"):             (404,    200,   200,    200,    200,    200),
    ("rounds.clause_view", "GET"):             (404,    200,   200,    200,    200,    200),
    ("rounds.create", "GET"):                  (LOGIN,  403,   403,    403,    200,    403),
    ("rounds.create", "POST"):                 (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("rounds.settings", "GET"):                (LOGIN,  403,   403,    200,    200,    403),
    ("rounds.settings", "POST"):               (LOGIN,  403,   403,    403,    409,    403),
    ("rounds.submit", "POST"):                 (LOGIN,  403,   403,    403,    409,    403),
    ("rounds.approve", "POST"):                (LOGIN,  403,   403,    409,    403,    403),
    ("rounds.send_back", "POST"):              (LOGIN,  403,   403,    409,    403,    403),
    ("rounds.close", "POST"):                  (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("rounds.extend", "POST"):                 (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("rounds.reopen", "POST"):                 (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("rounds.request_publication", "POST"):    (LOGIN,  403,   403,    403,    409,    403),
    ("rounds.publish", "POST"):                (LOGIN,  403,   403,    409,    403,    403),
    ("rounds.decline_publication", "POST"):    (LOGIN,  403,   403,    409,    403,    403),
    ("rounds.archive", "POST"):                (LOGIN,  403,   403,    403,    409,    403),
    # Comments: people who speak for an organisation write them (the round is open).
    ("comments.new", "GET"):                   (LOGIN,  200,   200,    403,    403,    403),
    ("comments.create", "POST"):               (LOGIN,  ALLOWED, ALLOWED, 403,  403,    403),
    ("comments.mine", "GET"):                  (LOGIN,  200,   200,    403,    403,    403),
    # The world's comment: the subject's (civil society), accepted, in the open group-dialogue
    # round. The civil-society participant (the subject's colleague, same group) and staff read
    # it; other groups, the government focal point, the admin and anonymous visitors get 404.
    ("comments.detail", "GET"):                cs((404, 404,   404,    200,    200,    404), 200),
    ("comments.report", "GET"):                cs((LOGIN, 404, 404,    200,    200,    404), 200),
    ("comments.report", "POST"):               cs((LOGIN, 404, 404,    ALLOWED, ALLOWED, 404), ALLOWED),
    ("comments.edit", "GET"):                  cs((LOGIN, 404, 404,    403,    403,    403), 403),
    ("comments.edit", "POST"):                 cs((LOGIN, 404, 404,    403,    403,    403), 403),
    ("comments.submit", "POST"):               cs((LOGIN, 404, 404,    403,    403,    403), 403),
    ("comments.withdraw", "POST"):             cs((LOGIN, 404, 404,    403,    403,    403), 403),
    # Moderation: moderators; sign-off: the focal point, for their own organisation's comments.
    # Organisers read the moderation queue of their rounds (moderation:view); acting is the moderators'.
    ("moderation.index", "GET"):               (LOGIN,  403,   403,    200,    200,    403),
    ("moderation.bulk_moderate", "POST"):      (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("moderation.bulk_signoff", "POST"):       (LOGIN,  403,   ALLOWED, 403,   403,    403),
    ("moderation.moderate", "POST"):           (LOGIN,  403,   403,    409,    403,    403),
    ("moderation.hide", "POST"):               (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("moderation.unhide", "POST"):             (LOGIN,  403,   403,    409,    403,    403),
    ("moderation.resolve_report", "POST"):     (LOGIN,  403,   403,    ALLOWED, 403,   403),
    ("moderation.signoff_queue", "GET"):       (LOGIN,  403,   200,    403,    403,    403),
    ("moderation.signoff", "POST"):            (LOGIN,  403,   404,    403,    403,    403),
    # Dispositions (issue 4): the round's page for everyone who sees the round; recording and
    # releasing for organisers; answering for the author and the focal point of the author's
    # organisation (the disposition is on the governments participant's comment in a closed
    # group-dialogue round: other groups cannot see that comment yet, hence 404).
    ("dispositions.index", "GET"):             (404,    200,   200,    200,    200,    200),
    ("dispositions.record", "POST"):           (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("dispositions.release", "GET"):           (LOGIN,  403,   403,    403,    200,    403),
    ("dispositions.release", "POST"):          (LOGIN,  403,   403,    403,    ALLOWED, 403),
    # The disposition table (issue 13): the secretariat's; a row saved (an empty one: refused, 302 back).
    ("dispositions.table", "GET"):             (LOGIN,  403,   403,    403,    200,    403),
    ("dispositions.table_save", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("dispositions.acknowledge", "POST"):      {"anonymous": LOGIN, **{f"participant:{g}": (ALLOWED if g == "governments" else 404) for g in GROUPS}, "focal_point": ALLOWED, "moderator": 403, "organiser": 403, "admin": 403},  # noqa: E501
    # Exports and briefings: what the viewer may see (the rows are filtered, not the page); the
    # base round is open, so anonymous visitors do not see it at all.
    ("exports.csv_export", "GET"):             (404,    200,   200,    200,    200,    200),
    ("exports.xlsx_export", "GET"):            (404,    200,   200,    200,    200,    200),
    ("exports.docx_export", "GET"):            (404,    200,   200,    200,    200,    200),
    ("exports.json_export", "GET"):            (404,    200,   200,    200,    200,    200),
    ("exports.round_briefing", "GET"):         (404,    200,   200,    200,    200,    200),
    ("exports.round_briefing_pdf", "GET"):     (404,    200,   200,    200,    200,    200),
    ("exports.consultation_briefing", "GET"):  (200,    200,   200,    200,    200,    200),
    ("exports.consultation_briefing_pdf", "GET"): (200, 200,   200,    200,    200,    200),
    # The briefing PDF is made as a job for someone signed in (issue 13), as they see the round;
    # its progress page and file are theirs (and staff's): the world's job is the governments
    # participant's.
    ("exports.round_briefing_pdf", "POST"):    (404,    ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("exports.consultation_briefing_pdf", "POST"): (LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("exports.briefing_job", "GET"):           by_viewer((404, 404, 404, 200, 200, 404), governments=200),
    ("exports.briefing_job_file", "GET"):      by_viewer((404, 404, 404, 200, 200, 404), governments=200),
    # Offline import: people who speak for an organisation.
    ("exports.import_template", "GET"):        (LOGIN,  200,   200,    403,    403,    403),
    ("exports.import_sheet", "GET"):           (LOGIN,  200,   200,    403,    403,    403),
    ("exports.import_sheet", "POST"):          (LOGIN,  ALLOWED, ALLOWED, 403,  403,    403),
    # A table sent again, waiting for its sender's confirmation: the world's is the subject's.
    ("exports.confirm_import", "GET"):         (LOGIN,  404,   404,    403,    403,    403),
    ("exports.confirm_import", "POST"):        (LOGIN,  404,   404,    403,    403,    403),
    # A compiled table of many organisations: the secretariat.
    ("exports.import_compiled", "GET"):        (LOGIN,  403,   403,    403,    200,    403),
    ("exports.import_compiled", "POST"):       (LOGIN,  403,   403,    403,    ALLOWED, 403),
    # Email: one's own settings; unsubscribe links (an invalid token: 404 for everyone) ...
    ("digests.preferences", "GET"):            (LOGIN,  200,   200,    200,    200,    200),
    ("digests.preferences", "POST"):           (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("digests.unsubscribe_confirm", "GET"):    (404,    404,   404,    404,    404,    404),
    ("digests.unsubscribe", "POST"):           (404,    404,   404,    404,    404,    404),
    # ... and the organisers' digests (the secretariat sends them; admins and moderators do not).
    ("digests.compose", "GET"):                (LOGIN,  403,   403,    403,    200,    403),
    ("digests.compose", "POST"):               (LOGIN,  403,   403,    403,    ALLOWED, 403),
    ("digests.detail", "GET"):                 (LOGIN,  403,   403,    403,    200,    403),
    ("digests.retry", "POST"):                 (LOGIN,  403,   403,    403,    ALLOWED, 403),
    # Search (issue 16): everyone searches; the results are filtered, not the page.
    ("search.results", "GET"):                 (200,    200,   200,    200,    200,    200),
    # Personal access tokens on the account page: anyone signed in (the world's token is the
    # subject's: nobody else may revoke it).
    ("api.create_token", "POST"):              (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("api.revoke_token", "POST"):              (LOGIN,  404,   404,    404,    404,    404),
    # The API's document and reference page are public; every operation wants a bearer token,
    # and a browser's cookie session is not one: 401 for everyone here. tests/api/test_access.py
    # is the API's own matrix, with each viewer's token.
    ("api.openapi", "GET"):                    (200,    200,   200,    200,    200,    200),
    ("api.docs", "GET"):                       (200,    200,   200,    200,    200,    200),
    **{
        (f"api.{name}", method): (401, 401, 401, 401, 401, 401)
        for name, method in (
            ("me", "GET"), ("consultations", "GET"), ("consultation", "GET"), ("round_detail", "GET"),
            ("version", "GET"), ("round_comments", "GET"), ("comment", "GET"), ("round_dispositions", "GET"),
            ("my_comments", "GET"), ("signoff_queue", "GET"), ("search", "GET"), ("create_comment", "POST"),
            ("edit_comment", "PATCH"), ("submit_comment", "POST"), ("withdraw_comment", "POST"),
            ("signoff", "POST"), ("acknowledge", "POST"),
        )
    },
    # Notifications in the app: one's own. The world's notification is the governments
    # participant's; anyone else marking it read gets the same 404 as for a missing one.
    ("notifications.index", "GET"):            (LOGIN,  200,   200,    200,    200,    200),
    ("notifications.mark_read", "POST"):       by_viewer((LOGIN, 404, 404, 404, 404, 404), governments=ALLOWED),
    ("notifications.mark_all_read", "POST"):   (LOGIN,  ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
}  # fmt: skip

# The object dimension: the same rule on a different object, or with a body that acts.
# (endpoint, method, case) -> (URL arguments and form body for the viewer, outcomes)
OWN = "<the viewer's own id>"
OWN_COMMENT = "<the viewer's own accepted comment in the open round>"
OWN_DRAFT = "<the viewer's own draft in the open round>"
OWN_CLOSED = "<the viewer's own accepted comment in the closed round>"
OWN_PASSKEY = "<the viewer's own passkey>"
OWN_SESSION = "<another session of the viewer's own>"
OWN_BROWSER = "<the viewer's own remembered browser>"
COMPLETE_COMMENT = {
    "clause": "general",
    "type": "general",
    "body": "A complete comment",
    "attribution": "person",
    "nonce": "matrix-nonce",
    "submit": "1",
}
EXPECTED_OBJECTS: dict[tuple[str, str, str], tuple[dict, dict, tuple]] = {
    ("consultations.detail", "GET", "a consultation that is not public"): (
        {"consultation_id": "hidden"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("consultations.detail", "GET", "a consultation that does not exist"): (
        {"consultation_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("admin.user_detail", "GET", "one's own account"): (
        {"user_id": OWN}, {},
        (LOGIN, 403, 403, 403, 200, 200),
    ),
    ("admin.user_detail", "GET", "a person who does not exist"): (
        {"user_id": 987654}, {},
        (LOGIN, 403, 403, 403, 404, 404),
    ),
    ("admin.change_role", "POST", "one's own role, with a reason"): (
        {"user_id": OWN}, {"role": "moderator", "organisation": "0", "reason": "promote myself"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    ("admin.set_active", "POST", "disabling one's own account, with a reason"): (
        {"user_id": OWN}, {"active": "0", "reason": "leave"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    ("admin.revoke_invitation", "POST", "an invitation already withdrawn"): (
        {"invitation_id": "revoked"}, {},
        (LOGIN, 403, 403, 403, 409, 409),
    ),
    ("admin.edit_organisation", "GET", "an organisation of another stakeholder group"): (
        {"organisation_id": "other group"}, {},
        (LOGIN, 403, 403, 403, 200, 200),
    ),
    # Consultations and drafts that are not public: anyone signed in reads them.
    ("consultations.edit", "GET", "a consultation that is not public"): (
        {"consultation_id": "hidden"}, {},
        (LOGIN, 403, 403, 403, 200, 403),
    ),
    ("drafts.detail", "GET", "a draft of a consultation that is not public"): (
        {"draft_id": "draft of the hidden consultation"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("drafts.version", "GET", "a version of a consultation that is not public"): (
        {"version_id": "version of the hidden consultation"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("drafts.compare", "GET", "a draft of a consultation that is not public"): (
        {"draft_id": "draft of the hidden consultation"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("drafts.translate", "POST", "a translation into French, every clause left blank"): (
        {}, {"language": "fr"},
        (LOGIN, 403, 403, 403, ALLOWED, 403),
    ),
    ("drafts.translate", "GET", "a version of a consultation that is not public"): (
        {"version_id": "version of the hidden consultation"}, {},
        (LOGIN, 403, 403, 403, 200, 403),
    ),
    ("drafts.detail", "GET", "a draft that does not exist"): (
        {"draft_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("drafts.create", "GET", "a consultation that does not exist"): (
        {"consultation_id": 987654}, {},
        (LOGIN, 403, 403, 403, 404, 403),
    ),
    # A round in every phase (group dialogue, results public, public consultation): participants
    # never see a round before it is approved; anonymous visitors only published public results.
    ("rounds.detail", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("rounds.detail", "GET", "a round waiting for approval"): (
        {"round_id": "pending_approval round"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("rounds.detail", "GET", "a scheduled round"): (
        {"round_id": "scheduled round"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "an open round"): (
        {"round_id": "open round"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "a closed round"): (
        {"round_id": "closed round"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "a published round, results public"): (
        {"round_id": "published round"}, {},
        (200, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "an archived round, results public"): (
        {"round_id": "archived round"}, {},
        (200, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "a published round, results not public"): (
        {"round_id": "published round, results not public"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "a published round of a consultation that is not public"): (
        {"round_id": "published round of a hidden consultation"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.detail", "GET", "a round that does not exist"): (
        {"round_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("rounds.matrix_view", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("rounds.matrix_view", "GET", "a round waiting for approval"): (
        {"round_id": "pending_approval round"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("rounds.matrix_view", "GET", "a published round, results public"): (
        {"round_id": "published round"}, {},
        (200, 200, 200, 200, 200, 200),
    ),
    ("rounds.matrix_view", "GET", "a published round, results not public"): (
        {"round_id": "published round, results not public"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.matrix_view", "GET", "a published round of a consultation that is not public"): (
        {"round_id": "published round of a hidden consultation"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.clause_view", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("rounds.clause_view", "GET", "a published round, results public"): (
        {"round_id": "published round"}, {},
        (200, 200, 200, 200, 200, 200),
    ),
    ("rounds.clause_view", "GET", "a published round, results not public"): (
        {"round_id": "published round, results not public"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.clause_view", "GET", "a clause the round's version does not have"): (
        {"clause_key": "k99"}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("rounds.clause_view", "GET", "the general comments"): (
        {"clause_key": "general"}, {},
        (404, 200, 200, 200, 200, 200),
    ),
    ("rounds.settings", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (LOGIN, 403, 403, 200, 200, 403),
    ),
    ("rounds.create", "GET", "a consultation that does not exist"): (
        {"consultation_id": 987654}, {},
        (LOGIN, 403, 403, 403, 404, 403),
    ),
    ("rounds.approve", "POST", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (LOGIN, 403, 403, 409, 403, 403),
    ),
    ("rounds.publish", "POST", "a closed round whose publication nobody asked for"): (
        {"round_id": "closed round"}, {},
        (LOGIN, 403, 403, 409, 403, 403),
    ),
    ("rounds.submit", "POST", "a round being prepared"): (
        {"round_id": "draft round to submit"}, {},
        (LOGIN, 403, 403, 403, ALLOWED, 403),
    ),
    ("rounds.approve", "POST", "a round waiting for approval (prepared by the organiser)"): (
        {"round_id": "pending round to approve"}, {},
        (LOGIN, 403, 403, ALLOWED, 403, 403),
    ),
    # Writing comments: only in an open round one may see.
    ("comments.new", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (LOGIN, 404, 404, 403, 403, 403),
    ),
    ("comments.create", "POST", "a round being prepared (draft), a complete comment"): (
        {"round_id": "draft round"}, COMPLETE_COMMENT,
        (LOGIN, 404, 404, 403, 403, 403),
    ),
    ("comments.create", "POST", "a closed round, a complete comment"): (
        {"round_id": "closed round"}, COMPLETE_COMMENT,
        (LOGIN, 409, 409, 403, 403, 403),
    ),
    # Reading one comment: own, colleague's, same group, other group, hidden, draft, published.
    # (Viewers who write no comments get the governments participant's for "own".)
    ("comments.detail", "GET", "one's own accepted comment (open round)"): (
        {"comment_id": OWN_COMMENT}, {},
        (404, 200, 200, 200, 200, 404),
    ),
    ("comments.detail", "GET", "one's own draft"): (
        {"comment_id": OWN_DRAFT}, {},
        (404, 200, 200, 404, 404, 404),
    ),
    ("comments.detail", "GET", "one's own comment in a closed round"): (
        {"comment_id": OWN_CLOSED}, {},
        (404, 200, 200, 200, 200, 404),
    ),
    ("comments.detail", "GET", "a government participant's comment (open group dialogue)"): (
        {"comment_id": "own comment:participant:governments"}, {},
        by_viewer((404, 404, 200, 200, 200, 404), governments=200),
    ),
    ("comments.detail", "GET", "a government colleague's comment (open sealed round)"): (
        {"comment_id": "a government colleague's comment (sealed round)"}, {},
        by_viewer((404, 404, 200, 200, 200, 404), governments=200),
    ),
    ("comments.detail", "GET", "another government organisation's comment (open sealed round)"): (
        {"comment_id": "another government organisation's comment (sealed round)"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("comments.detail", "GET", "a colleague's comment awaiting sign-off"): (
        {"comment_id": "a colleague's comment awaiting sign-off"}, {},
        by_viewer((404, 404, 200, 200, 200, 404), governments=200),
    ),
    ("comments.detail", "GET", "a hidden comment"): (
        {"comment_id": "subject's hidden comment"}, {},
        (404, 404, 404, 200, 200, 404),
    ),
    ("comments.detail", "GET", "someone else's draft"): (
        {"comment_id": "subject's draft"}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("comments.detail", "GET", "a withdrawn comment"): (
        {"comment_id": "subject's withdrawn comment"}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("comments.detail", "GET", "a rejected comment"): (
        {"comment_id": "subject's rejected comment"}, {},
        by_viewer((404, 404, 404, 200, 200, 404), civil_society=200),
    ),
    ("comments.detail", "GET", "a comment awaiting moderation"): (
        {"comment_id": "subject's comment awaiting moderation"}, {},
        by_viewer((404, 404, 404, 200, 200, 404), civil_society=200),
    ),
    ("comments.detail", "GET", "an accepted comment of a published round, results public"): (
        {"comment_id": "accepted comment of a published public round"}, {},
        (200, 200, 200, 200, 200, 200),
    ),
    ("comments.detail", "GET", "an accepted comment of a published round, results not public"): (
        {"comment_id": "accepted comment of a published round, results not public"}, {},
        (404, 200, 200, 200, 200, 404),
    ),
    ("comments.detail", "GET", "an accepted comment of a published round of another consultation"): (
        {"comment_id": "accepted comment of a published round of another consultation"}, {},
        (404, 200, 200, 200, 200, 404),
    ),
    ("comments.detail", "GET", "a comment that does not exist"): (
        {"comment_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("comments.report", "GET", "an accepted comment of a published round, results public"): (
        {"comment_id": "accepted comment of a published public round"}, {},
        (LOGIN, 200, 200, 200, 200, 200),
    ),
    # Acting on comments: the author, the focal point of the organisation, the moderators.
    ("comments.edit", "GET", "one's own accepted comment (open round)"): (
        {"comment_id": OWN_COMMENT}, {},
        (LOGIN, 200, 200, 403, 403, 403),
    ),
    ("comments.edit", "GET", "one's own comment in a closed round"): (
        {"comment_id": OWN_CLOSED}, {},
        (LOGIN, 200, 200, 403, 403, 403),
    ),
    ("comments.withdraw", "POST", "one's own comment in a closed round"): (
        {"comment_id": OWN_CLOSED}, {},
        (LOGIN, 409, 409, 403, 403, 403),
    ),
    ("comments.withdraw", "POST", "a government colleague's comment"): (
        {"comment_id": "a government colleague's comment (sealed round)"}, {},
        by_viewer((LOGIN, 404, 403, 403, 403, 403), governments=403),
    ),
    ("comments.submit", "POST", "one's own draft"): (
        {"comment_id": OWN_DRAFT}, {},
        (LOGIN, ALLOWED, ALLOWED, 403, 403, 403),
    ),
    ("comments.withdraw", "POST", "one's own accepted comment (open round)"): (
        {"comment_id": OWN_COMMENT}, {},
        (LOGIN, ALLOWED, ALLOWED, 403, 403, 403),
    ),
    ("moderation.hide", "POST", "someone's draft, with a reason"): (
        {"comment_id": "subject's draft"}, {"reason": "spam"},
        (LOGIN, 403, 403, 404, 403, 403),
    ),
    ("moderation.moderate", "POST", "a comment awaiting moderation, accepted"): (
        {"comment_id": "subject's comment awaiting moderation"}, {"accept": "1"},
        (LOGIN, 403, 403, ALLOWED, 403, 403),
    ),
    ("moderation.signoff", "POST", "a colleague's comment awaiting sign-off, signed off"): (
        {"comment_id": "a colleague's comment awaiting sign-off"}, {"accept": "1"},
        (LOGIN, 403, ALLOWED, 403, 403, 403),
    ),
    ("moderation.signoff", "POST", "another organisation's comment (visible to the focal point)"): (
        {"comment_id": "accepted comment of a published public round"}, {"accept": "1"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    # One's own remembered browser, passkey and other session (anonymous: the subject's); the
    # browser first: removing one's last factor forgets remembered browsers.
    ("auth.forget_browser", "POST", "one's own remembered browser"): (
        {"browser_id": OWN_BROWSER}, {},
        (LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ),
    ("auth.remove_passkey", "POST", "one's own passkey"): (
        {"passkey_id": OWN_PASSKEY}, {},
        (LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ),
    ("auth.end_session", "POST", "another session of one's own"): (
        {"session_id": OWN_SESSION}, {},
        (LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ),
    ("auth.remove_passkey", "POST", "a passkey that does not exist"): (
        {"passkey_id": 987654}, {},
        (LOGIN, 404, 404, 404, 404, 404),
    ),
    ("admin.reset_second_factor", "POST", "one's own account, with a reason"): (
        {"user_id": OWN}, {"reset_reason": "lost my phone"},
        (LOGIN, 403, 403, 403, 403, 403),
    ),
    ("admin.reset_second_factor", "POST", "a person who does not exist"): (
        {"user_id": 987654}, {"reset_reason": "lost their phone"},
        (LOGIN, 403, 403, 403, 403, 404),
    ),
    ("moderation.resolve_report", "POST", "a report that does not exist"): (
        {"report_id": 987654}, {},
        (LOGIN, 403, 403, 404, 403, 403),
    ),
    # The disposition table and its rows (issue 13): the secretariat's, on rounds it sees.
    ("dispositions.table", "GET", "a closed round"): (
        {"round_id": "closed round"}, {},
        (LOGIN, 403, 403, 403, 200, 403),
    ),
    ("dispositions.table", "GET", "a round that does not exist"): (
        {"round_id": 987654}, {},
        (LOGIN, 403, 403, 403, 404, 403),
    ),
    ("dispositions.table_save", "POST", "a comment of the closed round, noted"): (
        {"round_id": "closed round", "comment_id": "own comment in the closed round:participant:industry"},
        {"r{comment_id}-kind": "noted", "r{comment_id}-observation": "Noted with thanks."},
        (LOGIN, 403, 403, 403, ALLOWED, 403),
    ),
    ("dispositions.table_save", "POST", "a comment of another round than the one named"): (
        {"round_id": "published round", "comment_id": "own comment in the closed round:participant:industry"}, {},
        (LOGIN, 403, 403, 403, 404, 403),
    ),
    # Briefing jobs: one that does not exist; a PDF of a round one may not see.
    ("exports.briefing_job", "GET", "a job that does not exist"): (
        {"job_id": 987654}, {},
        (404, 404, 404, 404, 404, 404),
    ),
    ("exports.round_briefing_pdf", "POST", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (404, 404, 404, ALLOWED, ALLOWED, 404),
    ),
    ("exports.import_compiled", "GET", "a round being prepared (draft)"): (
        {"round_id": "draft round"}, {},
        (LOGIN, 403, 403, 403, 200, 403),
    ),
}  # fmt: skip


def app_rules(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every URL rule but static files."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def outcome(method: str, response) -> Any:
    if is_login_redirect(response):
        return LOGIN
    if method == "GET" or response.status_code == 401:
        return response.status_code
    if b"open too long" in response.data:  # the CSRF refusal: the test's token was not accepted
        return CSRF_REFUSED
    if response.status_code in (403, 404, 409) or response.status_code >= 500:
        return response.status_code
    return ALLOWED


def request(app, client, method: str, url: str, body: dict | None = None):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": csrf_token(client), **(body or {})})


def test_every_rule_is_in_the_matrix(app):
    missing = app_rules(app) - EXPECTED.keys()
    assert not missing, f"URL rules without an access-matrix entry: {sorted(missing)}"


def test_the_matrix_lists_no_stale_rules(app):
    stale = EXPECTED.keys() - app_rules(app)
    stale |= {(e, m) for e, m, _case in EXPECTED_OBJECTS} - app_rules(app)
    assert not stale, f"access-matrix entries for rules that no longer exist: {sorted(stale)}"


def test_every_row_names_every_viewer():
    for key, outcomes in [*EXPECTED.items(), *((k, v[2]) for k, v in EXPECTED_OBJECTS.items())]:
        assert set(expand(outcomes)) == set(VIEWERS), key


@pytest.mark.parametrize("viewer", VIEWERS)
def test_access_matrix(app, session, people, login_as, viewer):
    world = build_world(session, people)
    mismatches = []
    for (endpoint, method), outcomes in sorted(EXPECTED.items()):
        url = build_url(app, endpoint, method, world.url_args())
        response = request(app, sign_in(app, login_as, session, people, viewer), method, url)
        expected, got = expand(outcomes)[viewer], outcome(method, response)
        if got != expected:
            mismatches.append(f"{method} {url}: expected {expected}, got {got}")
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_access_matrix_over_objects(app, session, people, login_as, viewer):
    world = build_world(session, people)
    named = {
        "hidden": world.hidden_consultation_id,
        "revoked": world.revoked_invitation_id,
        "other group": world.other_group_organisation_id,
        OWN: people[viewer].id if viewer != "anonymous" else world.subject.id,
        **world.objects,
    }
    # Viewers who write no comments get the governments participant's for "own".
    writer = viewer if f"own comment:{viewer}" in world.objects else "participant:governments"
    named[OWN_COMMENT] = world.objects[f"own comment:{writer}"]
    named[OWN_DRAFT] = world.objects[f"own draft:{writer}"]
    named[OWN_CLOSED] = world.objects[f"own comment in the closed round:{writer}"]
    for placeholder, kind, fallback in (
        (OWN_PASSKEY, "passkey", world.passkey_id),
        (OWN_SESSION, "session", world.session_id),
        (OWN_BROWSER, "browser", world.browser_id),
    ):
        named[placeholder] = world.objects.get(f"own {kind}:{viewer}", fallback)
    mismatches = []
    for (endpoint, method, case), (overrides, body, outcomes) in EXPECTED_OBJECTS.items():
        args = {**world.url_args(), **{k: named.get(v, v) for k, v in overrides.items()}}
        url = build_url(app, endpoint, method, args)
        body = {name.replace("{comment_id}", str(args.get("comment_id"))): v for name, v in body.items()}
        response = request(app, sign_in(app, login_as, session, people, viewer), method, url, body)
        expected, got = expand(outcomes)[viewer], outcome(method, response)
        if got != expected:
            mismatches.append(f"{method} {url} ({case}): expected {expected}, got {got}")
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)


def test_refused_self_changes_change_nothing(app, session, people, login_as):
    """The admin's refused attempts on their own account leave role and state as they were."""
    admin = people["admin"]
    role_url = build_url(app, "admin.change_role", "POST", {"user_id": admin.id})
    active_url = build_url(app, "admin.set_active", "POST", {"user_id": admin.id})
    client = sign_in(app, login_as, session, people, "admin")  # (ends the test's transaction)
    assert request(app, client, "POST", role_url, {"role": "participant", "reason": "x"}).status_code == 403
    assert request(app, client, "POST", active_url, {"active": "0", "reason": "x"}).status_code == 403
    session.rollback()
    assert admin.role.value == "admin" and admin.is_active


@pytest.mark.parametrize("stage", ["setup", "verify"])
@pytest.mark.parametrize("viewer", ["moderator", "admin"])
def test_half_signed_in_reaches_only_its_step(app, session, people, half_sign_in, viewer, stage):
    """After the password, before the second factor (or its set-up): every rule answers the
    step's redirect (GET) or 403 (POST), but the step's own pages."""
    from consult.auth import signin

    world = build_world(session, people)
    user = people[viewer]
    step = build_url(app, signin.STEP_ENDPOINTS[stage], "GET", {})
    allowed = signin.ALLOWED[stage]
    mismatches = []
    for endpoint, method in sorted(EXPECTED):
        url = build_url(app, endpoint, method, world.url_args())
        client = app.test_client()
        half_sign_in(client, user, stage)
        release(session)
        response = request(app, client, method, url)
        if endpoint in allowed:
            got, expected = outcome(method, response), (200 if method == "GET" else ALLOWED)
        elif url.startswith("/api/v1/"):
            # The API reads no cookie session, half-signed-in or not: a bearer token or 401 (its
            # document and the page that shows it are public).
            got, expected = response.status_code, (200 if endpoint in ("api.openapi", "api.docs") else 401)
        elif method == "GET":
            got, expected = (response.status_code, response.headers.get("Location")), (302, step)
        else:
            got, expected = response.status_code, 403
        if got != expected:
            mismatches.append(f"{method} {url}: expected {expected}, got {got}")
    assert not mismatches, f"{viewer} half signed in ({stage}):\n" + "\n".join(mismatches)
    assert {e for e, _m in EXPECTED} >= allowed  # the step's own pages are in the matrix
