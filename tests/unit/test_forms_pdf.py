"""The questionnaire's PDF: its extracted text (pypdf) matches the answers, with Unicode names
and in the client's language; pages numbered "1 van 3"; fonts embedded; same input, same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import sys

import pypdf
import pytest
from PIL import Image

from forms import PdfHeader, render_pdf, shipped_definitions, summarise, validate_answers
from tests.unit.forms_helpers import EN, HEADER, NL, TODAY

SHA = hashlib.sha256(b"paspoort").hexdigest()
BUYER = {
    "buyer_first_names": "Zoë Ĳsbrandina",
    "buyer_surname": "Kowalczyk-Yılmaz",
    "buyer_birth_date": "1956-02-29",
    "buyer_birth_place": "Łódź",
    "buyer_bsn": "111222333",
    "buyer_street": "Herengracht",
    "buyer_address": {"postcode": "1015 BS", "house_number": 1, "addition": "A"},
    "buyer_city": "Amsterdam",
    "buyer_email": "zoe@example.nl",
    "buyer_phone": "+31612345678",
    "id_type": "passport",
    "id_number": "NW92BD8F1",
    "id_expiry": "2031-01-01",
    "id_copy": {
        "sha256": SHA,
        "filename": "paspoort Zoë.pdf",
        "content_type": "application/pdf",
        "size": 48213,
    },
    "marital_status": "married",
    "spouse_name": "Mehmet Şahin Öztürk",
    "marriage_date": "1980-06-14",
    "marriage_place": "İzmir",
    "property_regime": "full_community",
    "buying_together": True,
    "co_buyer_relation": "spouse",
    "co_buyer_first_names": "Mehmet Şahin",
    "co_buyer_surname": "Öztürk",
    "co_buyer_birth_date": "1954-09-01",
    "co_buyer_email": "mehmet@example.nl",
    "ownership_split": "equal",
    "property_street": "Prinsengracht",
    "property_address": {"postcode": "1016 GV", "house_number": 263},
    "property_city": "Amsterdam",
    "property_kind": "apartment",
    "owners_association": "VvE Prinsengracht 263",
    "purchase_price": "725000.00",
    "movables": True,
    "movables_price": "7500.00",
    "own_residence": True,
    "starter_exemption": False,
    "mortgage": True,
    "lender": "Rabobank",
    "mortgage_amount": "400000.00",
    "nhg": False,
    "own_funds": "325000.00",
    "family_money": False,
    "refund_iban": "NL91ABNA0417164300",
    "selling_current_home": False,
    "understands_dutch": True,
    "attends_signing": True,
    "remarks": "Wij willen vóór 1 april tekenen.\nGraag ’s ochtends; € 250 borg is al betaald.",
}


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, white space (and no-break spaces) as single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().replace("\xa0", " ").split()) for page in reader.pages]


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


@pytest.fixture(scope="module")
def buyer():
    # Version 1 asks for the copy of an ID: a file answer in the PDF.
    definition = shipped_definitions().get("intake-koper", 1)
    return definition, validate_answers(definition, BUYER, NL, today=TODAY)


@pytest.mark.parametrize("lang", [NL, EN], ids=["nl", "en"])
def test_the_extracted_text_holds_every_question_and_answer_in_the_clients_language(buyer, lang):
    definition, answers = buyer
    pages = text_of(render_pdf(definition, answers, lang, HEADER))
    text = " ".join(pages)
    expected = []
    for page in summarise(definition, answers, lang):
        expected.append(page.title)
        for item in page.items:
            expected += [item.label, item.text or ""]
    for piece in filter(None, expected):
        assert flat(piece) in text, piece
    # Unicode names come out as typed; the one file by name and SHA-256.
    for name in ("Zoë Ĳsbrandina", "Kowalczyk-Yılmaz", "Łódź", "Mehmet Şahin Öztürk", "İzmir"):
        assert name in text
    assert f"paspoort Zoë.pdf (47 kB) SHA-256: {SHA}" in text
    assert "’s ochtends; € 250 borg" in text
    # Hidden questions are not printed (no interpreter asked: the buyer understands Dutch).
    hidden = definition.question("interpreter_language").label.get(lang.code)
    assert hidden not in text


def test_the_header_and_page_numbers_in_dutch_and_english(buyer):
    definition, answers = buyer
    dutch = text_of(render_pdf(definition, answers, NL, HEADER))
    english = text_of(render_pdf(definition, answers, EN, HEADER))
    assert len(dutch) >= 2
    assert dutch[0].startswith("Notariskantoor Lont & Lalmahomed Intake koper woning Versie 1 ")
    assert "Dossier 2026-00042: Levering Prinsengracht 263-A, Amsterdam" in dutch[0]
    # 13:05 UTC is 14:05 in Amsterdam in November.
    assert "Ingevuld door Zoë Kowalczyk-Yılmaz op 22 november 2026 om 14:05" in dutch[0]
    assert "Completed by Zoë Kowalczyk-Yılmaz on 22 November 2026 at 14:05" in english[0]
    assert "Version 1" in english[0]
    for number, page in enumerate(dutch, start=1):
        assert f"Pagina {number} van {len(dutch)}" in page
    for number, page in enumerate(english, start=1):
        assert f"Page {number} of {len(english)}" in page
    assert "2026-00042 · Levering Prinsengracht 263-A, Amsterdam" in dutch[1]


def test_repeating_groups_are_numbered_blocks():
    definition = shipped_definitions().latest("testament")
    answers = {
        "first_names": "Agnieszka",
        "surname": "Wiśniewska",
        "birth_date": "1941-03-03",
        "birth_place": "Kraków",
        "bsn": "111222333",
        "street": "Dorpsstraat",
        "address": {"postcode": "1234 AB", "house_number": 5},
        "city": "Ĳsselstein",
        "phone": "+31301234567",
        "id_copy": {
            "sha256": SHA,
            "filename": "id.png",
            "content_type": "image/png",
            "size": 2_500_000,
        },
        "relationship": "widowed",
        "earlier_will": False,
        "has_children": True,
        "children": [
            {
                "child_first_names": "Łucja",
                "child_surname": "Wiśniewska",
                "child_birth_date": "1965-01-02",
                "child_alive": True,
            },
            {
                "child_first_names": "Ĳsbrand",
                "child_surname": "de Vries",
                "child_birth_date": "1968-07-30",
                "child_alive": False,
                "child_descendants": 2,
            },
        ],
        "guardian_wanted": False,
        "who_inherits": "children_equal",
        "exclusion_clause": True,
        "executor_wanted": True,
        "executor_name": "Łucja Wiśniewska",
        "legacies_wanted": False,
        "owns_home": False,
        "own_business": False,
    }
    answers = validate_answers(definition, answers, NL, today=TODAY)
    text = " ".join(text_of(render_pdf(definition, answers, NL, HEADER)))
    assert "Uw kinderen Kind 1 Voornamen Łucja" in text
    assert "Kind 2 Voornamen Ĳsbrand Achternaam de Vries" in text
    assert "Hoeveel kinderen laat dit kind na? 2" in text
    assert "id.png (2,4 MB)" in text
    assert "Overige wensen of vragen (niet ingevuld)" in text


def test_fonts_are_embedded_subsets_covering_latin_extended(buyer):
    definition, answers = buyer
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(definition, answers, NL, HEADER)))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            fonts[font["/BaseFont"]] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values())  # every font embedded
    assert {re.sub(r"^/[A-Z]{6}\+", "", name) for name in fonts} == {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "DejaVuSansMono",
    }


def test_the_same_input_gives_the_same_bytes_in_another_process_too(buyer):
    definition, answers = buyer
    first = render_pdf(definition, answers, NL, HEADER)
    assert render_pdf(definition, answers, NL, HEADER) == first
    code = (
        "import sys, hashlib; from tests.unit.test_forms_pdf import *; "
        "d, a = shipped_definitions().get('intake-koper', 1), BUYER; "
        "a = validate_answers(d, a, NL, today=TODAY); "
        "sys.stdout.write(hashlib.sha256(render_pdf(d, a, NL, HEADER)).hexdigest())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout == hashlib.sha256(first).hexdigest()
    changed = render_pdf(definition, {**answers, "lender": "ING"}, NL, HEADER)
    assert changed != first


def test_a_logo_is_printed_and_a_naive_time_is_refused(buyer):
    definition, answers = buyer
    logo = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 60, 120)).save(logo, format="PNG")
    with_logo = render_pdf(
        definition, answers, NL, PdfHeader(**{**HEADER.__dict__, "logo": logo.getvalue()})
    )
    reader = pypdf.PdfReader(io.BytesIO(with_logo))
    assert len(reader.pages[0].images) == 1
    naive = PdfHeader(**{**HEADER.__dict__, "completed_at": dt.datetime(2026, 11, 22, 14, 5)})
    with pytest.raises(ValueError, match="aware"):
        render_pdf(definition, answers, NL, naive)


def test_two_renders_at_once_give_the_bytes_of_one_alone(buyer):
    # The portal renders at completion in a request thread; two clients may finish together.
    from concurrent.futures import ThreadPoolExecutor

    definition, answers = buyer
    alone = {lang.code: render_pdf(definition, answers, lang, HEADER) for lang in (NL, EN)}
    with ThreadPoolExecutor(4) as pool:
        langs = [NL, EN] * 4
        together = list(pool.map(lambda lang: render_pdf(definition, answers, lang, HEADER), langs))
    assert together == [alone[lang.code] for lang in langs]
