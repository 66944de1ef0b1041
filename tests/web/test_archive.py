"""The organisation's folders (accountancy manual, "Dossier"): Accordering, Online Dossier
<client number> and Upload; the office's archive of client uploads; nobody else's files."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from casemodel.filestore import FileStore
from casemodel.models import (
    ApprovalRequest,
    ArchivedFile,
    AuditEvent,
    Dossier,
    Office,
    OutboxMessage,
    User,
)
from casemodel.queries.archive import get_archived_file_for
from casemodel.services.accounts import create_user
from casemodel.services.approvals import (
    ClientInfo,
    Outcome,
    approve,
    record_view,
    send_code,
    start_challenge,
)
from casemodel.services.documents import publish_document
from casemodel.services.errors import NotFound
from casemodel.services.notifications import send_digest
from tests.files import PDF, PNG
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)

STAFF = "medewerker@example.nl"
DIRECTOR = "directeur@example.nl"  # Bakkerij Van Dam B.V., client number A-2044
CLIENT = "klant@example.nl"  # J. de Vries, N-10231


def text(response) -> str:
    return text_of(response.get_data(as_text=True))


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def upload(client, content: bytes, name: str, content_type: str = "application/pdf"):
    return client.post(
        "/archive/uploads",
        data=content,
        headers={"X-File-Name": quote(name), "Content-Type": content_type},
    )


def user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def director(web_app, login):
    client = web_app.test_client()
    login(client, DIRECTOR)
    return client


def test_the_folders_in_dutch_and_english(director):
    online = text(director.get("/archive"))
    assert "Archief van Bakkerij Van Dam B.V." in online
    assert "Accordering (0)" in online  # the 2024 accounts wait for approval
    assert "Online Dossier A-2044 (4) 4 ongelezen" in online
    assert "Upload (0)" in online
    # The seeded documents, grouped by dossier.
    assert "Jaarrekening 2025 en IB-aangifte directeur" in online
    assert "Checklist aanlevering jaarrekening 2025" in online
    assert "Aangifte inkomstenbelasting 2024 ingediend" in online
    uploads = text(director.get("/archive?folder=upload"))
    assert "uw contactpersoon bij Accountantskantoor Tamek krijgt hiervan automatisch bericht" in (
        uploads
    )
    assert "U heeft nog geen bestanden geüpload." in uploads
    assert 'data-endpoint="/archive/uploads"' in director.get("/archive?folder=upload").text

    director.post("/language", data={"locale": "en"})
    online = text(director.get("/archive"))
    assert "Archive of Bakkerij Van Dam B.V." in online
    assert "Approvals (0)" in online
    assert "Online Dossier A-2044 (4) 4 unread" in online
    assert "Checklist aanlevering jaarrekening 2025" in online  # titles are the office's words
    uploads = text(director.get("/archive?folder=upload"))
    assert "your contact person at Accountantskantoor Tamek is told automatically" in uploads
    assert "You have not uploaded any files yet." in uploads
    approved = text(director.get("/archive?folder=approved"))
    assert "All the documents you approved are here." in approved
    assert "You have not approved any documents yet." in approved


def test_online_dossier_lists_published_documents_not_drafts(web_app, director, web_session):
    staff = user(web_session, STAFF)
    dossier = web_session.scalar(
        select(Dossier).where(Dossier.description == "Jaarrekening 2025 Van Dam Holding B.V.")
    )
    stored = FileStore(web_app.config["FILES_PATH"]).put(io.BytesIO(PDF), max_bytes=10**6)
    for title, draft in (("Concept jaarrekening Holding", True), ("Vragenlijst Holding", False)):
        publish_document(web_session, dossier=dossier, folder="documents", title=title,
                         stored=stored, filename="stuk.pdf", actor=staff, draft=draft)  # fmt: skip
    web_session.commit()

    page = text(director.get("/archive"))
    assert "Online Dossier A-2044 (5) 5 ongelezen" in page
    assert "Jaarrekening 2025 Van Dam Holding B.V." in page
    assert "Vragenlijst Holding ongelezen" in page
    assert "Concept jaarrekening Holding" not in page
    # The Holding dossier has the newest document: it comes first.
    assert page.index("Van Dam Holding") < page.index("Jaarrekening 2024 en IB-aangifte")

    html = director.get("/archive").text
    link = re.search(rf"/dossiers/{dossier.id}/documents/(\d+)/download", html)[0]
    download = director.get(link)
    assert download.data == PDF
    assert "Vragenlijst Holding ongelezen" not in text(director.get("/archive"))
    assert "Online Dossier A-2044 (5) 4 ongelezen" in text(director.get("/archive"))


def test_accordering_lists_the_approved_documents_with_their_certificates(
    web_app, director, web_session
):
    """The folder lists what was approved (through the approval, with its code), each approved
    version with its certificate; what only waits for approval is not in it."""
    page = text(director.get("/archive?folder=approved"))
    assert "Accordering (0)" in page and "Jaarrekening 2024 Bakkerij Van Dam B.V." not in page

    request = web_session.scalar(select(ApprovalRequest))
    approve_by_sms(web_session, request, user(web_session, DIRECTOR),
                   FileStore(web_app.config["FILES_PATH"]))  # fmt: skip
    web_session.commit()
    response = director.get("/archive?folder=approved")
    page = text(response)
    dossier = request.dossier
    assert "Accordering (1)" in page
    assert f"Jaarrekening 2024 Bakkerij Van Dam B.V. (versie 1) {dossier.number}" in page
    assert "Annelies van Dam" in page
    link = f"/approvals/{request.id}/certificate"
    assert link in response.text
    certificate = director.get(link)
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    assert hashlib.sha256(certificate.data).hexdigest() == request.certificate_sha256


def approve_by_sms(session, request, approver, store) -> None:
    browser = ClientInfo(ip="127.0.0.1", user_agent="test")
    record_view(session, request=request, user=approver, client=browser)
    challenge = start_challenge(session, request=request, user=approver, client=browser,
                                locale="nl")  # fmt: skip
    send_code(session, challenge=challenge, user=approver, locale="nl")
    sms = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "send_sms")
                         .order_by(OutboxMessage.id.desc()).limit(1))  # fmt: skip
    code = re.search(r"\b(\d{6})\b", sms.payload["text"]).group(1)
    result = approve(session, challenge=challenge, user=approver, method="sms", code=code,
                     client=browser, store=store, locale="nl")  # fmt: skip
    assert result.outcome is Outcome.APPROVED



def test_uploading_two_files_archives_them_and_tells_the_contact_person_once(
    web_app, director, web_session
):
    first = upload(director, PDF, "Jaaropgave bank 2025.pdf")
    second = upload(director, PNG, "scan kassabon.png", "image/png")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["filename"] == "Jaaropgave bank 2025.pdf"
    assert first.json["uploaded_by"] == "Annelies van Dam"

    files = list(web_session.scalars(select(ArchivedFile).order_by(ArchivedFile.id)))
    assert [(f.filename, f.content_type, f.sha256) for f in files] == [
        ("Jaaropgave bank 2025.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest()),
        ("scan kassabon.png", "image/png", hashlib.sha256(PNG).hexdigest()),
    ]
    assert count(web_session, AuditEvent, AuditEvent.action == "archive.uploaded") == 2

    page = text(director.get("/archive?folder=upload"))
    assert "Upload (2)" in page
    assert "scan kassabon.png" in page and "Jaaropgave bank 2025.pdf" in page
    assert "Annelies van Dam" in page
    assert page.index("scan kassabon.png") < page.index("Jaaropgave bank 2025.pdf")

    contact = user(web_session, STAFF)
    before = count(web_session, OutboxMessage, OutboxMessage.kind == "send_mail")
    assert send_digest(web_session, contact.id) is True
    assert send_digest(web_session, contact.id) is False  # told once
    web_session.commit()
    mails = list(
        web_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "send_mail")
            .order_by(OutboxMessage.id)
            .offset(before)
        )
    )
    assert len(mails) == 1
    mail = mails[0].payload
    assert mail["to"] == STAFF
    body = str(mail)
    assert "2 bestanden geüpload door cliënt A-2044" in body
    assert "/office/archive" in body
    assert "Jaaropgave" not in body and "kassabon" not in body


def test_too_large_and_refused_files_get_a_message_and_leave_nothing(
    web_app, director, web_session
):
    web_app.config["MAX_FILE_BYTES"] = 1024
    too_large = upload(director, PDF + b"x" * 2048, "groot.pdf")
    assert too_large.status_code == 413
    assert too_large.json == {"error": "Het bestand is te groot."}
    refused = upload(director, b"<html><script>alert(1)</script></html>", "brief.pdf")
    assert refused.status_code == 422
    assert refused.json["error"].startswith("Dit soort bestand kan niet worden geplaatst.")
    # Far over the limit, the body is refused before the view (the page's script then shows
    # the same message as for the JSON answer).
    web_app.config["MAX_CONTENT_LENGTH"] = 2048
    assert upload(director, PDF + b"x" * 4096, "nog groter.pdf").status_code == 413
    page = director.get("/archive?folder=upload").text
    assert 'data-too-large="Het bestand is te groot."' in page
    empty = upload(director, b"", "leeg.pdf")
    assert (empty.status_code, empty.json["error"]) == (422, "Het bestand is leeg.")

    director.post("/language", data={"locale": "en"})
    refused = upload(director, b"MZ\x90\x00", "programma.pdf")
    assert refused.status_code == 422
    assert refused.json["error"].startswith("This kind of file cannot be")
    too_large = upload(director, PDF + b"x" * 2048, "big.pdf")
    assert too_large.json == {"error": "The file is too large."}

    assert count(web_session, ArchivedFile) == 0
    assert count(web_session, AuditEvent, AuditEvent.action == "archive.uploaded") == 0
    incoming = Path(web_app.config["FILES_PATH"]) / ".incoming"
    assert not incoming.exists() or not any(incoming.iterdir())
    assert "Upload (0)" in text(director.get("/archive?folder=upload"))


def test_without_javascript_the_folder_has_a_plain_form_for_several_files(
    web_app, director, web_session
):
    page = director.get("/archive?folder=upload").get_data(as_text=True)
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert 'action="/archive/uploads/form"' in noscript
    assert re.search(r'<input type="file" name="files"[^>]* multiple="multiple"', noscript)

    def send(*files):
        return director.post(
            "/archive/uploads/form",
            data={"files": [(io.BytesIO(content), name) for content, name in files]},
            content_type="multipart/form-data",
        )

    refused = send((PDF, "jaaropgave.pdf"), (b"MZ\x90\x00", "programma.pdf"))
    assert refused.headers["Location"] == "/archive?folder=upload"
    raw = director.get("/archive?folder=upload").get_data(as_text=True)
    page = text_of(raw)
    assert "programma.pdf: Dit soort bestand kan niet worden geplaatst." in page
    assert "Er is niets geplaatst." in page and "Upload (0)" in page
    # Next to the file field too, named to a screen reader; once.
    field = re.search(r'<input type="file" name="files"[^>]*>', raw)[0]
    assert 'aria-describedby="archive-files-refused"' in field
    assert re.search(r'id="archive-files-refused"[^>]*>programma\.pdf: Dit soort', raw)
    again = director.get("/archive?folder=upload").get_data(as_text=True)
    assert "archive-files-refused" not in again
    assert count(web_session, ArchivedFile) == 0

    assert "Kies eerst een bestand." in text(director.get(send().headers["Location"]))

    done = send((PDF, "jaaropgave.pdf"), (PNG, "bon.png"))
    page = text(director.get(done.headers["Location"]))
    assert "De 2 bestanden zijn geplaatst." in page and "Upload (2)" in page
    assert [f.filename for f in web_session.scalars(select(ArchivedFile))] == [
        "jaaropgave.pdf",
        "bon.png",
    ]
    assert count(web_session, AuditEvent, AuditEvent.action == "archive.uploaded") == 2


def test_staff_archive_lists_filters_and_downloads(web_app, login, director, web_session):
    upload(director, PDF, "Loonjournaal december.pdf")
    owner = web_app.test_client()
    login(owner, CLIENT)
    upload(owner, PNG, "Paspoort.png", "image/png")

    office = web_app.test_client()
    login(office, STAFF)
    page = text(office.get("/office/archive"))
    assert "Bestanden die cliënten in hun map ‘Upload’ hebben geplaatst" in page
    assert page.index("Paspoort.png") < page.index("Loonjournaal december.pdf")  # newest first
    row = r"Paspoort\.png \(\d+ Bytes\) N-10231 J\. de Vries [\d:, -]+ Jan de Vries Download"
    assert re.search(row, page)
    filtered = text(office.get("/office/archive?q=A-2044"))
    assert "Loonjournaal december.pdf" in filtered and "Paspoort.png" not in filtered
    assert "Paspoort.png" in text(office.get("/office/archive?q=de vries"))
    assert "Geen bestanden gevonden." in text(office.get("/office/archive?q=Z-9999"))

    office.post("/language", data={"locale": "en"})
    page = text(office.get("/office/archive"))
    assert "Files clients placed in their ‘Upload’ folder" in page
    assert "Search by client number or client name" in page

    archived = web_session.scalar(select(ArchivedFile).where(ArchivedFile.filename.like("Loon%")))
    # The same download route as the client's (casemodel decides who may).
    download = office.get(f"/archive/uploads/{archived.id}/download")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    # An ASCII name needs no filename* (RFC 6266 4.3); test_documents has one beyond ASCII.
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="Loonjournaal december.pdf"'
    )
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    event = web_session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.downloaded"))
    assert event.detail["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert event.actor_id == user(web_session, STAFF).id
    # The organisation's members download their own uploads too.
    assert director.get(f"/archive/uploads/{archived.id}/download").data == PDF


def test_nobody_else_reaches_an_organisations_files(web_app, login, director, web_session):
    owner = web_app.test_client()
    login(owner, CLIENT)
    archived_id = upload(owner, PDF, "Koopovereenkomst.pdf").json["id"]

    assert director.get(f"/archive/uploads/{archived_id}/download").status_code == 404
    assert director.get("/office/archive").status_code == 404
    assert "Koopovereenkomst.pdf" not in text(director.get("/archive?folder=upload"))
    assert director.get("/archive/uploads/999999/download").status_code == 404

    # Staff of another office do not see it either.
    accountants = web_session.scalar(select(Office).where(Office.kind == "accountancy"))
    colleague = create_user(web_session, email="collega@example.nl", name="Collega",
                            role="staff", office_ids=[accountants.id], password=None)  # fmt: skip
    web_session.flush()
    with pytest.raises(NotFound):
        get_archived_file_for(web_session, archived_id, colleague)
    assert get_archived_file_for(web_session, archived_id, user(web_session, STAFF)).id == (
        archived_id
    )
