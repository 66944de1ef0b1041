"""How long the questionnaire PDF takes, and how that compares with rendering the same answers
as HTML through WeasyPrint.

    .venv/bin/python -m bench.questionnaire_pdf [--rounds 10] [--per-round 5] [--out DIR]

A definition of 100 questions (nine pages of ten questions of every type, and a page with a
repeating group of ten questions) is filled with answers (Polish, Turkish and Dutch names,
long texts, amounts, dates, files), checked with `validate_answers`, and rendered
`--rounds` x `--per-round` times by `forms.pdf.render_pdf`; the repeating group has 10 rows.
The same answers, from the same `forms.summary.summarise`, are rendered through an HTML page
with the same font, sizes and page footer ("Pagina 1 van 5" by CSS counters) by WeasyPrint.
The two alternate round by round, so that a burst of load from other processes falls on both.
Before timing, each PDF's text (pypdf) must hold the answers. It prints

    questionnaire_pdf_100q_ms <v> ms                 p95 of render_pdf (target <= 150 ms)
    questionnaire_pdf_ratio_vs_weasyprint <v> ratio  that p95 / WeasyPrint's p95 (target <= 0.5)

and on stderr p50/p95/max, CPU per render, pages and bytes of each. `--out DIR` keeps one PDF
of each for a look. WeasyPrint is a bench-only dependency: `make bench` installs the `[bench]`
extra and the Pango libraries it needs (devtools/system_deps.sh bench).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import io
import sys
import time
from pathlib import Path

from bench import host_speed_line, percentile
from casemodel.i18n import translations
from forms import Language, parse_definition, render_pdf, summarise, validate_answers
from forms.pdf import FONTS
from forms.summary import GroupSummary
from tests.unit.forms_helpers import HEADER

TARGET_MS, TARGET_RATIO = 150.0, 0.5
LANG = Language("nl", translations("nl"))
TODAY = dt.date(2026, 11, 22)
NAMES = [
    "Zoë Ĳsbrandina de Vries",
    "Łucja Wiśniewska",
    "Mehmet Şahin Öztürk",
    "Émile Dupré",
    "Ayşe Yılmaz",
    "Grzegorz Brzęczyszczykiewicz",
    "Anneke van 't Hof",
    "İsmail Çelik",
    "Małgorzata Żółkiewska",
    "Jan-Willem Ĳzerman",
]
OPTIONS = [
    {"key": f"option_{n}", "label": {"nl": f"Mogelijkheid {n}", "en": f"Option {n}"}}
    for n in range(1, 5)
]
#: One question of each kind, with an answer as stored; ten of them make a page.
KINDS = [
    ({"type": "text", "max_length": 200}, lambda n: NAMES[(n // 10) % 10]),
    (
        {"type": "long_text"},
        lambda n: (
            "Wij hebben de woning in 2019 gekocht en willen graag weten wat de gevolgen zijn van "
            f"de verkoop voor onze hypotheek. Opmerking {n}: de ĳzeren trap is vernieuwd; "
            "kosten € 2.450."
        ),
    ),
    ({"type": "money", "min": 0}, lambda n: f"{1250 * n + 0.5:.2f}"),
    ({"type": "date"}, lambda n: f"19{40 + n % 50}-0{1 + n % 9}-1{n % 9}"),
    ({"type": "yes_no"}, lambda n: n % 2 == 0),
    ({"type": "single_choice", "options": OPTIONS}, lambda n: f"option_{1 + n % 4}"),
    (
        {"type": "multiple_choice", "options": OPTIONS},
        lambda n: ["option_1", f"option_{2 + n % 3}"],
    ),
    ({"type": "iban"}, lambda n: "NL91ABNA0417164300"),
    (
        {"type": "postcode"},
        lambda n: {"postcode": "1015 BS", "house_number": n + 1, "addition": "A"},
    ),
    (
        {"type": "file"},
        lambda n: {
            "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
            "filename": f"jaaropgave {NAMES[n % 10]}.pdf",
            "content_type": "application/pdf",
            "size": 180_000 + n,
        },
    ),
]


def text(nl: str) -> dict[str, str]:
    return {"nl": nl, "en": nl}


def questionnaire() -> tuple[object, dict]:
    """The 100-question definition and its answers, checked as the portal would check them."""
    pages, answers = [], {}
    for page in range(9):
        questions = []
        for index, (settings, answer) in enumerate(KINDS):
            key, number = f"q{page}_{index}", page * 10 + index
            label = f"Vraag {number + 1}: wat is uw antwoord op deze vraag over onderdeel {index}?"
            questions.append({"key": key, "label": text(label), **settings})
            answers[key] = answer(number)
        pages.append(
            {"key": f"page{page}", "title": text(f"Onderdeel {page + 1}"), "questions": questions}
        )
    children = [
        {"key": f"row_{index}", "label": text(f"Gegeven {index + 1} van deze rij"), **settings}
        for index, (settings, _answer) in enumerate(KINDS)
    ]
    pages.append(
        {
            "key": "rows",
            "title": text("Kinderen"),
            "questions": [
                {
                    "key": "children",
                    "type": "group",
                    "label": text("Uw kinderen"),
                    "item_label": text("Kind"),
                    "min": 1,
                    "max": 10,
                    "questions": children,
                }
            ],
        }
    )
    answers["children"] = [
        {f"row_{index}": answer(row * 10 + index) for index, (_s, answer) in enumerate(KINDS)}
        for row in range(10)
    ]
    definition = parse_definition(
        {
            "key": "bench",
            "version": 1,
            "office_kind": "notary",
            "title": text("Honderd vragen"),
            "pages": pages,
        }
    )
    assert definition.question_count() == 100
    return definition, validate_answers(definition, answers, LANG, today=TODAY)


CSS = """
@font-face { font-family: Dossierflow; src: url("%(fonts)s/DejaVuSans.ttf"); }
@font-face { font-family: Dossierflow; font-weight: bold;
             src: url("%(fonts)s/DejaVuSans-Bold.ttf"); }
