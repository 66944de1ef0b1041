"""The approval certificate ("accorderingsbewijs"): a PDF (reportlab) listing an approval's
evidence, in the approver's language, stored beside the approved document; sealed with the
office's signing certificate (pyHanko, a PAdES signature) when one is configured:

    DOSSIERFLOW_SEAL_PKCS12=/etc/dossierflow/seal.p12   (and DOSSIERFLOW_SEAL_PASSWORD), or
    DOSSIERFLOW_SEAL_KEY=/etc/.../seal.key.pem DOSSIERFLOW_SEAL_CERT=/etc/.../seal.cert.pem

A sealed certificate shows in any PDF reader who sealed it and that nothing changed since.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from casemodel.i18n import OFFICE_TIME_ZONE, gettext_for
from casemodel.models import AuditEvent
from forms import register_fonts


class SealNotConfigured(Exception):
    """No signing certificate: the certificate is left unsealed."""


def render_certificate(evidence: dict[str, Any], event: AuditEvent, locale: str) -> bytes:
    """The certificate of one approval: every fact of the evidence, and the audit event that
    holds it (its number and hash, which `flask audit verify` checks), one fact per row so that
    each can be read back from the PDF's text."""
    _ = gettext_for(locale)
    sans, bold, mono = register_fonts()
    body = ParagraphStyle("body", fontName=sans, fontSize=9, leading=12)
    label = ParagraphStyle("label", parent=body, fontName=bold)
    code = ParagraphStyle("code", parent=body, fontName=mono, fontSize=8, leading=10)
    heading = ParagraphStyle("heading", parent=body, fontName=bold, fontSize=16, leading=20)
    document = evidence["document"]
    method = {"sms": _("SMS-code"), "totp": _("Authenticator-app (TOTP)")}[evidence["method"]]
    rows = [
        (_("Document"), document["title"], body),
        (_("Versie"), str(document["version"]), body),
        (_("Bestand"), f"{document['filename']} ({document['size']} bytes)", body),
        (_("SHA-256 van het document"), document["sha256"], code),
        (_("Dossier"), evidence["dossier"]["number"], body),
        (_("Organisatie"), f"{evidence['organisation']['name']} "
                           f"({evidence['organisation']['client_number']})", body),
        (_("Geaccordeerd door"), f"{evidence['user']['name']} ({evidence['user']['email']})",
         body),
        (_("Recht"), _("accorderen (lidmaatschap %(id)s)")
         % {"id": evidence["right"]["membership_id"]}, body),
        (_("Methode"), method, body),
        (_("Ontvanger"), evidence["recipient"]["name"], body),
        (_("Tijdstip (UTC)"), evidence["approved_at_utc"], body),
        (_("Tijdstip (Nederland)"), evidence["approved_at_local"], body),
        (_("IP-adres"), evidence["ip"] or "-", body),
        (_("Browser"), evidence["user_agent"] or "-", code),
        (_("Binding"), evidence["binding_hash"], code),
        (_("Auditgebeurtenis"), f"#{event.id}", body),
        (_("Hash in de audittrail"), event.hash, code),
    ]  # fmt: skip
    table = Table(
        [[Paragraph(escape(name), label), Paragraph(escape(value), style)]
         for name, value, style in rows],
        colWidths=[45 * mm, 115 * mm],
    )  # fmt: skip
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))  # fmt: skip
    names = {
        "approval.opened": _("Document geopend"),
        "approval.agreed": _("Akkoord gegeven"),
        "approval.code_sent": _("Code verstuurd"),
        "approval.code_wrong": _("Onjuiste code ingevoerd"),
    }
    moments = [(item["at"], names.get(item["action"], item["action"]))
               for item in evidence["events"]]  # fmt: skip
    moments.append((evidence["approved_at_utc"], _("Code ingevoerd en goedgekeurd")))
    way = [Paragraph(escape(f"{_local(at)}  {what}"), body) for at, what in moments]
    story = [
        Paragraph(escape(evidence["office"]["name"]), label),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Accorderingsbewijs")), heading),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 5 * mm),
        Paragraph(escape(_("Bevestigingstekst zoals getoond")), label),
        Paragraph(escape(evidence["confirmation_text"]), body),
        Spacer(1, 5 * mm),
        Paragraph(escape(_("Verloop")), label),
        *way,
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Accorderingsbewijs"), author=evidence["office"]["name"],
        subject=document["title"], creator="Dossierflow", leftMargin=25 * mm,
        rightMargin=25 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
    ).build(story)  # fmt: skip
    return buffer.getvalue()


def _local(moment: str) -> str:
    """An ISO moment as the office's local time, to the second."""
    parsed = dt.datetime.fromisoformat(moment)
    return parsed.astimezone(OFFICE_TIME_ZONE).strftime("%Y-%m-%d %H:%M:%S %Z")


def seal(pdf: bytes, *, office: str, reason: str) -> bytes:
    """The PDF sealed with the configured signing certificate (a PAdES signature, which any PDF
    reader checks: who sealed it, and that nothing changed since).

    Raises:
        SealNotConfigured: no DOSSIERFLOW_SEAL_PKCS12 nor DOSSIERFLOW_SEAL_KEY/_CERT.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = _signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="Dossierflow", reason=reason, location=office, name=office,
        md_algorithm="sha256",
    )  # fmt: skip
    return signers.sign_pdf(writer, metadata, signer=signer).getvalue()


def seal_configured() -> bool:
    return bool(os.environ.get("DOSSIERFLOW_SEAL_PKCS12") or os.environ.get("DOSSIERFLOW_SEAL_KEY"))


def _signer():
    from pyhanko.sign import signers

    password = os.environ.get("DOSSIERFLOW_SEAL_PASSWORD")
    pkcs12 = os.environ.get("DOSSIERFLOW_SEAL_PKCS12")
    if pkcs12:
        signer = signers.SimpleSigner.load_pkcs12(
            pkcs12, passphrase=password.encode() if password else None
        )
    elif os.environ.get("DOSSIERFLOW_SEAL_KEY"):
        signer = signers.SimpleSigner.load(
            os.environ["DOSSIERFLOW_SEAL_KEY"], os.environ["DOSSIERFLOW_SEAL_CERT"],
            key_passphrase=password.encode() if password else None,
        )  # fmt: skip
    else:
        raise SealNotConfigured("no signing certificate configured")
    if signer is None:  # pyHanko answers None (and logs why) for a file it cannot read
        raise RuntimeError("the configured signing certificate cannot be read")
    return signer
