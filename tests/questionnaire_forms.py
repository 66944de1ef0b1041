"""Posted pages of the shipped home buyer's intake (intake-koper), as a browser posts them in
Dutch: for the service, web and browser tests and the save-page benchmark."""

from __future__ import annotations

import copy
import io
from typing import Any

from tests.files import PDF  # noqa: F401  (a real PDF: the store parses uploads)

BUYER_PAGES: dict[str, dict[str, Any]] = {
    "buyer": {
        "buyer_first_names": "Zoë Anna",
        "buyer_surname": "Kowalczyk-Yılmaz",
        "buyer_birth_date": "1990-04-12",
        "buyer_birth_place": "Gdańsk",
        "buyer_bsn": "111222333",
        "buyer_street": "Prinsengracht 263",
        "buyer_address.postcode": "1016 GV",
        "buyer_address.house_number": "263",
        "buyer_address.addition": "A",
        "buyer_city": "Amsterdam",
        "buyer_email": "zoe@example.nl",
        "buyer_phone": "06 12345678",
    },
    "identity": {"id_type": "passport", "id_number": "NW92BD8F1", "id_expiry": "2031-05-01"},
    "marital": {"marital_status": "unmarried"},
    "co_buyer": {"buying_together": "no"},
    "property": {
        "property_street": "Keizersgracht 12",
        "property_address.postcode": "1015 CS",
        "property_address.house_number": "12",
        "property_city": "Amsterdam",
        "property_kind": "house",
        "purchase_price": "450.000",
        "movables": "no",
        "own_residence": "yes",
        "starter_exemption": "no",
    },
    "financing": {
        "mortgage": "yes",
        "lender": "ING",
        "mortgage_amount": "380.000",
        "nhg": "no",
        "family_money": "no",
        "refund_iban": "NL91 ABNA 0417 1643 00",
    },
    "other": {"selling_current_home": "no", "understands_dutch": "yes", "attends_signing": "yes"},
}


def buyer_pages(*, mortgage: bool = True) -> dict[str, dict[str, Any]]:
    """The intake's pages in order, each a fresh copy; without a mortgage the lender's
    questions are left out, as a browser with the script would hide them."""
    pages = copy.deepcopy(BUYER_PAGES)
    if not mortgage:
        pages["financing"] = {
            "mortgage": "no", "family_money": "no", "refund_iban": "NL91 ABNA 0417 1643 00",
        }  # fmt: skip
    return pages


def fill_intake(session, questionnaire, actor, *, mortgage=True, store=None, until=None):
    """Every page saved through the service, as "Volgende" does (up to and without `until`); with
    a file store, the signed mortgage offer goes along as a PDF."""
    from casemodel.services.questionnaires import PostedFiles, page_state, save_page
    from casemodel.services.questionnaires.answers import language

    nl = language("nl")
    for key, form in buyer_pages(mortgage=mortgage).items():
        if key == until:
            return
        uploads = None
        if store is not None and key == "financing" and mortgage:
            offer = (io.BytesIO(PDF), "Hypotheekaanbod.pdf")
            uploads = PostedFiles(store, {"mortgage_offer": offer})
        version = page_state(session, questionnaire=questionnaire, page_key=key, lang=nl).version
        outcome = save_page(
            session, questionnaire=questionnaire, page_key=key, form=form, lang=nl,
            version=version, actor=actor, uploads=uploads,
        )  # fmt: skip
        assert outcome.go_to is not None, (key, outcome.result.errors)


def complete_intake(session, questionnaire, actor, store, *, mortgage=True):
    """Fill every page and complete, in Dutch, as the client does."""
    from casemodel.services.questionnaires import complete_questionnaire
    from casemodel.services.questionnaires.answers import language

    fill_intake(session, questionnaire, actor, mortgage=mortgage, store=store)
    session.refresh(questionnaire)
    return complete_questionnaire(
        session, questionnaire=questionnaire, actor=actor, lang=language("nl"), store=store,
        revision=questionnaire.revision,
    )  # fmt: skip
