"""The completed questionnaire as a PDF (reportlab), for the dossier and for the client to keep.

Set for a reader who may be elderly: 12 pt answers under bold labels, black on white, wide
margins, every page numbered "Pagina 1 van 3", the office and the dossier on every page. The
text is DejaVu Sans (forms/fonts/, embedded as a subset), which covers é, ë, ĳ, €, Polish and
Turkish letters; reportlab's built-in fonts cover only Latin-1. `invariant=1` leaves out the
creation time and the random document id, so the same answers give the same bytes and the
caller stores the PDF once (content-addressed), at completion and again after a rework.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    Image,
    Indenter,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from forms.definition import Definition
from forms.language import Language
from forms.summary import AnswerLine, GroupSummary, summarise

FONTS = Path(__file__).resolve().parent / "fonts"
OFFICE_TIME = ZoneInfo("Europe/Amsterdam")
SANS, SANS_BOLD, MONO = "DossierflowSans", "DossierflowSans-Bold", "DossierflowMono"
MARGIN = 22 * mm
INK, SOFT_INK, RULE = colors.black, colors.HexColor("#3a3a3a"), colors.HexColor("#9a9a9a")
FOOTER_Y = 11 * mm


@dataclass(frozen=True)
class PdfHeader:
    """Who and what the questionnaire is about, printed at the top."""

    office_name: str
    dossier_number: str
    dossier_description: str
    #: The person who completed it (their name as the portal knows it).
    filled_by: str
    #: When it was completed: an aware datetime (printed in Dutch local time).
    completed_at: dt.datetime
    #: The office's logo, PNG or JPEG bytes; printed top right when given.
    logo: bytes | None = None


_fonts_lock = threading.Lock()


def register_fonts() -> tuple[str, str, str]:
    """The library's fonts (DejaVu Sans, bold and mono) registered with reportlab, for other
    PDFs of the portal that need more than Latin-1; their names (sans, bold, mono)."""
    _register_fonts()
    return SANS, SANS_BOLD, MONO


def _register_fonts() -> None:
    with _fonts_lock:
        if SANS in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(SANS, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(SANS_BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFont(TTFont(MONO, str(FONTS / "DejaVuSansMono.ttf")))
        pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    def style(name: str, **settings: Any) -> ParagraphStyle:
        return ParagraphStyle(name, **{"fontName": SANS, "textColor": INK, **settings})

    return {
        "office": style("office", fontName=SANS_BOLD, fontSize=13, leading=17),
        "title": style("title", fontName=SANS_BOLD, fontSize=20, leading=25, spaceBefore=10),
        "meta": style("meta", fontSize=11, leading=15.5),
        "page": style("page", fontName=SANS_BOLD, fontSize=15, leading=19, spaceBefore=16),
        "label": style(
            "label",
            fontName=SANS_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=9,
            textColor=SOFT_INK,
            keepWithNext=1,
        ),  # fmt: skip
        "answer": style("answer", fontSize=12, leading=16.5),
        "empty": style("empty", fontSize=11, leading=16, textColor=SOFT_INK),
        "row": style("row", fontName=SANS_BOLD, fontSize=12, leading=16, spaceBefore=12),
        "hash": style("hash", fontName=MONO, fontSize=8.5, leading=12, textColor=SOFT_INK),
    }


class _Canvas(Canvas):
    """Numbers the pages "Pagina 3 van 12". The total is known only when the document is
    saved, so each page refers to a form ("page-label-3") that `save` then defines; reportlab's
    doForm allows a form to be defined after its use. Each label is whole in its form, so text
    extraction reads it as one line."""

    def __init__(self, *args: Any, page_label: str = "%(page)s / %(pages)s", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.page_label = page_label
        self.pages_drawn = 0

    def draw_page_label(self, page: int) -> None:
        self.pages_drawn = page
        self.doForm(f"page-label-{page}")

    def save(self) -> None:
        for page in range(1, self.pages_drawn + 1):
            self.beginForm(f"page-label-{page}")
            self.setFont(SANS, 9)
            self.setFillColor(SOFT_INK)
            label = self.page_label % {"page": page, "pages": self.pages_drawn}
            self.drawRightString(A4[0] - MARGIN, FOOTER_Y, label)
            self.endForm()
        super().save()


def render_pdf(
    definition: Definition, answers: dict[str, Any], lang: Language, header: PdfHeader
) -> bytes:
    """The questionnaire with its answers (hidden questions left out), in the client's
    language. The same input gives the same bytes."""
    if header.completed_at.tzinfo is None:
        raise ValueError("completed_at must be an aware datetime")
    _register_fonts()
    _ = lang.gettext
    styles = _styles()
    title = definition.title.get(lang.code)
    story: list[Any] = [*_top(header, styles), Paragraph(escape(title), styles["title"])]
    local = header.completed_at.astimezone(OFFICE_TIME)
    when = _("%(date)s om %(time)s") % {
        "date": format_date(local.date(), format="long", locale=lang.locale),
        "time": format_time(local.time(), format="HH:mm", locale=lang.locale),
    }
    for line in (
        _("Versie %(version)s") % {"version": definition.version},
        _("Dossier %(number)s: %(description)s")
        % {"number": header.dossier_number, "description": header.dossier_description},
        _("Ingevuld door %(name)s op %(when)s") % {"name": header.filled_by, "when": when},
    ):
        story.append(Paragraph(escape(line), styles["meta"]))
    for page in summarise(definition, answers, lang):
        story += [
            CondPageBreak(40 * mm),  # a page title never ends a page
            Paragraph(escape(page.title), styles["page"]),
            HRFlowable(width="100%", thickness=0.6, color=RULE, spaceBefore=3, spaceAfter=2),
        ]
        for item in page.items:
            if isinstance(item, GroupSummary):
                story += _group(item, styles, lang)
            else:
                story += _answer(item, styles, lang)
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=A4, invariant=1, lang=lang.code,
        title=f"{title} – {header.dossier_number}", author=header.office_name,
        subject=header.dossier_description, creator="Dossierflow", initialFontName=SANS,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=24 * mm, bottomMargin=22 * mm,
    )  # fmt: skip
    page_label = _("Pagina %(page)s van %(pages)s")

    def decorate(canvas: _Canvas, doc: BaseDocTemplate) -> None:
        _decorate(canvas, doc, header, title)

    def canvas(*args: Any, **kwargs: Any) -> _Canvas:
        return _Canvas(*args, page_label=page_label, **kwargs)

    # Header and footer are drawn when a page ends, so text extraction reads them after the
    # page's content.
    frame = Frame(
        document.leftMargin, document.bottomMargin, document.width, document.height, id="body"
    )
    document.addPageTemplates([PageTemplate("page", [frame], onPageEnd=decorate)])
    document.build(story, canvasmaker=canvas)
    return buffer.getvalue()


def _top(header: PdfHeader, styles) -> list[Any]:
    office = Paragraph(escape(header.office_name), styles["office"])
    if not header.logo:
        return [office]
    reader = ImageReader(io.BytesIO(header.logo))
    width, height = reader.getSize()
    scale = min(40 * mm / width, 18 * mm / height)
    logo = Image(io.BytesIO(header.logo), width=width * scale, height=height * scale)
    table = Table([[office, logo]], colWidths=["*", 42 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table]


def _answer(line: AnswerLine, styles, lang: Language) -> list[Any]:
    flowables: list[Any] = [Paragraph(escape(line.label), styles["label"])]
    if line.text is None:
        flowables.append(Paragraph(escape(lang.gettext("(niet ingevuld)")), styles["empty"]))
        return flowables
    text = escape(line.text)
    if line.multiline:
        text = text.replace("\n", "<br/>")
    flowables.append(Paragraph(text, styles["answer"]))
    if line.file is not None:
        flowables.append(Paragraph(f"SHA-256: {line.file['sha256']}", styles["hash"]))
    return flowables


def _group(group: GroupSummary, styles, lang: Language) -> list[Any]:
    flowables: list[Any] = [Paragraph(escape(group.label), styles["label"])]
    if not group.rows:
        flowables.append(Paragraph(escape(lang.gettext("(geen)")), styles["empty"]))
        return flowables
    for row in group.rows:
        block = [Paragraph(escape(row.title), styles["row"])]
        for line in row.lines:
            block += _answer(line, styles, lang)
        # A row (a child, an heir) stays on one page when it fits on one.
        flowables += [Indenter(left=6 * mm), KeepTogether(block), Indenter(left=-6 * mm)]
    return flowables


def _decorate(canvas: _Canvas, doc, header: PdfHeader, title: str) -> None:
    """The footer on every page, and from the second page on a header line."""
    width, _height = A4
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, 16 * mm, width - MARGIN, 16 * mm)
    canvas.setFont(SANS, 9)
    canvas.setFillColor(SOFT_INK)
    canvas.drawString(MARGIN, FOOTER_Y, _fit(f"{header.office_name} · {title}", 120 * mm))
    canvas.draw_page_label(doc.page)
    canvas.restoreState()
    if doc.page > 1:
        canvas.saveState()
        canvas.setFont(SANS, 9)
        canvas.setFillColor(SOFT_INK)
        line = f"{header.dossier_number} · {header.dossier_description} · {title}"
        canvas.drawString(MARGIN, A4[1] - 14 * mm, _fit(line, A4[0] - 2 * MARGIN))
        canvas.restoreState()


def _fit(text: str, width: float) -> str:
    """The text, shortened with "…" to fit the width at the header's 9 pt."""
    if pdfmetrics.stringWidth(text, SANS, 9) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", SANS, 9) > width:
        text = text[:-1]
    return text.rstrip() + "…"
