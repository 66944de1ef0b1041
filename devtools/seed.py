"""Demo data: one notary office, one accountancy firm, their clients, staff and dossiers.

Idempotent: everything is looked up by its natural key first, so a second run adds nothing.
Besides the accounts and dossiers, a few published documents (small real PDFs) and messages make
the demo workspace look lived in; the bytes go to the file store (config.files_path()).
"""

from __future__ import annotations

import io

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from casemodel import config
from casemodel.casetemplates import TemplateRegistry
from casemodel.db import utcnow
from casemodel.filestore import FileStore
from casemodel.models import (
    Document,
    DocumentKind,
    Dossier,
    Message,
    NewsItem,
    Notification,
    Office,
    Organisation,
    OutboxMessage,
    User,
)
from casemodel.services.accounts import add_membership, add_office_membership, create_user
from casemodel.services.approvals import put_up
from casemodel.services.documents import publish_document
from casemodel.services.dossiers import open_dossier
from casemodel.services.messages import send_message
from casemodel.services.news import publish_news
from casemodel.services.rights import Rights

DEMO_PASSWORD = "Dossierflow-demo-2026"

OFFICES = [
    ("Notariskantoor Lont & Lalmahomed", "notary"),
    ("Accountantskantoor Tamek", "accountancy"),
]

#: Each demo office's theme, so that the two look different: (primary colour, the logo's
#: letters, contact line, offer the authenticator after an SMS login).
THEMES = {
    "Notariskantoor Lont & Lalmahomed": (
        "#7a1f3d", "L&L",
        "Herengracht 412, 1017 BZ Amsterdam · 020 555 01 23 · notariaat@lont-lalmahomed.example",
        False,
    ),
    "Accountantskantoor Tamek": (
        "#0b5e6b", "T",
        "Stationsplein 8, 3511 ED Utrecht · 030 555 04 56 · info@tamek.example",
        True,
    ),
}
#: Per office: its support desk ("Ondersteuning": name, phone, e-mail), whether clients'
#: changes to their details wait for review, and the kinds of document it names (Dutch,
#: English). The small notary office lets changes apply at once; the accountancy firm reviews.
OFFICE_SETTINGS = {
    "Notariskantoor Lont & Lalmahomed": (
        ("Secretariaat", "+31201234567", "secretariaat@example.nl"), False,
        [("Conceptakte", "Draft deed")],
    ),
    "Accountantskantoor Tamek": (
        ("Supportteam Tamek Online", "+31383315422", "support@example.nl"), True,
        [("Jaarrekening", "Annual accounts"),
         ("Aangifte inkomstenbelasting", "Income tax return")],
    ),
}  # fmt: skip

#: (client number, name, kind, office name, [(template, description), ...])
CLIENTS = [
    (
        "N-10231",
        "J. de Vries",
        "person",
        "Notariskantoor Lont & Lalmahomed",
        [
            ("levering-woning", "Levering Keizersgracht 12, Amsterdam"),
            ("levering-woning", "Levering garagebox Prinsengracht 3a, Amsterdam"),
        ],
    ),
    (
        "A-2044",
        "Bakkerij Van Dam B.V.",
        "company",
        "Accountantskantoor Tamek",
        [
            ("jaarrekening-ib", "Jaarrekening 2025 en IB-aangifte directeur"),
            ("jaarrekening-ib", "Jaarrekening 2024 en IB-aangifte directeur"),
            ("jaarrekening-ib", "Jaarrekening 2025 Van Dam Holding B.V."),
        ],
    ),
]

#: (e-mail, name, role, client number or None, mobile number). Every demo user logs in with a
#: code by SMS; the demo's SMS sink shows the codes at /dev/mailbox. The staff member and the
#: manager work for both offices, through a membership of each, so that one login shows the
#: whole demo; a client's dossiers are seen by the staff of its own office only.
USERS = [
    ("klant@example.nl", "Jan de Vries", "client", "N-10231", "+31612340001"),
    ("directeur@example.nl", "Annelies van Dam", "client", "A-2044", "+31612340002"),
    ("medewerker@example.nl", "Sanne Jansen", "staff", None, "+31612340003"),
    ("manager@example.nl", "Pieter Bakker", "manager", None, "+31612340004"),
]


#: The office's contact person of every demo client (told of the client's uploads).
CONTACT_PERSON = "medewerker@example.nl"

