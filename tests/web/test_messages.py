"""Berichten (notary manual §2.1.1.5): the client writes, the office reads, assigns and answers;
counts and unread marks on both sides; the 4,000-character limit; attachments staged by upload
and sent with the message; the digest mail; and nobody else's messages."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemodel.models import AuditEvent, Dossier, Message, OutboxMessage, StagedFile, User
from casemodel.services import notifications
from casemodel.services.messages import send_message
from tests.files import PDF
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)
from tests.querycount import statements_during

STAFF = "medewerker@example.nl"
MANAGER = "manager@example.nl"
CLIENT = "klant@example.nl"
OTHER_CLIENT = "directeur@example.nl"
PDF_2 = PDF.replace(b"1.7", b"2.0")


def text(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


@pytest.fixture
def transfer(web_session) -> Dossier:
    """The client's dossier without demo messages."""
    return web_session.scalar(select(Dossier).where(Dossier.description.like("Levering Keizer%")))


@pytest.fixture
def client_browser(web_app, login):
    browser = web_app.test_client()
    login(browser, CLIENT)
    return browser


@pytest.fixture
def office(web_app, login):
    browser = web_app.test_client()
    login(browser, STAFF)
    return browser


def send(browser, dossier, subject="Kopie stukken", body="Beste,\n\nHierbij zend ik",
         staged=(), reply_to=None):  # fmt: skip
    """The same routes for both sides: the office writes where the client does."""
    url = f"/dossiers/{dossier.id}/messages"
    if reply_to is not None:
        url += f"/{reply_to}/reply"
    return browser.post(url, data={"subject": subject, "body": body, "staged_id": list(staged)})


def upload(browser, dossier, content=PDF, name="paspoort.pdf", csrf=None):
    headers = {"X-File-Name": name, "Content-Type": "application/pdf"}
    if csrf:
        headers["X-CSRFToken"] = csrf
    return browser.post(f"/dossiers/{dossier.id}/attachments", data=content, headers=headers)


def message_ids(page) -> list[int]:
    return [int(i) for i in re.findall(r"/messages/(\d+)\"", page.get_data(as_text=True))]


def tab(browser, dossier) -> str:
    return text(browser.get(f"/dossiers/{dossier.id}?tab=messages"))


def test_client_writes_office_reads_unread_first_and_answers(client_browser, office, transfer):
    assert "Berichten (0)" in tab(client_browser, transfer)
    first = send(client_browser, transfer, subject="Kopie stukken")
    assert first.headers["Location"] == f"/dossiers/{transfer.id}?tab=messages"
    send(client_browser, transfer, subject="Vraag over de sleutels")
    page = tab(client_browser, transfer)
    assert "Uw bericht is verstuurd." in page
    # Outgoing, and what one wrote oneself is not unread.
    assert "Berichten (2)" in page and "ongelezen" not in page
    assert page.count("Aan Notariskantoor Lont & Lalmahomed") == 2
    assert page.index("Vraag over de sleutels") < page.index("Kopie stukken")  # newest first

    inbox = office.get("/office/messages")
    rows = text(inbox)
    assert "Kopie stukken (ongelezen)" in rows and "Vraag over de sleutels (ongelezen)" in rows
    assert re.search(r"Berichten \d+", text(office.get("/office/")))  # the menu's badge
    keys, copies = message_ids(inbox)[:2]  # newest first among the unread
    # Opening the newest marks it read: the older, unread one comes first now.
    opened = text(office.get(f"/dossiers/{transfer.id}/messages/{keys}"))
    assert "Van Jan de Vries" in opened and "Toewijzen aan" in opened
    order = message_ids(office.get("/office/messages"))
    assert order.index(copies) < order.index(keys)
    row = text(office.get("/office/messages?unread=1"))
    assert "Kopie stukken" in row and "Vraag over de sleutels" not in row
    assert "2026-00001" in row and "J. de Vries" in row

    office.get(f"/dossiers/{transfer.id}/messages/{copies}")
    answer = send(office, transfer, subject="Re: Kopie stukken", body="Ontvangen, dank u.",
                  reply_to=copies)  # fmt: skip
    assert answer.status_code == 302
    assert "Het antwoord is verstuurd." in text(office.get(answer.headers["Location"]))

    page = tab(client_browser, transfer)
    assert "Berichten (3) 1 ongelezen" in page
    assert "Van Notariskantoor Lont & Lalmahomed (Sanne Jansen)" in page
    reply_id = message_ids(client_browser.get(f"/dossiers/{transfer.id}?tab=messages"))[0]
    shown = text(client_browser.get(f"/dossiers/{transfer.id}/messages/{reply_id}"))
    assert "Ontvangen, dank u." in shown and "Oorspronkelijk bericht" in shown
    assert "Beantwoorden" in shown
    form = client_browser.get(f"/dossiers/{transfer.id}/messages/{reply_id}/reply")
    assert 'value="Re: Kopie stukken"' in form.text  # not "Re: Re: ..."
    assert "Oorspronkelijk bericht" in text(form) and "Ontvangen, dank u." in text(form)
    assert "Berichten (3)" in tab(client_browser, transfer)
    assert "ongelezen" not in tab(client_browser, transfer)
    # The office's dossier page lists the conversation too.
    dossier_page = text(office.get(f"/office/dossiers/{transfer.id}"))
    assert "Berichten (3)" in dossier_page and "Re: Kopie stukken" in dossier_page


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("nl", ["Berichten (1)", "Nieuw bericht", "Aan Notariskantoor", "Onderwerp",
                "Van / aan", "Beantwoorden", "0 van 4000 tekens", "Maximum bereikt", "Bijlagen",
                "Versturen", "Aan mij toegewezen", "Ongelezen", "Toegewezen aan"]),
        ("en", ["Messages (1)", "New message", "To Notariskantoor", "Subject", "From / to",
                "Reply", "0 of 4000 characters", "Maximum reached", "Attachments", "Send",
                "Assigned to me", "Unread", "Assigned to"]),
    ],
)  # fmt: skip
def test_the_pages_in_both_languages(client_browser, office, transfer, locale, words):
    for browser in (client_browser, office):
        browser.post("/language", data={"locale": locale, "next": "/"})
    send(client_browser, transfer, subject="Taaltest")
    mid = message_ids(client_browser.get(f"/dossiers/{transfer.id}?tab=messages"))[0]
    pages = " ".join(
        [
            tab(client_browser, transfer),
            text(client_browser.get(f"/dossiers/{transfer.id}/messages/{mid}")),
            text(client_browser.get(f"/dossiers/{transfer.id}/messages/new")),
            text(office.get("/office/messages")),
        ]
    )
    for word in words:
        assert word in pages, word


