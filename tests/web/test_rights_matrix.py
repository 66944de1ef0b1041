"""The rights matrix (issue 17, section 6; SECURITY.md "Access"): every route of the client's
side, from the app's URL map, is called by a client who holds every right but one, once for
each right, and once holding all of them. A route that needs the missing right answers 403
(a member without it) or 404 (what it is about is not theirs to see); every other route is
reached. On the office's side, the pages that need a manager: a staff member is refused, a
manager reaches them. A route of these blueprints that is not in ROUTE_RIGHTS fails the test:
every new route must say which right it needs."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from casemodel.filestore import FileStore
from casemodel.models import Membership, MembershipInvitation, Step, User
from casemodel.services.rights import RIGHTS, Rights
from casemodel.stepkinds.upload_request import open_upload_request, supply_requested_file
from tests.files import PDF
from tests.fixtures.routes import OTHER_ARGUMENTS, OWNER, STAFF

#: The blueprints of the client's side (and the shared features).
CLIENT_BLUEPRINTS = {
    "portal", "beheer", "documents", "messages", "attachments", "upload_requests", "archive",
    "questionnaires", "support", "approvals",
}  # fmt: skip
VIEW, UPLOAD, FILL, ADMIN = ({"view"}, {"view", "upload"}, {"fill"}, {"administer"})
#: Approving: the document is seen in its dossier, so both.
APPROVE = {"view", "approve"}
#: Seen with the right to see dossiers or the right to fill in questionnaires.
EITHER_VIEW_OR_FILL = "view|fill"
#: Routes of these blueprints for the office alone: a client is refused whatever their rights.
NEVER = "never"
#: (endpoint, method) -> the rights a client needs, all of them.
ROUTE_RIGHTS: dict[tuple[str, str], set[str] | str] = {
    ("portal.home", "GET"): set(),
    ("portal.list_dossiers", "GET"): set(),
    ("portal.my_details", "GET"): set(),
    ("portal.list_news", "GET"): set(),
    ("portal.show_news", "GET"): set(),
    ("portal.save_news_interests", "POST"): set(),
    ("portal.switch_organisation", "POST"): set(),
    ("portal.accept", "POST"): set(),
    ("portal.decline", "POST"): set(),
    ("portal.show_dossier", "GET"): VIEW,
    ("portal.show_progress", "GET"): VIEW,
    ("documents.download_document", "GET"): VIEW,
    ("documents.publish_document", "POST"): NEVER,
    ("documents.add_document_version", "POST"): NEVER,
    ("messages.show_message", "GET"): VIEW,
    ("messages.new_message", "GET"): UPLOAD,
    ("messages.send_new_message", "POST"): UPLOAD,
    ("messages.reply_to_message", "GET"): UPLOAD,
    ("messages.reply_to_message", "POST"): UPLOAD,
    ("messages.list_messages", "GET"): NEVER,
    ("messages.assign", "POST"): NEVER,
    ("attachments.upload_attachment", "POST"): UPLOAD,
    ("attachments.delete_attachment", "POST"): UPLOAD,
    ("upload_requests.supply_requested_files", "POST"): UPLOAD,
    ("upload_requests.remove_requested_document", "POST"): UPLOAD,
    ("upload_requests.send_upload_request", "POST"): UPLOAD,
    ("archive.show_archive", "GET"): set(),
    ("archive.upload_to_archive", "POST"): {"upload"},
    ("archive.upload_to_archive_by_form", "POST"): {"upload"},
    ("archive.download_archived_file", "GET"): VIEW,
    ("archive.list_archive", "GET"): NEVER,
    ("questionnaires.list_actions", "GET"): set(),
    ("questionnaires.fill", "GET"): FILL,
    ("questionnaires.show_page", "GET"): FILL,
    ("questionnaires.post_page", "POST"): FILL,
    ("questionnaires.show_summary", "GET"): FILL,
    ("questionnaires.complete", "POST"): FILL,
    ("questionnaires.show_result", "GET"): EITHER_VIEW_OR_FILL,
    ("questionnaires.download_pdf", "GET"): EITHER_VIEW_OR_FILL,
    ("questionnaires.download_file", "GET"): EITHER_VIEW_OR_FILL,
    ("questionnaires.send_ad_hoc", "POST"): NEVER,
    ("questionnaires.show_answers", "GET"): NEVER,
    ("questionnaires.send_back_for_rework", "POST"): NEVER,
    ("questionnaires.withdraw", "POST"): NEVER,
    ("approvals.list_waiting", "GET"): set(),
    ("approvals.show_overview", "GET"): set(),
    ("approvals.show_approval", "GET"): VIEW,
    ("approvals.view_document", "GET"): VIEW,
    ("approvals.show_confirmation", "GET"): APPROVE,
    ("approvals.agree", "POST"): APPROVE,
    ("approvals.show_signing", "GET"): APPROVE,
    ("approvals.send_sms", "POST"): APPROVE,
    ("approvals.approve_document", "POST"): APPROVE,
    ("approvals.show_result", "GET"): VIEW,
    ("approvals.ask", "GET"): APPROVE,
    ("approvals.ask", "POST"): APPROVE,
    ("approvals.reject_document", "GET"): APPROVE,
    ("approvals.reject_document", "POST"): APPROVE,
    ("approvals.download_certificate", "GET"): VIEW,
    ("approvals.withdraw_approval", "POST"): NEVER,
    ("approvals.change_approval_recipient", "POST"): NEVER,
    ("approvals.retry_sending", "POST"): NEVER,
    ("approvals.put_up_document", "POST"): NEVER,
    ("support.show_support", "GET"): set(),
    ("beheer.index", "GET"): set(),
    ("beheer.my_account", "GET"): set(),
    ("beheer.my_account", "POST"): set(),
    ("beheer.withdraw", "POST"): set(),
    ("beheer.list_clients", "GET"): set(),
    ("beheer.show_client", "GET"): set(),
    ("beheer.show_client", "POST"): ADMIN,
    ("beheer.list_users", "GET"): ADMIN,
    ("beheer.new_user", "GET"): ADMIN,
    ("beheer.new_user", "POST"): ADMIN,
    ("beheer.show_user", "GET"): ADMIN,
    ("beheer.change_rights", "POST"): ADMIN,
    ("beheer.change_notifications", "POST"): ADMIN,
    ("beheer.change_details", "POST"): ADMIN,
    ("beheer.change_contact", "GET"): ADMIN,
    ("beheer.change_contact", "POST"): ADMIN,
    ("beheer.remove_user", "POST"): ADMIN,
    # Account-wide pages of "Mijn gegevens" that depend on a right.
    ("auth.change_mobile_number", "GET"): ADMIN,
    ("auth.change_mobile_number", "POST"): ADMIN,
    ("auth.save_notifications", "POST"): set(),
}
#: Routes that act on something the page made for the person (an approval's code challenge):
#: the matrix has no such id to post, so with the rights they may answer 404 for it.
NEEDS_A_CHALLENGE = {("approvals.send_sms", "POST"), ("approvals.approve_document", "POST")}
#: Last, in this order: what changes what the routes after it would find.
LAST = ("upload_requests.remove_requested_document", "attachments.delete_attachment",
        "beheer.withdraw", "beheer.remove_user", "portal.decline", "portal.accept")  # fmt: skip
#: The office's pages a manager may open and a staff member may not.
MANAGER_ROUTES = {("office_settings.manage", "GET"), ("office_settings.edit_settings", "GET"),
                  ("office_settings.edit_settings", "POST"), ("office_settings.add_kind", "POST"),
                  ("office_settings.upload_logo", "POST"),
                  ("office_settings.remove_logo", "POST")}  # fmt: skip


def client_routes(app):
    """Every (rule, method) of the client's side, unclassified ones failing the test."""
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            key = (rule.endpoint, method)
            if blueprint in CLIENT_BLUEPRINTS or key in ROUTE_RIGHTS:
                assert key in ROUTE_RIGHTS, f"{key}: say which right it needs in ROUTE_RIGHTS"
                routes.append((rule, method))
    order = {endpoint: n for n, endpoint in enumerate(LAST, start=1)}
    return sorted(routes, key=lambda r: (order.get(r[0].endpoint, 0), r[1] != "GET"))