@font-face { font-family: DossierflowMono; src: url("%(fonts)s/DejaVuSansMono.ttf"); }
@page { size: A4; margin: 24mm 22mm 22mm 22mm;
  @bottom-left { content: "%(footer)s"; font: 9pt Dossierflow; color: #3a3a3a; }
  @bottom-right { content: "Pagina " counter(page) " van " counter(pages);
                  font: 9pt Dossierflow; color: #3a3a3a; } }
body { font-family: Dossierflow; color: black; }
.office { font-weight: bold; font-size: 13pt; }
h1 { font-size: 20pt; margin: 10pt 0 0; }
.meta { font-size: 11pt; line-height: 15.5pt; margin: 0; }
h2 { font-size: 15pt; margin: 16pt 0 3pt; padding-bottom: 2pt; border-bottom: 0.6pt solid #9a9a9a;
     break-after: avoid; }
.label { font-weight: bold; font-size: 10.5pt; color: #3a3a3a; margin: 9pt 0 0;
         break-after: avoid; }
.answer { font-size: 12pt; line-height: 16.5pt; margin: 0; white-space: pre-line; }
.hash { font-family: DossierflowMono; font-size: 8.5pt; color: #3a3a3a; margin: 0; }
.row { margin-left: 6mm; break-inside: avoid; }
.row h3 { font-size: 12pt; margin: 12pt 0 0; }
"""


def html_page(definition, answers) -> str:
    """The same content as render_pdf, as the HTML a print view would be."""
    esc = html.escape
    parts = [
        f'<p class="office">{esc(HEADER.office_name)}</p>',
        f"<h1>{esc(definition.title.nl)}</h1>",
        f'<p class="meta">Versie {definition.version}</p>',
        f'<p class="meta">Dossier {esc(HEADER.dossier_number)}: '
        f"{esc(HEADER.dossier_description)}</p>",
        f'<p class="meta">Ingevuld door {esc(HEADER.filled_by)} op 22 november 2026 om 14:05</p>',
    ]

    def line(item) -> str:
        out = f'<p class="label">{esc(item.label)}</p><p class="answer">{esc(item.text or "")}</p>'
        if item.file:
            out += f'<p class="hash">SHA-256: {item.file["sha256"]}</p>'
        return out

    for page in summarise(definition, answers, LANG):
        parts.append(f"<h2>{esc(page.title)}</h2>")
        for item in page.items:
            if isinstance(item, GroupSummary):
                parts.append(f'<p class="label">{esc(item.label)}</p>')
                for row in item.rows:
                    lines = "".join(line(one) for one in row.lines)
                    parts.append(f'<div class="row"><h3>{esc(row.title)}</h3>{lines}</div>')
            else:
                parts.append(line(item))
    css = CSS % {"fonts": FONTS.as_uri(), "footer": f"{HEADER.office_name} · Honderd vragen"}
    return (
        f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><style>{css}</style>'
        f"</head><body>{''.join(parts)}</body></html>"
    )


def weasyprint_pdf(definition, answers) -> bytes:
    from weasyprint import HTML

    return HTML(string=html_page(definition, answers)).write_pdf()


def reportlab_pdf(definition, answers) -> bytes:
    return render_pdf(definition, answers, LANG, HEADER)


def check_text(name: str, pdf: bytes, answers: dict) -> int:
    """The PDF must hold the answers (no timing of an empty or broken document)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    content = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for needle in (
        NAMES[3],
        NAMES[5],
        answers["children"][9]["row_0"],
        "Kind 10",
        answers["q8_9"]["sha256"],
        f"van {len(reader.pages)}",
    ):
        if needle not in content:
            raise SystemExit(f"{name}: the PDF's text lacks {needle!r}")
    return len(reader.pages)


def timed(render, definition, answers, count: int, samples: list[float], cpu: list[float]):
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        render(definition, answers)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        print(
            f"WeasyPrint is not usable ({exc}); run `make bench`, which installs the [bench] "
            "extra and Pango",
            file=sys.stderr,
        )
        return 1
    print(host_speed_line(), file=sys.stderr, flush=True)
    definition, answers = questionnaire()
    ours, theirs = reportlab_pdf(definition, answers), weasyprint_pdf(definition, answers)
    our_pages, their_pages = (
        check_text("reportlab", ours, answers),
        check_text("weasyprint", theirs, answers),
    )
    if reportlab_pdf(definition, answers) != ours:
        raise SystemExit("render_pdf gave different bytes for the same answers")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "questionnaire-reportlab.pdf").write_bytes(ours)
        (args.out / "questionnaire-weasyprint.pdf").write_bytes(theirs)
    for render in (reportlab_pdf, weasyprint_pdf):  # warm-up: fonts parsed, caches filled
        timed(render, definition, answers, 2, [], [])
    ours_ms, ours_cpu, theirs_ms, theirs_cpu = [], [], [], []
    for _round in range(args.rounds):
        timed(reportlab_pdf, definition, answers, args.per_round, ours_ms, ours_cpu)
        timed(weasyprint_pdf, definition, answers, args.per_round, theirs_ms, theirs_cpu)
    for name, samples, cpu, pages, size in (
        ("reportlab", ours_ms, ours_cpu, our_pages, len(ours)),
        ("weasyprint", theirs_ms, theirs_cpu, their_pages, len(theirs)),
    ):
        print(
            f"# {name}: p50 {percentile(samples, 0.5):.1f} ms, p95 {percentile(samples, 0.95):.1f} "
            f"ms, max {max(samples):.1f} ms, CPU p50 {percentile(cpu, 0.5):.1f} ms; {pages} pages, "
            f"{size:,} bytes ({len(samples)} renders)",
            file=sys.stderr,
            flush=True,
        )
    p95 = percentile(ours_ms, 0.95)
    ratio = p95 / percentile(theirs_ms, 0.95)
    print(f"questionnaire_pdf_100q_ms {p95:.1f} ms", flush=True)
    print(f"questionnaire_pdf_ratio_vs_weasyprint {ratio:.2f} ratio", flush=True)
    if p95 > TARGET_MS:
        print(
            f"# questionnaire_pdf_100q_ms above the target of {TARGET_MS:.0f} ms", file=sys.stderr
        )
    if ratio > TARGET_RATIO:
        print(
            f"# questionnaire_pdf_ratio_vs_weasyprint above the target of {TARGET_RATIO}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
