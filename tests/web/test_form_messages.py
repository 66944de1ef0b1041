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
    assert refused.status_code == 422  # every refused form (webapp/form_base.py)
    page = text(refused)
    assert required in page and email in page
    other = "This field is required." if locale == "nl" else "Dit veld is vereist."
    assert other not in page


def test_the_form_itself_answers_200_and_a_refused_one_422_without_the_view_saying_so(
    client, login
):
    login(client, STAFF)
    assert client.get("/office/accounts/new").status_code == 200
    refused = client.post("/office/accounts/new", data={"name": "", "email": "geen-adres"})
    assert refused.status_code == 422 and "Ongeldig e-mailadres." in text(refused)


def test_every_form_of_the_portal_is_one_that_a_refusal_makes_422(web_app):
    from flask_wtf import FlaskForm

    from webapp.form_base import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [f for f in subclasses(FlaskForm) if f.__module__.startswith("webapp.")]
    assert len(ours) > 25  # the app is loaded: its forms are imported
    assert [f.__qualname__ for f in ours if not issubclass(f, Form)] == []