def allowed(needed, held: set[str]) -> bool:
    if needed == NEVER:
        return False
    if needed == EITHER_VIEW_OR_FILL:
        return bool(held & {"view", "fill"})
    return needed <= held


@pytest.fixture
def matrix_ids(web_app, web_session, owned_ids) -> dict:
    """The owned ids, with an open upload request of the owner's dossier and a file supplied
    for it (the upload request routes need one to find)."""
    session = web_session
    owner = session.scalar(select(User).where(User.email == OWNER))
    step = session.scalar(select(Step).where(Step.dossier_id == owned_ids["dossier_id"],
                                             Step.kind == "upload_request"))  # fmt: skip
    task = open_upload_request(session, dossier_id=step.dossier_id, step_key=step.key)
    stored = FileStore(web_app.config["FILES_PATH"]).put(io.BytesIO(PDF), max_bytes=1024)
    supplied = supply_requested_file(session, task=task, item_key="id-buyer", stored=stored,
                                     filename="paspoort.pdf", actor=owner)  # fmt: skip
    # Declining and accepting each use up an invitation: accepting gets one of its own.
    declined = session.get(MembershipInvitation, owned_ids["invitation_id"])
    accepted = MembershipInvitation(user_id=owner.id, organisation_id=declined.organisation_id,
                                    created_at=declined.created_at,
                                    expires_at=declined.expires_at)  # fmt: skip
    session.add(accepted)
    session.commit()
    return owned_ids | {"task_id": task.id, "document_id": supplied.id,
                        "accepted_invitation_id": accepted.id}  # fmt: skip