def test_exactly_4000_characters_with_emoji_go_and_4001_are_refused_keeping_the_text(
    client_browser, transfer, web_session
):
    exactly = "😀" * 10 + "a" * 3990
    assert send(client_browser, transfer, subject="Lang", body=exactly).status_code == 302
    stored = web_session.scalar(select(Message).where(Message.subject == "Lang"))
    assert stored.body == exactly

    too_long = exactly + "b"
    refused = send(client_browser, transfer, subject="Te lang", body=too_long)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Het bericht is 4001 tekens lang; er passen er 4000 in." in text(refused)
    assert "4001 van 4000 tekens" in text(refused)
    assert "Maximum bereikt" in text(refused)
    assert too_long in page  # every character kept, nothing cut
    assert 'value="Te lang"' in page
    assert web_session.scalar(select(func.count()).where(Message.subject == "Te lang")) == 0


#: Characters a person counts as one, each of several code points: a thumbs-up with its skin
#: tone, a flag, a family, an e with a combining accent.
CLUSTERS = ["👍🏽", "🇳🇱", "👨\u200d👩\u200d👧", "e\u0301"]


def test_the_limit_counts_characters_as_people_see_them(client_browser, transfer, web_session):
    exactly = "".join(CLUSTERS) * 1000
    assert len(exactly) > 4000  # code points: the old count would have refused it
    assert send(client_browser, transfer, subject="Tekens", body=exactly).status_code == 302
    stored = web_session.scalar(select(Message).where(Message.subject == "Tekens"))
    assert stored.body == exactly

    refused = send(client_browser, transfer, subject="Tekens te veel", body=exactly + "👍🏽")
    assert refused.status_code == 422
    assert "Het bericht is 4001 tekens lang; er passen er 4000 in." in text(refused)


