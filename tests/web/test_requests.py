"""Upload requests ("Gevraagde bestanden") on the client's dossier page, and the `publish` step
as the office and the client see it: the engagement letter a step generates, and the document
staff upload when a publish step waits for it."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from casemodel.models import (
    Document,
    DocumentVersion,
    Dossier,
    HumanTask,
    Notification,
    OutboxMessage,
    Step,
    User,
)
from casemodel.services.steps import get_step
from casemodel.stepkinds.automatic import run_automatic_step
from casemodel.stepkinds.publish import run_publish_step
from casemodel.stepkinds.upload_request import open_upload_request
from tests.files import PDF, PNG
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)
from tests.querycount import statements_during
from tests.web.page_text import text

STAFF = "medewerker@example.nl"
CLIENT = "klant@example.nl"
OTHER_CLIENT = "directeur@example.nl"
TRANSFER = "Levering Keizersgracht 12, Amsterdam"
ANNUAL = "Jaarrekening 2025 en IB-aangifte directeur"

BOTH = pytest.mark.parametrize("locale", ["nl", "en"])


def tr(locale: str, nl: str, en: str) -> str:
    return en if locale == "en" else nl


def speak(client, locale: str) -> None:
    assert client.post("/language", data={"locale": locale}).status_code == 302


def dossier_named(session, description: str) -> Dossier:
    return session.scalar(select(Dossier).where(Dossier.description == description))


@pytest.fixture
def transfer(web_session) -> Dossier:
    return dossier_named(web_session, TRANSFER)


@pytest.fixture
def request_task(web_session, transfer) -> HumanTask:
    """The transfer's upload request (copies of ID, the purchase agreement), opened as the flow
    does when it reaches the step."""
    task = open_upload_request(web_session, dossier_id=transfer.id, step_key="client-documents")
    web_session.commit()
    return task


def files_url(dossier_id: int, task_id: int) -> str:
    return f"/dossiers/{dossier_id}/requests/{task_id}/files"


def supply(client, dossier, task, **files):
    """Post files per item: supply(client, d, t, id_buyer=[(bytes, name), ...])."""
    data = {
        f"files-{item.replace('_', '-')}": [(io.BytesIO(content), name) for content, name in pairs]
        for item, pairs in files.items()
    }
    return client.post(
        files_url(dossier.id, task.id), data=data, content_type="multipart/form-data"
    )


def count_in(session, dossier, folder: str) -> int:
    """How many published documents the folder holds (the demo seed has some already)."""
    return session.scalar(
        select(func.count())
        .select_from(Document)
        .where(
            Document.dossier_id == dossier.id,
            Document.folder == folder,
            Document.published_at.is_not(None),
        )
    )


def actions(client) -> str:
    page = client.get("/home").get_data(as_text=True)
    return re.search(r'data-testid="actions">(\d+)<', page).group(1)


@BOTH
def test_the_request_shows_each_file_asked_for_and_counts_as_an_action(
    web_app, login, transfer, web_session, locale
):
    client = web_app.test_client()
    login(client, CLIENT)
    speak(client, locale)
    assert actions(client) == "0"

    task = open_upload_request(web_session, dossier_id=transfer.id, step_key="client-documents")
    web_session.commit()

    assert actions(client) == "1"
    page = text(client.get(f"/dossiers/{transfer.id}"))
    assert (
        tr(
            locale,
            "Gevraagde bestanden: Stukken van de koper",
            "Requested files: The buyer's documents",
        )
        in page
    )
    assert (
        tr(
            locale,
            "Kopie paspoort of identiteitskaart (voor- en achterkant) (verplicht)",
            "Copy of your passport or identity card (front and back) (required)",
        )
        in page
    )
    assert (
        tr(
            locale,
            "Kopie legitimatie van uw partner of medekoper (niet verplicht)",
            "Copy of your partner's or co-buyer's ID (optional)",
        )
        in page
    )
    assert tr(locale, "Getekende koopovereenkomst", "Signed purchase agreement") in page
    assert (
        tr(
            locale,
            "U kunt versturen zodra elk verplicht bestand is aangeleverd.",
            "You can send once every required file has been supplied.",
        )
        in page
    )
    raw = client.get(f"/dossiers/{transfer.id}").get_data(as_text=True)
    # "Versturen" looks disabled and says why, naming what is missing.
    button = re.search(r"<button [^>]*disabled[^>]*>", raw)[0]
    why = re.search(r'aria-describedby="([^"]+)"', button)[1]
    reason = re.search(rf'id="{why}">([^<]+)<', raw)[1]
    assert tr(locale, "Nog nodig:", "Still needed:") in reason
    assert f'action="{files_url(transfer.id, task.id)}"' in raw

    # The client's people are told by the batched mail: the new notification kind.
    klant = web_session.scalar(select(User).where(User.email == CLIENT))
    kinds = web_session.scalars(select(Notification.kind).where(Notification.user_id == klant.id))
    assert "request" in list(kinds)
    # Opening the task again (a repeated flow task) neither duplicates it nor tells twice.
    again = open_upload_request(web_session, dossier_id=transfer.id, step_key="client-documents")
    assert again.id == task.id
    assert (
        web_session.scalar(
            select(func.count()).where(
                Notification.user_id == klant.id, Notification.kind == "request"
            )
        )
        == 1
    )


@BOTH
def test_the_client_supplies_replaces_and_sends(
    web_app, login, transfer, request_task, web_session, locale
):
    client = web_app.test_client()
    login(client, CLIENT)
    speak(client, locale)
    before = count_in(web_session, transfer, "supplied")

    response = supply(
        client,
        transfer,
        request_task,
        id_buyer=[(PDF, "paspoort.pdf"), (PNG, "paspoort-achterkant.png")],
    )
    page = text(client.get(response.headers["Location"]))
    assert tr(locale, "De 2 bestanden zijn geplaatst.", "The 2 files have been uploaded.") in page
    assert "paspoort.pdf" in page and "paspoort-achterkant.png" in page
    label = tr(locale, "Door mij aangeleverd", "Supplied by me")
    assert f"{label} ({before + 2})" in page

    # Sending before the purchase agreement is there is refused, naming what is missing.
    refused = client.post(f"/dossiers/{transfer.id}/requests/{request_task.id}/send")
    page = text(client.get(refused.headers["Location"]))
    assert (
        tr(
            locale,
            "Lever eerst alle verplichte bestanden aan. Nog nodig: Getekende koopovereenkomst.",
            "Please supply every required file first. Still needed: Signed purchase agreement.",
        )
        in page
    )
    web_session.expire_all()
    assert web_session.get(HumanTask, request_task.id).state == "open"
    assert web_session.get(Step, request_task.step_id).state == "waiting"

    # The wrong scan is taken off again; the agreement is added.
    wrong = web_session.scalar(
        select(Document)
        .join(Document.versions)
        .where(DocumentVersion.filename == "paspoort-achterkant.png")
    )
    removed = client.post(
        f"/dossiers/{transfer.id}/requests/{request_task.id}/files/{wrong.id}/delete"
    )
    page = text(client.get(removed.headers["Location"]))
    assert tr(locale, "Het bestand is verwijderd.", "The file has been removed.") in page
    assert "paspoort-achterkant.png" not in page
    response = supply(client, transfer, request_task, purchase_agreement=[(PDF, "koop.pdf")])
    page = text(client.get(response.headers["Location"]))
    assert tr(locale, "Het bestand is geplaatst.", "The file has been uploaded.") in page
    raw = client.get(f"/dossiers/{transfer.id}").get_data(as_text=True)
    assert not re.search(r"<button [^>]*disabled", raw)  # "Versturen" is enabled now

    sent = client.post(f"/dossiers/{transfer.id}/requests/{request_task.id}/send")
    page = text(client.get(sent.headers["Location"]))
    assert (
        tr(
            locale,
            "Verstuurd. Uw behandelaar gaat ermee aan de slag.",
            "Sent. Your handler will take it from here.",
        )
        in page
    )
    assert tr(locale, "Gevraagde bestanden", "Requested files") not in page
    assert actions(client) == "0"
    supplied = text(client.get(f"/dossiers/{transfer.id}?tab=supplied"))
    assert f"{label} ({before + 2})" in supplied
    assert "paspoort.pdf" in supplied and "koop.pdf" in supplied

    web_session.expire_all()
    assert web_session.get(HumanTask, request_task.id).state == "done"
    assert web_session.get(Step, request_task.step_id).state == "done"
    resume = web_session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"resume:{transfer.id}:client-documents"
        )
    )
    assert resume.payload == {"dossier_id": transfer.id, "step_key": "client-documents"}
    handler_told = web_session.scalar(
        select(func.count()).where(
            Notification.user_id == transfer.handler_id, Notification.kind == "upload"
        )
    )
    assert handler_told == 2  # one per file: "2 bestanden aangeleverd in dossier …"

    # After sending, nothing more is added.
    late = supply(client, transfer, request_task, id_partner=[(PDF, "partner.pdf")])
    page = text(client.get(late.headers["Location"]))
    assert (
        tr(locale, "Deze aanvraag is al verstuurd.", "This request has been sent already.") in page
    )
    assert "partner.pdf" not in text(client.get(f"/dossiers/{transfer.id}?tab=supplied"))


@BOTH
def test_a_refused_file_leaves_nothing_and_an_empty_post_is_explained(
    web_app, login, transfer, request_task, web_session, locale
):
    client = web_app.test_client()
    login(client, CLIENT)
    speak(client, locale)

    response = supply(
        client,
        transfer,
        request_task,
        id_buyer=[(PDF, "paspoort.pdf")],
        purchase_agreement=[(b"MZ\x90\x00 not a document", "koop.exe")],
    )
    raw = client.get(response.headers["Location"]).get_data(as_text=True)
    page = " ".join(re.sub(r"<[^>]+>", " ", raw).split())
    refusal = tr(locale, "koop.exe: Dit soort bestand kan niet worden geplaatst.",
                 "koop.exe: This kind of file cannot be placed.")  # fmt: skip
    assert refusal in page
    # Next to the file field it came in (the purchase agreement's), not only at the top.
    field = re.search(r'<input type="file" name="files-purchase-agreement"[^>]*>', raw)[0]
    described = re.search(r'aria-describedby="([^"]+)"', field)[1]
    assert re.search(rf'id="{described}"[^>]*>{re.escape(refusal)}', raw)
    other = re.search(r'<input type="file" name="files-id-buyer"[^>]*>', raw)[0]
    assert "aria-invalid" not in other
    assert tr(locale, "Er is niets geplaatst.", "Nothing has been uploaded.") in page
    assert (
        web_session.scalar(
            select(func.count()).select_from(Document).where(Document.step_key.is_not(None))
        )
        == 0
    )

    empty = client.post(
        files_url(transfer.id, request_task.id), data={}, content_type="multipart/form-data"
    )
    page = text(client.get(empty.headers["Location"]))
    assert tr(locale, "Kies eerst een bestand.", "Choose a file first.") in page


def test_every_request_route_answers_404_to_someone_else(
    web_app, login, transfer, request_task, web_session
):
    owner = web_app.test_client()
    login(owner, CLIENT)
    supply(owner, transfer, request_task, id_buyer=[(PDF, "paspoort.pdf")])
    document = web_session.scalar(select(Document).where(Document.request_item == "id-buyer"))

    stranger = web_app.test_client()
    login(stranger, OTHER_CLIENT)
    own = dossier_named(web_session, ANNUAL)
    base = f"/dossiers/{transfer.id}/requests/{request_task.id}"
    for url in (f"{base}/files", f"{base}/files/{document.id}/delete", f"{base}/send"):
        assert stranger.post(url).status_code == 404, url
    # The stranger's own dossier with the other's request id: still not found.
    own_base = f"/dossiers/{own.id}/requests/{request_task.id}"
    for url in (f"{own_base}/files", f"{own_base}/files/{document.id}/delete", f"{own_base}/send"):
        assert stranger.post(url).status_code == 404, url
    # The owner cannot remove a document of the dossier that is not part of the request.
    staff_doc = owner.post(f"{base}/files/999999/delete")
    assert staff_doc.status_code == 404

    web_session.expire_all()
    assert web_session.get(Document, document.id) is not None
    assert web_session.get(HumanTask, request_task.id).state == "open"
    # The office asks, the client answers (stepkinds.upload_request.check_open): staff of the
    # dossier's office may see the request, and are refused each action on it.
    office = web_app.test_client()
    login(office, STAFF)
    for url in (f"{base}/files", f"{base}/files/{document.id}/delete", f"{base}/send"):
        assert office.post(url).status_code == 403, url
    web_session.expire_all()
    assert web_session.get(HumanTask, request_task.id).state == "open"
    assert web_session.get(Document, document.id) is not None


@BOTH
def test_a_generated_engagement_letter_is_published_to_the_client(
    web_app, login, web_session, locale
):
    annual = dossier_named(web_session, ANNUAL)
    run_automatic_step(web_session, dossier_id=annual.id, step_key="engagement-letter")
    web_session.commit()
    draft = web_session.scalar(select(Document).where(Document.step_key == "engagement-letter"))
    assert draft.published_at is None and draft.step_key == "engagement-letter"

    client = web_app.test_client()
    login(client, OTHER_CLIENT)
    speak(client, locale)
    page = text(client.get(f"/dossiers/{annual.id}"))
    label = tr(locale, "Correspondentie", "Correspondence")
    before = count_in(web_session, annual, "correspondence")
    assert f"{label} ({before})" in page  # a draft is hidden
    draft_url = f"/dossiers/{annual.id}/documents/{draft.id}/download"
    assert client.get(draft_url).status_code == 404
    # The office sees the draft on its dossier page, marked as such, and downloads it through
    # the same route.
    office = web_app.test_client()
    login(office, STAFF)
    office_page = office.get(f"/office/dossiers/{annual.id}").text
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(draft_url)}.*?</tr>", office_page, re.S)
    assert row and "concept" in row[0]
    assert office.get(draft_url).data.startswith(b"%PDF-")

    assert run_publish_step(web_session, dossier_id=annual.id, step_key="engagement") is True
    web_session.commit()
    page = text(client.get(f"/dossiers/{annual.id}"))
    assert f"{label} ({before + 1})" in page
    assert "Opdrachtbevestiging" in page  # the letter is in the client's language: Dutch
    download = client.get(f"/dossiers/{annual.id}/documents/{draft.id}/download")
    assert download.data.startswith(b"%PDF-")
    assert b"Opdrachtbevestiging" in download.data  # the PDF's title
    assert (
        web_session.scalar(
            select(Step.state).where(Step.dossier_id == annual.id, Step.key == "engagement")
        )
        == "done"
    )


@BOTH
def test_a_publish_step_without_a_draft_waits_for_staff_to_upload_the_document(
    web_app, login, transfer, web_session, locale
):
    assert (
        run_publish_step(web_session, dossier_id=transfer.id, step_key="draft-deed-published")
        is False
    )
    web_session.commit()
    task = web_session.scalar(
        select(HumanTask).where(HumanTask.dossier_id == transfer.id, HumanTask.kind == "publish")
    )
    assert (task.audience, task.assignee_id) == ("staff", transfer.handler_id)

    office = web_app.test_client()
    login(office, STAFF)
    speak(office, locale)
    tasks = office.get("/office/tasks").get_data(as_text=True)
    assert tr(
        locale,
        "Plaats de concept leveringsakte (PDF) voor de cliënt.",
        "Place the draft deed of transfer (PDF) for the client.",
    ) in html.unescape(tasks)
    assert 'enctype="multipart/form-data"' in tasks and 'name="file"' in tasks
    assert tr(locale, "Plaatsen en afronden", "Place and complete") in tasks

    dossier_page = office.get(f"/office/dossiers/{transfer.id}").get_data(as_text=True)
    form = re.search(rf"<form[^>]*/office/tasks/{task.id}/complete.*?</form>", dossier_page, re.S)
    assert 'enctype="multipart/form-data"' in form.group(0) and 'name="file"' in form.group(0)

    without = office.post(f"/office/tasks/{task.id}/complete", data={})
    assert tr(locale, "Kies een bestand.", "Choose a file.") in text(
        office.get(without.headers["Location"])
    )
    done = office.post(
        f"/office/tasks/{task.id}/complete",
        data={"back": "dossier", "file": (io.BytesIO(PDF), "concept-akte.pdf")},
        content_type="multipart/form-data",
    )
    assert done.headers["Location"] == f"/office/dossiers/{transfer.id}"
    page = text(office.get(done.headers["Location"]))
    assert (
        tr(
            locale,
            "'Concept leveringsakte' staat nu in het dossier; de stap is afgerond.",
            "'Concept leveringsakte' is now in the dossier; the step is complete.",
        )
        in page
    )
    web_session.expire_all()
    assert web_session.get(HumanTask, task.id).state == "done"
    assert web_session.get(Step, task.step_id).state == "done"
    assert web_session.scalar(
        select(OutboxMessage.payload).where(
            OutboxMessage.dedupe_key == f"resume:{transfer.id}:draft-deed-published"
        )
    ) == {"dossier_id": transfer.id, "step_key": "draft-deed-published"}

    client = web_app.test_client()
    login(client, CLIENT)
    speak(client, locale)
    page = text(client.get(f"/dossiers/{transfer.id}?tab=documents"))
    count = count_in(web_session, transfer, "documents")
    assert tr(locale, f"Documenten ({count}) 1 ongelezen", f"Documents ({count}) 1 unread") in page
    assert "Concept leveringsakte" in page


def _client_who_supplied_a_file(web_app, login, transfer, request_task):
    """A signed-in client who supplied one file, and how many statements their dossier page
    costs."""
    client = web_app.test_client()
    login(client, CLIENT)
    supply(client, transfer, request_task, id_buyer=[(PDF, "paspoort.pdf")])
    return client, lambda: statements_during(lambda: client.get(f"/dossiers/{transfer.id}"))


def test_the_requested_files_block_costs_the_same_queries_for_one_file_or_eight(
    web_app, login, transfer, request_task
):
    client, statements = _client_who_supplied_a_file(web_app, login, transfer, request_task)
    one = statements()
    supply(client, transfer, request_task,
           id_buyer=[(PDF + bytes([n]), f"scan-{n}.pdf") for n in range(7)])  # fmt: skip
    assert "scan-6.pdf" in client.get(f"/dossiers/{transfer.id}").text
    assert statements() == one


def test_the_dossier_page_costs_the_same_queries_for_one_open_request_or_two(
    web_app, login, web_session, transfer, request_task
):
    client, statements = _client_who_supplied_a_file(web_app, login, transfer, request_task)
    one = statements()
    # A dossier whose template asks twice: a later step of it is a second request.
    later = get_step(web_session, dossier_id=transfer.id, step_key="registers")
    later.kind, later.settings = "upload_request", {"files": [
        {"key": "bank-statement", "title": {"nl": "Bankafschrift", "en": "Bank statement"}},
    ]}  # fmt: skip
    second = open_upload_request(web_session, dossier_id=transfer.id, step_key="registers")
    web_session.commit()
    supply(client, transfer, second, bank_statement=[(PDF + b"2", "afschrift.pdf")])
    page = client.get(f"/dossiers/{transfer.id}").text
    assert "paspoort.pdf" in page and "afschrift.pdf" in page
    assert statements() == one



#: The statements each client page may cost. Each costs the portal a fraction of a millisecond
#: of ORM and driver work (bench.pages); these are the counts when the pages met their figures
#: (docs/DESIGN-notes.md, "What a client page costs"). The dossier's: 11, and 2 more to name the
#: files supplied for its open upload requests. A page that needs more says why here.
STATEMENT_BUDGETS = {"/home": 6, "/dossiers": 8, "/dossiers/{id}": 13}


def test_the_client_pages_stay_within_their_statement_budgets(
    web_app, login, transfer, request_task
):
    client, _ = _client_who_supplied_a_file(web_app, login, transfer, request_task)
    spent = {}
    for page in STATEMENT_BUDGETS:
        path = page.format(id=transfer.id)
        shown = client.get(path)
        assert shown.status_code == 200, page  # the page itself, not a redirect
        assert page == "/home" or transfer.number in shown.text, page
        spent[page] = statements_during(lambda: client.get(path))  # noqa: B023
    assert all(spent[page] <= budget for page, budget in STATEMENT_BUDGETS.items()), spent
