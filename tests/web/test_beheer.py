"""Beheer and the office's side of issue 17 through the web, on SQLite and PostgreSQL: an
organisation's administrator manages its users (and cannot escalate), a right taken away stops
the next request of a session already open, proposals reviewed by the office both ways, bad
details refused in both languages with what was typed kept, the office's lists kept to its own
office, and accounts deactivated during an open session and during a pending login."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemodel.models import (
    ChangeProposal,
    Membership,
    MembershipInvitation,
    Office,
    Organisation,
    OutboxMessage,
    User,
)
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.rights import RIGHTS, Rights
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.web import latest_sms_code
from tests.web.page_text import text

STAFF = "medewerker@example.nl"
MANAGER = "manager@example.nl"
DIRECTOR = "directeur@example.nl"  # administrator of Bakkerij Van Dam B.V. (accountancy firm)
CLIENT = "klant@example.nl"  # J. de Vries, the notary office's private client
COLLEAGUE = "collega@example.nl"
BAKERY = "A-2044"


def user(session, email: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def organisation(session, number: str) -> Organisation:
    return session.scalar(select(Organisation).where(Organisation.client_number == number))


def membership(session, email: str, number: str) -> Membership | None:
    session.expire_all()
    return session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(User.email == email, Organisation.client_number == number)
    )


def set_rights(session, email: str, number: str, **rights) -> None:
    Rights(**{r: rights.get(r, r in ("view", "upload", "fill")) for r in RIGHTS}).put_on(
        membership(session, email, number)
    )
    session.commit()


@pytest.fixture
def colleague(web_session) -> User:
    """A second user of the bakery, who sees, uploads and fills in; logs in by SMS."""
    person = create_user(web_session, email=COLLEAGUE, name="Kees Boekhouder",
                         password=DEMO_PASSWORD)  # fmt: skip
    person.mobile_number, person.second_factor = "+31612349001", "sms"
    add_membership(web_session, user=person, organisation=organisation(web_session, BAKERY))
    web_session.commit()
    return person


@pytest.fixture
def director(signed_in):
    return signed_in(DIRECTOR)


@pytest.fixture
def office(signed_in):
    return signed_in(STAFF)


def flashed(response) -> str:
    """The page's flashed messages (base.html's alerts, data-testid="flash")."""
    return " ".join(re.findall(r'data-testid="flash">.*?<p>(.*?)</p>',
                               response.get_data(as_text=True), flags=re.S))  # fmt: skip


def mails_to(session, email: str) -> list[dict]:
    return [p for p in session.scalars(select(OutboxMessage.payload)
                                       .where(OutboxMessage.kind == "send_mail"))
            if p["to"] == email]  # fmt: skip


def input_value(response, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.get_data(as_text=True))
    value = re.search(r'value="([^"]*)"', tag[0]) if tag else None
    return value[1] if value else None


# --- Mijn gebruikers ----------------------------------------------------------------------------


def test_mijn_gebruikers_lists_the_users_with_rights_and_last_login(director, colleague):
    page = text(director.get("/beheer/users"))
    assert "Annelies van Dam (uzelf)" in page and "Kees Boekhouder" in page
    assert "Inzien, Uploaden en berichten, Vragenlijsten, Accorderen, Beheerder" in page
    assert "Nog nooit" in page  # the colleague never logged in
    detail = text(director.get(f"/beheer/users/{colleague.id}"))
    assert "Dossiers inzien" in detail and "E-mailnotificaties" in detail


def test_adding_a_user_invites_a_new_address_and_links_an_existing_account(
    director, web_session
):
    answer = director.post("/beheer/users/new", data={
        "name": "Nieuwe Collega", "email": "nieuw@example.nl", "locale": "nl", "view": "y",
        "upload": "y",
    })  # fmt: skip
    assert answer.status_code == 302
    created = user(web_session, "nieuw@example.nl")
    assert created.password_hash is None  # activates through the first mail's link
    rights = Rights.of(membership(web_session, "nieuw@example.nl", BAKERY))
    assert rights.granted() == ["view", "upload"]
    [mail] = mails_to(web_session, "nieuw@example.nl")
    assert "/account/start" in mail["text"]

    # The notary's client has an account: an invitation to accept, no second account.
    director.post("/beheer/users/new", data={"name": "Jan", "email": CLIENT.upper(),
                                              "locale": "nl", "view": "y"})  # fmt: skip
    assert len(web_session.scalars(select(User).where(User.email == CLIENT)).all()) == 1
    assert membership(web_session, CLIENT, BAKERY) is None
    invitation = web_session.scalar(select(MembershipInvitation).where(
        MembershipInvitation.user_id == user(web_session, CLIENT).id))  # fmt: skip
    assert Rights.of(invitation).granted() == ["view"]


# --- escalation ---------------------------------------------------------------------------------


def test_an_administrator_cannot_grant_a_right_they_lack(director, colleague, web_session):
    set_rights(web_session, DIRECTOR, BAKERY, administer=True, approve=False)
    refused = director.post(f"/beheer/users/{colleague.id}/rights",
                            data={"view": "y", "upload": "y", "fill": "y", "approve": "y"},
                            follow_redirects=True)  # fmt: skip
    assert "geen recht geven dat u zelf niet heeft" in flashed(refused)
    assert not membership(web_session, COLLEAGUE, BAKERY).can_approve
    offered = director.post("/beheer/users/new", data={
        "name": "X", "email": "x@example.nl", "locale": "nl", "approve": "y"})  # fmt: skip
    assert offered.status_code == 422 and user(web_session, "x@example.nl") is None


def test_an_administrator_cannot_raise_their_own_rights(director, web_session, colleague):
    set_rights(web_session, DIRECTOR, BAKERY, administer=True, fill=False)
    set_rights(web_session, COLLEAGUE, BAKERY, administer=True)  # not the last administrator
    me = user(web_session, DIRECTOR)
    refused = director.post(f"/beheer/users/{me.id}/rights",
                            data={"view": "y", "upload": "y", "fill": "y", "administer": "y"},
                            follow_redirects=True)  # fmt: skip
    assert "eigen rechten niet uitbreiden" in flashed(refused)
    assert not membership(web_session, DIRECTOR, BAKERY).can_fill


def test_another_organisations_user_id_answers_404(director, web_session):
    other = user(web_session, CLIENT)
    for method, url in (("GET", f"/beheer/users/{other.id}"),
                        ("POST", f"/beheer/users/{other.id}/rights"),
                        ("POST", f"/beheer/users/{other.id}/remove"),
                        ("POST", f"/beheer/users/{other.id}/details"),
                        ("GET", f"/beheer/users/{other.id}/contact")):  # fmt: skip
        assert director.open(url, method=method, data={"administer": "y"}).status_code == 404
    assert membership(web_session, CLIENT, "N-10231").is_admin  # untouched


def test_the_last_administrator_cannot_demote_or_remove_themselves(director, web_session):
    me = user(web_session, DIRECTOR)
    demoted = director.post(f"/beheer/users/{me.id}/rights", data={"view": "y"},
                            follow_redirects=True)  # fmt: skip
    assert "ten minste één beheerder" in flashed(demoted)
    removed = director.post(f"/beheer/users/{me.id}/remove", follow_redirects=True)
    assert "ten minste één beheerder" in flashed(removed)
    assert membership(web_session, DIRECTOR, BAKERY).is_admin


def test_a_member_who_is_not_an_administrator_gets_403(web_app, login, colleague, web_session):
    browser = web_app.test_client()
    login(browser, COLLEAGUE)
    assert "Mijn gebruikers" not in text(browser.get("/beheer/account"))
    assert browser.get("/beheer/users").status_code == 403
    me = user(web_session, DIRECTOR)
    assert browser.post(f"/beheer/users/{me.id}/remove").status_code == 403
    # Nor their own mobile number (the manual: only administrators).
    assert "alleen een beheerder" in text(browser.get("/details"))
    assert browser.get("/account/two-step/number?method=sms").status_code == 403


# --- a right taken away during an open session --------------------------------------------------


def test_a_right_removed_stops_the_next_request_of_an_open_session(
    web_app, login, director, colleague
):
    browser = web_app.test_client()
    login(browser, COLLEAGUE)
    dossier = browser.get("/dossiers")
    first = re.search(r'href="/dossiers/(\d+)"', dossier.get_data(as_text=True))[1]
    assert browser.get(f"/dossiers/{first}/messages/new").status_code == 200

    director.post(f"/beheer/users/{colleague.id}/rights", data={"view": "y", "fill": "y"})
    assert browser.get(f"/dossiers/{first}/messages/new").status_code == 403
    assert "Nieuw bericht" not in text(browser.get(f"/dossiers/{first}?tab=messages"))
    sent = browser.post(f"/dossiers/{first}/messages", data={"subject": "x", "body": "y"})
    assert sent.status_code == 403

    director.post(f"/beheer/users/{colleague.id}/rights", data={"fill": "y"})
    assert browser.get(f"/dossiers/{first}").status_code == 404
    assert f'href="/dossiers/{first}"' not in browser.get("/dossiers").get_data(as_text=True)


def test_removing_a_user_ends_their_session(web_app, login, director, colleague, web_session):
    browser = web_app.test_client()
    login(browser, COLLEAGUE)
    assert browser.get("/home").status_code == 200
    removed = director.post(f"/beheer/users/{colleague.id}/remove", follow_redirects=True)
    assert "Kees Boekhouder heeft geen toegang meer" in flashed(removed)
    assert browser.get("/home").headers["Location"].startswith("/login")
    assert not user(web_session, COLLEAGUE).is_active  # it belonged nowhere else: closed
    again = web_app.test_client().post("/login", data={"email": COLLEAGUE,
                                                        "password": DEMO_PASSWORD})  # fmt: skip
    assert "Het e-mailadres of wachtwoord is onjuist." in text(again)
    assert any("beëindigd" in mail["subject"] for mail in mails_to(web_session, COLLEAGUE))


# --- proposals, reviewed both ways --------------------------------------------------------------


def test_the_office_accepts_a_proposal_and_then_it_applies(web_app, login, director, office,
                                                           web_session):  # fmt: skip
    bakery = organisation(web_session, BAKERY)
    proposed = director.post(f"/beheer/clients/{bakery.id}", data={
        "address_street": "Bakkerstraat 1", "address_postcode": "8011 AB",
        "address_city": "Zwolle", "address_country": "NL", "kvk_number": "12345678",
    }, follow_redirects=True)  # fmt: skip
    assert "voorgelegd aan uw contactpersoon" in flashed(proposed)
    page = text(director.get(f"/beheer/clients/{bakery.id}"))
    assert "In behandeling: Bakkerstraat 1" in page and "In behandeling: 12345678" in page
    assert organisation(web_session, BAKERY).kvk_number is None  # the old value is in force

    menu = office.get("/office/").get_data(as_text=True)
    badge = r'data-testid="nav-proposals">Wijzigingen <span class="[^"]*\bbadge\b[^"]*"[^>]*>1<'
    assert re.search(badge, menu)
    proposal = web_session.scalar(select(ChangeProposal).where(ChangeProposal.state == "pending"))
    review = text(office.get(f"/office/proposals/{proposal.id}"))
    assert "Bakkerij Van Dam B.V." in review and "Annelies van Dam" in review
    accepted = office.post(f"/office/proposals/{proposal.id}/review",
                           data={"decision": "accept"}, follow_redirects=True)  # fmt: skip
    assert "Het voorstel is verwerkt." in flashed(accepted)
    web_session.expire_all()
    assert organisation(web_session, BAKERY).kvk_number == "12345678"
    assert "Verwerkt" in text(director.get(f"/beheer/clients/{bakery.id}"))


def test_the_office_rejects_a_proposal_with_a_remark_the_client_sees(director, office,
                                                                     web_session):  # fmt: skip
    director.post("/beheer/account", data={"name": "Annelies van Dam", "address_country": "NL",
                                           "address_city": "Kampen"})  # fmt: skip
    proposal = web_session.scalar(select(ChangeProposal).where(ChangeProposal.state == "pending"))
    no_remark = office.post(f"/office/proposals/{proposal.id}/review",
                            data={"decision": "reject", "remark": ""})  # fmt: skip
    assert no_remark.status_code == 422 and "Schrijf bij het afwijzen op waarom" in text(no_remark)
    office.post(f"/office/proposals/{proposal.id}/review",
                data={"decision": "reject", "remark": "Wij kennen u in Zwolle; bel ons even."})
    page = text(director.get("/beheer/account"))
    assert "Afgewezen" in page and "Wij kennen u in Zwolle; bel ons even." in page
    assert user(web_session, DIRECTOR).address_city is None


def test_only_the_contact_person_or_a_manager_reviews_through_the_web(web_app, login, director,
                                                                     web_session):  # fmt: skip
    accountancy = organisation(web_session, BAKERY).office
    other = create_user(web_session, email="collega-accountant@example.nl", name="Collega",
                        role="staff", office_ids=[accountancy.id],
                        password=DEMO_PASSWORD)  # fmt: skip
    other.mobile_number, other.second_factor = "+31612349999", "sms"
    web_session.commit()
    director.post("/beheer/account", data={"name": "Annelies van Dam", "address_country": "NL",
                                           "address_city": "Kampen"})  # fmt: skip
    proposal = web_session.scalar(select(ChangeProposal).where(ChangeProposal.state == "pending"))
    browser = web_app.test_client()
    login(browser, other.email)
    assert "Annelies van Dam" not in text(browser.get("/office/proposals"))
    menu = browser.get("/office/").get_data(as_text=True)
    assert not re.search(r'data-testid="nav-proposals">Wijzigingen <span class="badge"', menu)
    page = text(browser.get(f"/office/proposals/{proposal.id}"))
    assert "beoordeelt de contactpersoon van de cliënt, Sanne Jansen" in page
    assert "Verwerken" not in page
    refused = browser.post(f"/office/proposals/{proposal.id}/review", data={"decision": "accept"})
    assert refused.status_code == 403
    assert "beoordeelt de contactpersoon, Sanne Jansen, of een manager" in text(refused)
    web_session.expire_all()
    assert web_session.get(ChangeProposal, proposal.id).state == "pending"
    assert user(web_session, DIRECTOR).address_city is None

    boss = web_app.test_client()
    login(boss, MANAGER)
    assert "Annelies van Dam" in text(boss.get("/office/proposals"))
    boss.post(f"/office/proposals/{proposal.id}/review", data={"decision": "accept"})
    assert user(web_session, DIRECTOR).address_city == "Kampen"


def test_an_office_without_review_applies_a_change_at_once(web_app, login, web_session):
    notary = web_session.scalar(select(Office).where(Office.kind == "notary"))
    assert notary.changes_need_review is False  # the demo's small notary office
    browser = web_app.test_client()
    login(browser, CLIENT)
    done = browser.post("/beheer/account", data={"name": "Jan de Vries", "phone_number":
                                                 "020 123 4567", "address_country": "NL"},
                        follow_redirects=True)  # fmt: skip
    assert "De gegevens zijn gewijzigd." in flashed(done)
    assert user(web_session, CLIENT).phone_number == "+31201234567"


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_bad_details_are_refused_next_to_their_fields_with_the_typed_value_kept(
    director, web_session, locale
):
    director.post("/language", data={"locale": locale})
    bakery = organisation(web_session, BAKERY)
    typed = {"address_postcode": "80111 AB", "kvk_number": "1234567",
             "vat_number": "NL123456789B01", "iban": "NL91 ABNA 0417 1643 01",
             "address_country": "NL"}  # fmt: skip
    refused = director.post(f"/beheer/clients/{bakery.id}", data=typed)
    assert refused.status_code == 422
    page = text(refused)
    expected = {
        "nl": ["Vul een geldige postcode in", "Een KvK-nummer bestaat uit 8 cijfers",
               "Dit btw-nummer klopt niet", "Dit IBAN klopt niet"],
        "en": ["Enter a valid postcode", "Chamber of Commerce (KvK) number has 8 digits",
               "This VAT number is not right", "This IBAN is not right"],
    }[locale]  # fmt: skip
    for message in expected:
        assert message in page, message
    for field in ("address_postcode", "kvk_number", "vat_number", "iban"):
        assert input_value(refused, field) == typed[field]
    assert web_session.scalar(select(ChangeProposal)) is None  # nothing half-done


def test_a_bad_phone_number_on_mijn_account(director):
    refused = director.post("/beheer/account", data={"name": "Annelies van Dam",
                                                     "phone_number": "12345",
                                                     "address_country": "NL"})  # fmt: skip
    assert refused.status_code == 422
    assert "Vul een geldig telefoonnummer in" in text(refused)
    assert input_value(refused, "phone_number") == "12345"


# --- e-mail address and mobile number: administrators, after re-authentication -------------------


def test_changing_a_users_address_needs_the_administrators_password_and_code(
    director, colleague, web_session, office
):
    page = f"/beheer/users/{colleague.id}/contact"
    asked = director.get(page)
    assert asked.headers["Location"].startswith("/account/confirm")
    director.post("/account/confirm", data={"password": DEMO_PASSWORD, "next": page})
    second = director.get(page)
    assert second.headers["Location"].startswith("/account/confirm/code")
    director.post("/account/confirm/code", data={"step": "send", "next": page})
    director.post("/account/confirm/code?method=sms",
                  data={"code": latest_sms_code(DIRECTOR), "next": page})  # fmt: skip
    assert director.get(page).status_code == 200
    director.post(page, data={"email": "kees@example.nl", "mobile_number": "06 4123 4567"})
    proposal = web_session.scalar(select(ChangeProposal).where(ChangeProposal.state == "pending"))
    assert proposal.changes == {"email": "kees@example.nl", "mobile_number": "+31641234567"}
    office.post(f"/office/proposals/{proposal.id}/review", data={"decision": "accept"})
    person = user(web_session, "kees@example.nl")
    assert person.pending_mobile_number == "+31641234567" and person.mobile_number == "+31612349001"
    assert any("k•••@example.nl" in m["text"] for m in mails_to(web_session, COLLEAGUE))
    told = [p for p in web_session.scalars(select(OutboxMessage.payload).where(
        OutboxMessage.kind == "send_sms")) if p["to"] == "+31612349001"]  # fmt: skip
    assert told and "wordt gewijzigd" in told[-1]["text"]


def test_a_taken_address_looks_like_any_other_to_the_client_and_the_reviewer_sees_it(
    director, colleague, web_session, office
):
    page = f"/beheer/users/{colleague.id}/contact"
    director.post("/account/confirm", data={"password": DEMO_PASSWORD, "next": page})
    director.post("/account/confirm/code", data={"step": "send", "next": page})
    director.post("/account/confirm/code?method=sms",
                  data={"code": latest_sms_code(DIRECTOR), "next": page})  # fmt: skip
    director.get(page)  # takes the flash of the code sent

    def propose(email: str) -> tuple[int, str, str]:
        answer = director.post(page, data={"email": email, "mobile_number": "06 1234 9001"},
                               follow_redirects=True)  # fmt: skip
        shown = text(director.get(page))
        return answer.status_code, flashed(answer), shown.replace(email, "ADDRESS")

    free = propose("nog-vrij@example.nl")
    taken = propose(CLIENT)  # the notary office's client: an account the bakery has no part in
    assert free == taken  # the same answer, the same page
    assert "voorgelegd aan uw contactpersoon" in taken[1] and "In behandeling" in taken[2]
    assert "ander account" not in taken[2]
    proposal = web_session.scalar(select(ChangeProposal).where(ChangeProposal.state == "pending"))
    assert proposal.changes == {"email": CLIENT}

    review = text(office.get(f"/office/proposals/{proposal.id}"))
    assert "Het voorgestelde e-mailadres hoort al bij een ander account" in review
    refused = office.post(f"/office/proposals/{proposal.id}/review", data={"decision": "accept"})
    assert refused.status_code == 409
    assert "hoort bij een ander account, dus dit voorstel kan niet worden verwerkt" in text(refused)
    assert user(web_session, COLLEAGUE).email == COLLEAGUE
    office.post(f"/office/proposals/{proposal.id}/review",
                data={"decision": "reject", "remark": "Bel ons even over uw adres."})
    web_session.expire_all()
    assert web_session.get(ChangeProposal, proposal.id).state == "rejected"


# --- the office: its own organisations, people and proposals only --------------------------------


def test_the_offices_lists_show_their_own_clients_only(web_app, login, web_session):
    accountancy = web_session.scalar(select(Office).where(Office.kind == "accountancy"))
    other = create_user(web_session, email="collega-accountant@example.nl", name="Collega",
                        role="staff", office_ids=[accountancy.id],
                        password=DEMO_PASSWORD)  # fmt: skip
    other.mobile_number, other.second_factor = "+31612349999", "sms"
    web_session.commit()
    browser = web_app.test_client()
    login(browser, other.email)
    organisations = text(browser.get("/office/organisations"))
    assert "Bakkerij Van Dam" in organisations and "J. de Vries" not in organisations
    people = text(browser.get("/office/people"))
    assert "Annelies van Dam" in people and "Jan de Vries" not in people
    assert "Sanne Jansen" in text(browser.get("/office/people?staff=1"))  # works for both
    client = user(web_session, CLIENT)
    assert browser.get(f"/office/people/{client.id}").status_code == 404
    assert browser.post(f"/office/people/{client.id}/deactivate").status_code == 404
    assert user(web_session, CLIENT).is_active


# --- deactivation -------------------------------------------------------------------------------


def test_deactivation_during_an_open_session_refuses_the_next_request(web_app, login, office,
                                                                      web_session):  # fmt: skip
    browser = web_app.test_client()
    login(browser, CLIENT)
    assert browser.get("/home").status_code == 200
    client = user(web_session, CLIENT)
    done = office.post(f"/office/people/{client.id}/deactivate", follow_redirects=True)
    assert "is gedeactiveerd" in flashed(done)
    assert browser.get("/home").headers["Location"].startswith("/login")
    again = browser.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD})
    assert "Het e-mailadres of wachtwoord is onjuist." in text(again)
    before = len(mails_to(web_session, CLIENT))
    browser.post("/password/forgot", data={"email": CLIENT})
    assert not any("wachtwoord" in m["subject"].lower()
                   for m in mails_to(web_session, CLIENT)[before:])  # fmt: skip
    assert any("gedeactiveerd" in m["subject"] for m in mails_to(web_session, CLIENT))

    office.post(f"/office/people/{client.id}/reactivate")
    login(browser, CLIENT)
    assert browser.get("/home").status_code == 200


def test_deactivation_during_a_pending_login_ends_it(web_app, office, web_session):
    browser = web_app.test_client()
    waiting = browser.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD})
    assert waiting.headers["Location"] == "/login/code"
    code = latest_sms_code(CLIENT)
    client = user(web_session, CLIENT)
    office.post(f"/office/people/{client.id}/deactivate")
    refused = browser.post("/login/code", data={"code": code})
    assert refused.headers["Location"] == "/login"
    assert browser.get("/home").headers["Location"].startswith("/login")


def test_a_manager_deactivates_a_staff_account_and_staff_cannot(web_app, login, office,
                                                                web_session):  # fmt: skip
    manager = user(web_session, MANAGER)
    refused = office.post(f"/office/people/{manager.id}/deactivate", follow_redirects=True)
    assert "deactiveert een manager" in flashed(refused)
    boss = web_app.test_client()
    login(boss, MANAGER)
    staff = user(web_session, STAFF)
    boss.post(f"/office/people/{staff.id}/deactivate")
    assert not user(web_session, STAFF).is_active
    assert office.get("/office/").headers["Location"].startswith("/login")