def test_the_same_form_sent_twice_sends_one_message(client_browser, office, transfer, web_session):
    """A double click on "Versturen" posts the form twice: one message, both answered as sent."""
    form = client_browser.get(f"/dossiers/{transfer.id}/messages/new").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', form)[1]
    data = {"subject": "Dubbel", "body": "Eén keer", "form_token": token}
    first = client_browser.post(f"/dossiers/{transfer.id}/messages", data=data)
    second = client_browser.post(f"/dossiers/{transfer.id}/messages", data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert web_session.scalar(select(func.count()).where(Message.subject == "Dubbel")) == 1
    # Another form (a new token) is another message.
    again = client_browser.get(f"/dossiers/{transfer.id}/messages/new").get_data(as_text=True)
    assert re.search(r'name="form_token" value="([^"]+)"', again)[1] != token
    client_browser.post(f"/dossiers/{transfer.id}/messages", data={**data, "form_token": "x" * 32})
    assert web_session.scalar(select(func.count()).where(Message.subject == "Dubbel")) == 2


def test_a_line_break_counts_as_one_character(client_browser, transfer, web_session):
    # A textarea posts CRLF; the counter and the server both count a line break once.
    body = "x" * 1999 + "\r\n" + "y" * 2000
    assert send(client_browser, transfer, subject="Regels", body=body).status_code == 302
    stored = web_session.scalar(select(Message).where(Message.subject == "Regels"))
    assert stored.body == "x" * 1999 + "\n" + "y" * 2000 and len(stored.body) == 4000


def test_markup_is_shown_as_text(client_browser, office, transfer):
    markup = "<script>alert(1)</script>"
    send(client_browser, transfer, subject=markup, body=f"Regel één\n{markup}")
    mid = message_ids(client_browser.get(f"/dossiers/{transfer.id}?tab=messages"))[0]
    for page in (
        client_browser.get(f"/dossiers/{transfer.id}/messages/{mid}"),
        client_browser.get(f"/dossiers/{transfer.id}?tab=messages"),
        office.get("/office/messages"),
        office.get(f"/dossiers/{transfer.id}/messages/{mid}"),
    ):
        source = page.get_data(as_text=True)
        assert markup not in source
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    shown = client_browser.get(f"/dossiers/{transfer.id}/messages/{mid}").get_data(as_text=True)
    assert 'class="message-body">Regel één\n&lt;script&gt;' in shown  # line breaks kept


@pytest.mark.parametrize(
    ("subject", "body", "error"),
    [("", "Tekst", "Vul een onderwerp in."), ("Onderwerp", "  \n ", "Vul een bericht in.")],
)
def test_subject_and_body_are_required(client_browser, transfer, web_session, subject, body,
                                       error):  # fmt: skip
    refused = send(client_browser, transfer, subject=subject, body=body)
    assert refused.status_code == 422
    assert error in text(refused)
    assert web_session.scalar(
        select(func.count()).where(Message.dossier_id == transfer.id)
    ) == 0  # fmt: skip


def _csrf_token(browser, dossier) -> str:
    form = browser.get(f"/dossiers/{dossier.id}/messages/new").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', form)[1]


def test_attachments_upload_bin_send_and_download(web_app, client_browser, office, transfer,
                                                  web_session):  # fmt: skip
    web_app.config["WTF_CSRF_ENABLED"] = True  # as in production: the header is required
    assert upload(client_browser, transfer).status_code == 400
    csrf = _csrf_token(client_browser, transfer)
    first = upload(client_browser, transfer, name="paspoort%20voorkant.pdf", csrf=csrf)
    second = upload(client_browser, transfer, content=PDF_2, name="koopakte.pdf", csrf=csrf)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["name"] == "paspoort voorkant.pdf" and first.json["size"] == len(PDF)
    binned = client_browser.post(first.json["delete_url"], headers={"X-CSRFToken": csrf})
    assert binned.status_code == 200 and binned.json == {"deleted": first.json["id"]}
    assert web_session.get(StagedFile, first.json["id"]) is None

    sent = client_browser.post(
        f"/dossiers/{transfer.id}/messages",
        data={"subject": "Koopakte", "body": "Zie bijlage.", "staged_id": [second.json["id"]],
              "csrf_token": csrf},
    )  # fmt: skip
    assert sent.status_code == 302
    dossier_page = text(client_browser.get(f"/dossiers/{transfer.id}?tab=supplied"))
    assert "Door mij aangeleverd (1)" in dossier_page and "koopakte.pdf" in dossier_page
    mid = message_ids(client_browser.get(f"/dossiers/{transfer.id}?tab=messages"))[0]
    shown = client_browser.get(f"/dossiers/{transfer.id}/messages/{mid}").get_data(as_text=True)
    assert "1 bijlage" in shown and "paspoort" not in shown
    link = re.search(r'href="(/dossiers/\d+/documents/\d+/download)">koopakte.pdf', shown)[1]
    download = client_browser.get(link)
    assert download.data == PDF_2
    event_ = web_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "document.downloaded")
    )
    assert event_.detail["sha256"] == hashlib.sha256(PDF_2).hexdigest()
    # Staff see it in the inbox and download it (audited) from the message: the same page and
    # the same download route as the client's.
    assert "koopakte.pdf" in text(office.get("/office/messages"))
    staff_page = office.get(f"/dossiers/{transfer.id}/messages/{mid}")
    assert re.search(r'href="([^"]+)">koopakte.pdf', staff_page.text)[1] == link
    assert office.get(link).data == PDF_2
    downloads = web_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "document.downloaded")
    ).all()
    assert [event.actor_id for event in downloads][-1] == web_session.scalar(
        select(User.id).where(User.email == STAFF)
    )


