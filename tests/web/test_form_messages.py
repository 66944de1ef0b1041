"""WTForms' own messages (a field left empty, an e-mail address or a date that is not one) in
the user's language: Flask-WTF gives WTForms the translations of the request's locale
(WTF_I18N_ENABLED, the documented way), so no form needs its own copy of them."""

from __future__ import annotations

import pytest

from tests.web.page_text import text

STAFF = "medewerker@example.nl"


@pytest.mark.parametrize(
    ("locale", "required", "email"),
    [("nl", "Dit veld is vereist.", "Ongeldig e-mailadres."),
     ("en", "This field is required.", "Invalid email address.")],
)  # fmt: skip
def test_wtforms_messages_are_in_the_users_language(client, login, locale, required, email):
    login(client, STAFF)
    client.post("/language", data={"locale": locale})
    refused = client.post("/office/accounts/new",
                          data={"name": "", "email": "geen-adres", "locale": locale})  # fmt: skip
    assert refused.status_code in (200, 422)
    page = text(refused)
    assert required in page and email in page
    other = "This field is required." if locale == "nl" else "Dit veld is vereist."
    assert other not in page