#: (dossier description, folder, title, file name, lines of the PDF, put up for approval to
#: this recipient, or None). Not in the Keizersgracht transfer: the web tests count that
#: dossier's documents from zero.
DOCUMENTS = [
    ("Levering garagebox Prinsengracht 3a, Amsterdam", "correspondence",
     "Opdrachtbevestiging levering garagebox", "Opdrachtbevestiging garagebox.pdf",
     ["Geachte heer De Vries,", "Hierbij bevestigen wij uw opdracht tot de levering van de",
      "garagebox aan de Prinsengracht 3a te Amsterdam."], None),
    ("Jaarrekening 2024 en IB-aangifte directeur", "documents",
     "Jaarrekening 2024 Bakkerij Van Dam B.V.", "Jaarrekening 2024.pdf",
     ["Jaarrekening 2024", "Balans per 31 december 2024 en winst-en-verliesrekening",
      "over 2024 van Bakkerij Van Dam B.V."], "kvk"),
    ("Jaarrekening 2024 en IB-aangifte directeur", "correspondence",
     "Aangifte inkomstenbelasting 2024 ingediend", "Bevestiging IB-aangifte 2024.pdf",
     ["Geachte mevrouw Van Dam,", "Uw aangifte inkomstenbelasting 2024 is op 28 april",
      "ingediend bij de Belastingdienst."], None),
    ("Jaarrekening 2025 en IB-aangifte directeur", "correspondence",
     "Opdrachtbevestiging samenstellen jaarrekening 2025", "Opdrachtbevestiging 2025.pdf",
     ["Geachte mevrouw Van Dam,", "Hierbij bevestigen wij de opdracht tot het samenstellen",
      "van de jaarrekening 2025 en de IB-aangifte."], None),
    ("Jaarrekening 2025 en IB-aangifte directeur", "documents",
     "Checklist aanlevering jaarrekening 2025", "Checklist aanlevering 2025.pdf",
     ["Checklist aanlevering", "Bankafschriften 2025, verkoopfacturen, inkoopfacturen,",
      "voorraadopname per 31 december 2025, loonjournaalposten."], None),
]  # fmt: skip

#: (dossier description, from the office, subject, body).
MESSAGES = [
    ("Jaarrekening 2025 en IB-aangifte directeur", True, "Aanlevering stukken 2025",
     "Beste mevrouw Van Dam,\n\nWilt u de stukken van de checklist vóór 1 maart aanleveren? "
     "Dan kunnen wij de jaarrekening tijdig samenstellen.\n\nMet vriendelijke groet,\n"
     "Sanne Jansen"),
    ("Jaarrekening 2025 en IB-aangifte directeur", False, "Re: Aanlevering stukken 2025",
     "Beste Sanne,\n\nDe voorraadopname volgt in de eerste week van januari; de rest stuur "
     "ik deze maand.\n\nGroet,\nAnnelies van Dam"),
    ("Levering garagebox Prinsengracht 3a, Amsterdam", True, "Conceptakte volgt",
     "Geachte heer De Vries,\n\nDe conceptakte voor de levering van de garagebox ontvangt u "
     "binnenkort in uw dossier.\n\nMet vriendelijke groet,\nSanne Jansen"),
]  # fmt: skip


def seed_demo(
    session: Session, registry: TemplateRegistry | None = None, files: FileStore | None = None
) -> int:
    """Create whatever of the demo data is missing. Returns how many dossiers it opened.

    Args:
        files: where the demo documents' bytes go; the file store of config.files_path() if
            not given (the portal's, unless DOSSIERFLOW_FILES differs between the two).
    """
    registry = registry or TemplateRegistry.from_folder()
    files = files or FileStore(config.files_path())
    offices = {name: _office(session, name, kind, files) for name, kind in OFFICES}
    organisations = {
        number: _organisation(session, number, name, kind, offices[office])
        for number, name, kind, office, _dossiers in CLIENTS
    }
    users = {}
    for email, name, role, client_number, mobile in USERS:
        user = session.scalar(select(User).where(User.email == email))
        staff_of = [office.id for office in offices.values()] if role != "client" else []
        if user is None:
            user = create_user(session, email=email, name=name, role=role, office_ids=staff_of,
                               password=DEMO_PASSWORD)  # fmt: skip
            user.mobile_number, user.second_factor = mobile, "sms"
        for office in offices.values() if user.is_staff else ():
            # A demo database from before office memberships gets them now.
            add_office_membership(session, user=user, office=office, actor=None)
        if client_number:
            add_membership(
                session,
                user=user,
                organisation=organisations[client_number],
                rights=Rights(approve=True, administer=True),
            )
        users[email] = user
    opened = 0
    for number, *_details, dossiers in CLIENTS:
        organisation = organisations[number]
        for template_key, description in dossiers:
            exists = session.scalar(
                select(Dossier.id).where(
                    Dossier.organisation_id == organisation.id,
                    Dossier.description == description,
                )
            )
            if exists:
                continue
            open_dossier(
                session,
                template=registry.latest(template_key),
                organisation_id=organisation.id,
                description=description,
                actor=users["medewerker@example.nl"],
            )
            opened += 1
    staff = users[CONTACT_PERSON]
    for organisation in organisations.values():
        if organisation.contact_person_id is None:
            organisation.contact_person_id = staff.id
        if organisation.relationship_manager_id is None:
            organisation.relationship_manager_id = staff.id
    for name, office in offices.items():
        _office_settings(session, office, *OFFICE_SETTINGS[name])
    _seed_workspace(session, staff, users, files)
    return opened