def test_the_office_answers_with_an_attachment_under_correspondence(client_browser, office,
                                                                    transfer):  # fmt: skip
    send(client_browser, transfer, subject="Graag de akte")
    mid = message_ids(office.get(f"/office/dossiers/{transfer.id}"))[0]
    staged = upload(office, transfer, name="conceptakte.pdf").json
    send(office, transfer, subject="Re: Graag de akte", body="Bijgaand.", staged=[staged["id"]],
         reply_to=mid)  # fmt: skip
    page = tab(client_browser, transfer)
    assert "Correspondentie (1) 1 ongelezen" in page and "1 bijlage" in page


def test_another_users_staged_file_is_refused(client_browser, office, transfer, web_session):
    theirs = upload(office, transfer, name="intern.pdf").json
    refused = send(client_browser, transfer, subject="Met bijlage", staged=[theirs["id"]])
    # Not the client's: the message is refused as a whole, with the reason, and nothing is sent.
    assert refused.status_code == 422
    assert "Een bijlage is niet meer beschikbaar" in refused.get_data(as_text=True)
    assert web_session.scalar(select(Message).where(Message.subject == "Met bijlage")) is None
    assert web_session.get(StagedFile, theirs["id"]) is not None
    bin_ = client_browser.post(f"/dossiers/{transfer.id}/attachments/{theirs['id']}/delete")
    assert bin_.status_code == 404
    assert web_session.get(StagedFile, theirs["id"]) is not None


def test_a_too_large_file_gets_413_and_leaves_nothing(web_app, client_browser, transfer,
                                                      web_session):  # fmt: skip
    web_app.config["MAX_FILE_BYTES"] = 1000
    before = {p for p in Path(web_app.config["FILES_PATH"]).rglob("*") if p.is_file()}
    refused = upload(client_browser, transfer, content=PDF + b"0" * 2000)
    assert refused.status_code == 413
    assert refused.json["error"] == "Het bestand is te groot."
    after = {p for p in Path(web_app.config["FILES_PATH"]).rglob("*") if p.is_file()}
    assert after == before
    assert web_session.scalar(select(func.count()).select_from(StagedFile)) == 0


def test_a_wrong_type_gets_422_with_the_reason(client_browser, transfer):
    refused = upload(client_browser, transfer, content=b"MZ\x90\x00 not a document", name="x.exe")
    assert refused.status_code == 422
    assert refused.json["error"].startswith("Dit soort bestand kan niet worden geplaatst.")


def test_assigning_a_message_to_a_colleague(web_app, login, client_browser, office, transfer,
                                            web_session):  # fmt: skip
    send(client_browser, transfer, subject="Voor de manager")
    mid = message_ids(office.get("/office/messages?unread=1"))[0]
    page = text(office.get(f"/dossiers/{transfer.id}/messages/{mid}"))
    assert "Pieter Bakker" in page and "Sanne Jansen" in page  # the colleagues to choose from
    # Unassigned, a message is for the dossier's handler, Sanne.
    assert "Voor de manager" in text(office.get("/office/messages?mine=1"))
    manager = web_session.scalar(select(User).where(User.email == MANAGER))
    done = office.post(f"/dossiers/{transfer.id}/messages/{mid}/assign",
                       data={"assignee_id": manager.id})  # fmt: skip
    assert "Het bericht is toegewezen aan Pieter Bakker." in text(
        office.get(done.headers["Location"])
    )
    assert "Pieter Bakker" in text(office.get("/office/messages"))
    # Sanne handles the dossier, but this one is now Pieter's.
    assert "Voor de manager" not in text(office.get("/office/messages?mine=1"))
    colleague = web_app.test_client()
    login(colleague, MANAGER)
    assert "Voor de manager" in text(colleague.get("/office/messages?mine=1"))
    # A client is nobody to assign to.
    client_user = web_session.scalar(select(User).where(User.email == CLIENT))
    refused = office.post(f"/dossiers/{transfer.id}/messages/{mid}/assign",
                          data={"assignee_id": client_user.id})  # fmt: skip
    assert refused.status_code == 404