def hold(session, email: str, organisation_id: int, held: set[str]) -> None:
    membership = session.scalar(
        select(Membership)
        .join(User)
        .where(User.email == email, Membership.organisation_id == organisation_id)
    )
    Rights(**{right: right in held for right in RIGHTS}).put_on(membership)
    session.commit()


@pytest.mark.parametrize("missing", [None, *RIGHTS], ids=lambda r: f"without-{r or 'none'}")
def test_each_right_against_every_client_route(web_app, client, login, web_session,
                                               matrix_ids, missing):  # fmt: skip
    held = set(RIGHTS) - {missing}
    hold(web_session, OWNER, matrix_ids["organisation_id"], held)
    login(client, OWNER)
    values = matrix_ids | OTHER_ARGUMENTS
    data = {"subject": "x", "body": "y", "organisation_id": matrix_ids["organisation_id"]}
    refused, reached = [], []
    for rule, method in client_routes(web_app):
        if rule.endpoint == "portal.accept":
            values["invitation_id"] = matrix_ids["accepted_invitation_id"]
        url = rule.build({name: values[name] for name in rule.arguments},
                         append_unknown=False)[1]  # fmt: skip
        response = client.open(url, method=method, data=data if method == "POST" else None)
        needed = ROUTE_RIGHTS[(rule.endpoint, method)]
        where = f"{method} {url} without {missing}: {response.status_code}"
        assert response.status_code < 500, where
        if allowed(needed, held):
            refusals = {401, 403, 404} - (
                {404} if (rule.endpoint, method) in NEEDS_A_CHALLENGE else set()
            )
            assert response.status_code not in refusals, where
            reached.append(rule.endpoint)
        else:
            assert response.status_code in (403, 404), where
            refused.append((rule.endpoint, method))
    if missing is None:
        assert len(reached) >= 50, reached
    elif any(isinstance(needed, set) and missing in needed for needed in ROUTE_RIGHTS.values()):
        # Not vacuous: the right guards routes of its own.
        guarded = [key for key in refused if ROUTE_RIGHTS[key] not in (NEVER, EITHER_VIEW_OR_FILL)]
        assert guarded, refused


@pytest.mark.parametrize("who", [STAFF, "manager@example.nl"])
def test_the_office_pages_that_need_a_manager(web_app, client, login, owned_ids, who):
    login(client, who)
    values = owned_ids | OTHER_ARGUMENTS
    checked = 0
    for rule in web_app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in MANAGER_ROUTES:
                continue
            url = rule.build({name: values[name] for name in rule.arguments},
                             append_unknown=False)[1]  # fmt: skip
            response = client.open(url, method=method, data={})
            if who == STAFF:
                assert response.status_code == 403, f"{method} {url}: {response.status_code}"
            else:
                # The page, or the form again with what is missing (422): reached either way.
                assert response.status_code in (200, 302, 422), f"{method} {url}"
            checked += 1
    assert checked == len(MANAGER_ROUTES)