#: The accountancy firm's news for all its clients (office, topic or None for general, title,
#: text): one general item and one about a topic, so the demo shows news by interest.
NEWS = [
    ("Accountantskantoor Tamek", None, "Kantoor gesloten tussen Kerst en Oud en Nieuw",
     "Van 24 december tot en met 1 januari is ons kantoor gesloten. In dringende gevallen "
     "kunt u ons bereiken via het algemene nummer."),
    ("Accountantskantoor Tamek", "belastingen", "Voorlopige aanslag 2027 aanpassen",
     "Verwacht u in 2027 meer of minder winst? Laat ons uw voorlopige aanslag aanpassen, "
     "dan betaalt u niet te veel of te weinig."),
]  # fmt: skip


def _seed_workspace(
    session: Session, staff: User, users: dict[str, User], files: FileStore
) -> None:
    """The demo documents, messages and news, each only if it is not there yet."""
    # What the seed publishes is the demo's history, not news: the notifications and digest
    # mails the services queue for it are dropped again below.
    last_outbox = session.scalar(select(func.max(OutboxMessage.id))) or 0
    last_notification = session.scalar(select(func.max(Notification.id))) or 0
    dossiers = {d.description: d for d in session.scalars(select(Dossier))}
    for description, folder, title, filename, lines, recipient in DOCUMENTS:
        dossier = dossiers.get(description)
        if dossier is None or session.scalar(
            select(Document.id).where(Document.dossier_id == dossier.id, Document.title == title)
        ):
            continue
        stored = files.put(io.BytesIO(demo_pdf(title, lines)), max_bytes=1024 * 1024)
        document = publish_document(
            session, dossier=dossier, folder=folder, title=title, stored=stored,
            filename=filename, actor=staff,
        )  # fmt: skip
        if recipient:  # something waits under "Accorderen"
            put_up(session, dossier=dossier, document=document, recipient=recipient, actor=staff)
    for description, from_office, subject, body in MESSAGES:
        dossier = dossiers.get(description)
        if dossier is None or session.scalar(
            select(Message.id).where(Message.dossier_id == dossier.id, Message.subject == subject)
        ):
            continue
        author = staff if from_office else _client_of(dossier, users)
        send_message(session, dossier=dossier, author=author, subject=subject, body=body)
    for office_name, topic, title, body in NEWS:
        office_id = session.scalar(select(Office.id).where(Office.name == office_name))
        if office_id is None or session.scalar(
            select(NewsItem.id).where(NewsItem.office_id == office_id, NewsItem.title == title)
        ):
            continue
        publish_news(session, office_id=office_id, title=title, body=body,
                     organisation_ids=None, topic=topic, actor=staff)  # fmt: skip
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_outbox,
                                                OutboxMessage.kind == "send_digest"))  # fmt: skip
    session.execute(delete(Notification).where(Notification.id > last_notification))
    session.flush()


def _client_of(dossier: Dossier, users: dict[str, User]) -> User:
    members = {m.user_id for m in dossier.organisation.memberships}
    return next(u for u in users.values() if u.id in members and not u.is_staff)


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small, real, one-page PDF; the same bytes every run (reportlab's invariant mode)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(72, 770, title)
    canvas.setFont("Helvetica", 11)
    for number, line in enumerate(lines):
        canvas.drawString(72, 730 - 16 * number, line)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(72, 60, "Demo - Dossierflow")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _office(session: Session, name: str, kind: str, files: FileStore) -> Office:
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        colour, letters, contact, offer = THEMES[name]
        logo = files.put(io.BytesIO(demo_logo(letters, colour)), max_bytes=1024 * 1024)
        office = Office(name=name, kind=kind, primary_colour=colour, contact_line=contact,
                        offer_authenticator=offer, logo_sha256=logo.sha256,
                        logo_content_type=logo.content_type)  # fmt: skip
        session.add(office)
        session.flush()
    return office


def demo_logo(letters: str, colour: str) -> bytes:
    """A demo office's logo: its letters in white on its colour, as a PNG (the same bytes
    every run)."""
    from PIL import Image, ImageDraw, ImageFont

    from forms.pdf import FONTS

    image = Image.new("RGB", (240, 120), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 64 if len(letters) > 1 else 80)
    draw.text((120, 60), letters, fill="#ffffff", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
def _office_settings(session: Session, office: Office, support, review: bool, kinds) -> None:
    if office.support_name is None:
        office.support_name, office.support_phone, office.support_email = support
        office.changes_need_review = review
    for name_nl, name_en in kinds:
        exists = session.scalar(
            select(DocumentKind.id).where(
                DocumentKind.office_id == office.id, DocumentKind.name_nl == name_nl
            )
        )
        if exists is None:
            session.add(DocumentKind(office_id=office.id, name_nl=name_nl, name_en=name_en))
    session.flush()


def _organisation(
    session: Session, number: str, name: str, kind: str, office: Office
) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.client_number == number))
    if organisation is None:
        organisation = Organisation(
            client_number=number, name=name, kind=kind, office_id=office.id, created_at=utcnow()
        )
        session.add(organisation)
        session.flush()
    return organisation