def test_the_mail_after_an_answer_names_the_dossier_not_the_message(
    client_browser, office, transfer, web_session
):
    send(client_browser, transfer, subject="Vraag")
    mid = message_ids(office.get(f"/office/dossiers/{transfer.id}"))[0]
    send(office, transfer, subject="Geheim onderwerp", body="Vertrouwelijke inhoud",
         reply_to=mid)  # fmt: skip
    client_user = web_session.scalar(select(User).where(User.email == CLIENT))
    assert notifications.send_digest(web_session, client_user.id) is True
    web_session.commit()
    mails = web_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "send_mail")
    ).all()
    mine = [m for m in mails if m.payload["to"] == CLIENT]
    assert len(mine) == 1
    mail = mine[0].payload["text"] + mine[0].payload["html"]
    assert "1 nieuw bericht in dossier 2026-00001" in mine[0].payload["text"]
    assert f"/dossiers/{transfer.id}?tab=messages" in mail
    assert "Geheim onderwerp" not in mail and "Vertrouwelijke inhoud" not in mail


def test_another_organisation_gets_404_on_every_message_route(web_app, login, client_browser,
                                                              transfer):  # fmt: skip
    send(client_browser, transfer, subject="Alleen voor ons")
    mid = message_ids(client_browser.get(f"/dossiers/{transfer.id}?tab=messages"))[0]
    staged = upload(client_browser, transfer).json
    stranger = web_app.test_client()
    login(stranger, OTHER_CLIENT)
    base = f"/dossiers/{transfer.id}"
    for method, path in (
        ("get", f"{base}/messages/{mid}"),
        ("get", f"{base}/messages/{mid}/reply"),
        ("post", f"{base}/messages/{mid}/reply"),
        ("get", f"{base}/messages/new"),
        ("post", f"{base}/messages"),
        ("post", f"{base}/attachments"),
        ("post", f"{base}/attachments/{staged['id']}/delete"),
        ("get", f"{base}?tab=messages"),
    ):
        response = getattr(stranger, method)(path, data={"subject": "x", "body": "y"})
        assert response.status_code == 404, (method, path)
    # A message id under another dossier of the same client: 404 as well.
    other = client_browser.get(f"/dossiers/{transfer.id + 1}/messages/{mid}")
    assert other.status_code == 404
    # What only the office does answers 404 to its own client as well: its inbox, assigning.
    assert client_browser.get("/office/messages").status_code == 404
    assigned = client_browser.post(f"/dossiers/{transfer.id}/messages/{mid}/assign",
                                   data={"assignee_id": 1})  # fmt: skip
    assert assigned.status_code == 404


def test_a_thousand_messages_page_by_fifty_in_a_fixed_number_of_queries(
    client_browser, transfer, web_session, limits
):
    limits(messages_per_user=0, messages_per_organisation=0)  # arranged as if over days
    client_user = web_session.scalar(select(User).where(User.email == CLIENT))

    def statements_for(path: str) -> int:
        return statements_during(lambda: client_browser.get(path))

    send_message(web_session, dossier=transfer, author=client_user, subject="Een", body="1")
    web_session.commit()
    few = statements_for(f"/dossiers/{transfer.id}?tab=messages")
    for number in range(119):
        send_message(web_session, dossier=transfer, author=client_user,
                     subject=f"Bericht {number}", body="tekst")  # fmt: skip
    web_session.commit()
    many = statements_for(f"/dossiers/{transfer.id}?tab=messages")
    assert many == few
    page = client_browser.get(f"/dossiers/{transfer.id}?tab=messages")
    assert len(re.findall(r'data-testid="message-row"', page.text)) == 50
    assert "Pagina 1 van 3" in text(page)
    last = client_browser.get(f"/dossiers/{transfer.id}?tab=messages&page=3")
    assert len(re.findall(r'data-testid="message-row"', last.text)) == 20
    assert "Berichten (120)" in text(last)


def test_the_office_writes_a_new_message_from_the_dossier_page(client_browser, office, transfer):
    page = text(office.get(f"/office/dossiers/{transfer.id}"))
    assert "Berichten (0)" in page and "Nieuw bericht" in page and "0 van 4000 tekens" in page
    refused = send(office, transfer, subject=" ", body="De akte is klaar.")
    assert refused.status_code == 422
    assert "Vul een onderwerp in." in text(refused) and "De akte is klaar." in refused.text
    sent = send(office, transfer, subject="Akte klaar", body="De akte is klaar.")
    assert "Het bericht is verstuurd." in text(office.get(sent.headers["Location"]))
    tab_page = tab(client_browser, transfer)
    assert "Berichten (1) 1 ongelezen" in tab_page
    assert "Van Notariskantoor Lont & Lalmahomed (Sanne Jansen) Akte klaar" in tab_page
