"""Letters the portal writes itself (as PDF, with reportlab), in the client's language.

No Flask here: a flow worker writes them, so the text comes from casemodel.i18n's catalogs.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable
from sqlalchemy.orm import Session

from casemodel.colours import DEFAULT_PRIMARY
from casemodel.i18n import LOCALES, gettext_for
from casemodel.models import Dossier
from casemodel.services.notifications import client_users
from casemodel.stepkinds import kind_of


def client_locale(session: Session, dossier: Dossier) -> str:
    """The language most people of the dossier's client organisation use; Dutch on a tie or
    with nobody there (Dutch is the office's own language)."""
    counts = Counter(user.locale for user in client_users(session, dossier))
    if counts.get("en", 0) > counts.get("nl", 0):
        return "en"
    return "nl"


def engagement_letter_title(locale: str) -> str:
    """The document's title as the client sees it."""
    return gettext_for(locale)("Opdrachtbevestiging")


def engagement_letter_pdf(
    dossier: Dossier, locale: str, today: dt.date | None = None, logo: bytes | None = None
) -> bytes:
    """The engagement letter ("opdrachtbevestiging") for the dossier: who the office works for,
    what it does (the dossier's case type, its steps that count toward progress) and on which
    terms, on the office's letterhead (its name in its colour, its logo, its contact line at
    the foot of the page). The same dossier and day give the same text."""
    _ = gettext_for(locale if locale in LOCALES else "nl")
    today = today or dt.date.today()
    office, client = dossier.office, dossier.organisation
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading1"]

    def para(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text), style)

    # The office's work, as the client's progress counts it (not the client's own steps).
    steps = [
        s.title(locale)
        for s in dossier.steps
        if s.counts_toward_progress and kind_of(s.kind).in_engagement_letter
    ]
    colour = colors.HexColor(office.primary_colour or DEFAULT_PRIMARY)
    letterhead = ParagraphStyle("letterhead", parent=styles["Heading3"], textColor=colour)
    heading = ParagraphStyle("letter-title", parent=heading, textColor=colour)
    story = [
        _letterhead(para(office.name, letterhead), logo),
        HRFlowable(width="100%", thickness=2, color=colour, spaceBefore=2 * mm),
        Spacer(1, 6 * mm),
        para(client.name),
        para(_("Cliëntnummer: %(number)s") % {"number": client.client_number}),
        Spacer(1, 6 * mm),
        para(format_date(today, format="long", locale=locale)),
        para(
            _("Dossier %(number)s: %(description)s")
            % {"number": dossier.number, "description": dossier.description}
        ),  # fmt: skip
        Spacer(1, 6 * mm),
        para(_("Opdrachtbevestiging"), heading),
        para(_("Geachte heer, mevrouw,")),
        para(
            _(
                "Hartelijk dank voor uw opdracht. Met deze brief bevestigen wij wat wij voor u "
                "doen en onder welke voorwaarden."
            )
        ),  # fmt: skip
        para(_("Wij voeren voor u de volgende werkzaamheden uit:")),
        ListFlowable([ListItem(para(step)) for step in steps], bulletType="bullet"),
        para(
            _(
                "U volgt de voortgang en vindt alle stukken in uw dossier in het "
                "cliëntenportaal. Daar vragen wij u ook om de stukken die wij van u nodig "
                "hebben."
            )
        ),  # fmt: skip
        para(
            _(
                "Op deze opdracht zijn onze algemene voorwaarden van toepassing. Wij rekenen "
                "op basis van de bestede tijd, tenzij wij met u een vast bedrag hebben "
                "afgesproken."
            )
        ),  # fmt: skip
        para(
            _(
                "Klopt iets niet, laat het ons dan binnen veertien dagen weten via een bericht "
                "in het dossier. Anders gaan wij ervan uit dat u met deze opdracht instemt."
            )
        ),  # fmt: skip
        Spacer(1, 6 * mm),
        para(_("Met vriendelijke groet,")),
        para(dossier.handler.name if dossier.handler else office.name),
        para(office.name),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Opdrachtbevestiging"), author=office.name,
        leftMargin=25 * mm, rightMargin=25 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        # No creation timestamp or random id: a repeat gives the same bytes (and the
        # content-addressed store keeps them once).
        invariant=1,
    )  # fmt: skip
    contact = office.contact_line

    def footer(canvas, _document) -> None:
        if contact:
            canvas.saveState()
            canvas.setFont("Helvetica", 8.5)
            canvas.setFillColor(colors.HexColor("#4f5b67"))
            canvas.drawString(25 * mm, 12 * mm, f"{office.name} · {contact}"[:150])
            canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _letterhead(name: Paragraph, logo: bytes | None):
    """The office's name, and its logo on the right when it has one (at most 18 mm high)."""
    if not logo:
        return name
    reader = ImageReader(io.BytesIO(logo))
    width, height = reader.getSize()
    scale = min(18 * mm / height, 50 * mm / width)
    image = Image(io.BytesIO(logo), width=width * scale, height=height * scale)
    table = Table([[name, image]], colWidths=["*", 52 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("ALIGN", (1, 0), (1, 0), "RIGHT")]))  # fmt: skip
    return table
