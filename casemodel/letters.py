"""Letters the portal writes itself (as PDF, with reportlab), in the client's language.

No Flask here: a flow worker writes them, so the text comes from casemodel.i18n's catalogs.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy.orm import Session

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


def engagement_letter_pdf(dossier: Dossier, locale: str, today: dt.date | None = None) -> bytes:
    """The engagement letter ("opdrachtbevestiging") for the dossier: who the office works for,
    what it does (the dossier's case type, its steps that count toward progress) and on which
    terms. The same dossier and day give the same text."""
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
    story = [
        para(office.name, styles["Heading3"]),
        Spacer(1, 8 * mm),
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
    document.build(story)
    return buffer.getvalue()
