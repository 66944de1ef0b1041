"""The IDOR matrix (SECURITY.md "Access"): every route with an id in its URL, called with the ids
of another organisation's dossier, document, message, file or task, answers 404, for every
method it takes. The routes are read from the app's URL map, so a new id route that the matrix
cannot fill in fails this test until it is added here."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from casemodel.db import utcnow
from casemodel.filestore import FileStore
from casemodel.models import (
    Dossier,
    HumanTask,
    MembershipInvitation,
    Office,
    Organisation,
    Step,
    User,
    UserSession,
)
from casemodel.services.accounts import create_user
from casemodel.services.documents import publish_document, supply_document
from casemodel.services.messages import send_message
from casemodel.services.uploads import archive_upload, stage_file
from devtools.seed import DEMO_PASSWORD
from tests.files import PDF as PDF_BYTES
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)

OWNER = "klant@example.nl"
STAFF = "medewerker@example.nl"
OTHER_CLIENT = "directeur@example.nl"
OTHER_OFFICE_STAFF = "collega-accountant@example.nl"
#: Routes whose ids are not of an organisation (a token in a link, static files).
NOT_ORGANISATION_IDS = {"static", "auth.reset_password", "auth.activate"}


@pytest.fixture
def owned_ids(web_app, web_session) -> dict[str, int]:
    """One of everything, all of the notary client klant@example.nl's organisation."""
    session = web_session
    store = FileStore(web_app.config["FILES_PATH"])
    PDF = store.put(io.BytesIO(PDF_BYTES), max_bytes=1024)  # noqa: N806
    owner = session.scalar(select(User).where(User.email == OWNER))
    staff = session.scalar(select(User).where(User.email == STAFF))
    dossier = session.scalar(select(Dossier).where(Dossier.description.like("Levering Keizer%")))
    organisation = session.get(Organisation, dossier.organisation_id)
    document = publish_document(session, dossier=dossier, folder="documents", title="Akte",
                                stored=PDF, filename="akte.pdf", actor=staff)  # fmt: skip
    supplied = supply_document(session, dossier=dossier, title="Paspoort", stored=PDF,
                               filename="paspoort.pdf", actor=owner)  # fmt: skip
    message = send_message(session, dossier=dossier, author=owner, subject="Vraag", body="Tekst")
    staged = stage_file(session, dossier=dossier, user=owner, stored=PDF, filename="a.pdf")
    archived = archive_upload(session, organisation=organisation, user=owner, stored=PDF,
                              filename="jaaropgave.pdf")  # fmt: skip
    step = session.scalar(select(Step).where(Step.dossier_id == dossier.id).limit(1))
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    if task is None:
        task = HumanTask(dossier_id=dossier.id, step_id=step.id, kind=step.kind, audience="staff")
        session.add(task)
    owner_session = session.scalar(select(UserSession).where(UserSession.user_id == owner.id))
    accountancy = session.scalar(select(Office).where(Office.kind == "accountancy"))
    intruder = create_user(session, email=OTHER_OFFICE_STAFF, name="Collega", role="staff",
                           office_id=accountancy.id, password=DEMO_PASSWORD)  # fmt: skip
    intruder.mobile_number, intruder.second_factor = "+31612349999", "sms"
    # An invitation of the owner to another organisation (of the accountancy firm).
    elsewhere = session.scalar(select(Organisation).where(Organisation.office_id == accountancy.id))
    invitation = MembershipInvitation(user_id=owner.id, organisation_id=elsewhere.id,
                                      created_at=utcnow(),
                                      expires_at=utcnow() + dt.timedelta(days=1))  # fmt: skip
    session.add(invitation)
    session.commit()
    ids = {
        "dossier_id": dossier.id,
        "document_id": document.id,
        "supplied_id": supplied.id,
        "version": 1,
        "message_id": message.id,
        "staged_id": staged.id,
        "archived_id": archived.id,
        "task_id": task.id,
        "session_id": owner_session.id if owner_session else 10**6,
        "invitation_id": invitation.id,
    }
    return ids


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_ORGANISATION_IDS or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule, ids: dict[str, int]) -> str:
    missing = rule.arguments - ids.keys()
    assert not missing, f"{rule.rule}: add ids for {sorted(missing)} to the IDOR matrix"
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("intruder", [OTHER_CLIENT, OTHER_OFFICE_STAFF])
def test_every_id_route_answers_404_to_another_organisation(
    web_app, client, login, owned_ids, intruder
):
    login(client, intruder)
    checked = []
    for rule, method in id_routes(web_app):
        if intruder == OTHER_OFFICE_STAFF and not rule.rule.startswith("/office/"):
            continue  # the client portal sends staff to the office pages
        url = fill(rule, owned_ids)
        response = client.open(url, method=method, data={"subject": "x", "body": "y"})
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        checked.append(f"{method} {rule.rule}")
    assert len(checked) >= 5, checked


def test_the_owner_reaches_the_same_routes(web_app, client, login, owned_ids):
    """The matrix is not vacuous: the owner's own GET routes of the portal answer."""
    login(client, OWNER)
    for rule, method in id_routes(web_app):
        if method != "GET" or rule.rule.startswith("/office/") or "session_id" in rule.arguments:
            continue
        url = fill(rule, owned_ids)
        response = client.get(url)
        assert response.status_code in (200, 302), f"GET {url}: {response.status_code}"
