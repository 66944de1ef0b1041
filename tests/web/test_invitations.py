"""Giving a person access on the office's Accounts page (issue 16, section 5): an existing
account is invited and accepts (or declines) after logging in, across offices too; the page
answers an unknown address, a client and a staff address alike; invitations count against a
limit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemodel.models import Membership, MembershipInvitation, Organisation, OutboxMessage, User
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)
from tests.web.page_text import text

STAFF = "medewerker@example.nl"
MANAGER = "manager@example.nl"
DIRECTOR = "directeur@example.nl"  # a client of the accountancy firm
NOTARY_CLIENT = "N-10231"  # J. de Vries, a client of the notary office


@pytest.fixture
def office(web_app, login):
    browser = web_app.test_client()
    login(browser, STAFF)
    return browser


def organisation(web_session, number: str) -> Organisation:
    return web_session.scalar(select(Organisation).where(Organisation.client_number == number))


def give_access(office, organisation_id: int, email: str, name: str = "Iemand"):
    return office.post("/office/accounts/new", data={
        "organisation_id": organisation_id, "name": name, "email": email, "locale": "nl",
    })  # fmt: skip


def answer_of(office, response) -> str:
    """The page's answer as the office sees it, with the address itself taken out."""
    page = text(office.get(response.headers["Location"]))
    return re.search(r"krijgt een e-mail\..*?aanneemt\.", page)[0]


def mails_to(web_session, email: str) -> list[dict]:
    return [p for p in web_session.scalars(select(OutboxMessage.payload)
                                           .where(OutboxMessage.kind == "send_mail"))
            if p["to"] == email]  # fmt: skip


def test_a_client_of_another_office_is_invited_and_accepts(web_app, login, office, web_session):
    notary_client = organisation(web_session, NOTARY_CLIENT)
    director = web_session.scalar(select(User).where(User.email == DIRECTOR))
    assert give_access(office, notary_client.id, DIRECTOR).status_code == 302
    # Nothing granted yet: an invitation, and a mail from the notary office.
    memberships = {m.organisation_id for m in web_session.scalars(
        select(Membership).where(Membership.user_id == director.id))}  # fmt: skip
    assert notary_client.id not in memberships
    [mail] = mails_to(web_session, DIRECTOR)
    assert mail["subject"] == (
        "Uitnodiging van Notariskantoor Lont & Lalmahomed in het klantenportaal"
    )
    assert "biedt u in het klantenportaal toegang tot J. de Vries" in mail["text"]

    client = web_app.test_client()
    login(client, DIRECTOR)
    home = text(client.get("/home"))
    assert "Notariskantoor Lont & Lalmahomed biedt u toegang tot J. de Vries (N-10231)." in home
    invitation = web_session.scalar(select(MembershipInvitation))
    # Another person cannot take it.
    stranger = web_app.test_client()
    login(stranger, "klant@example.nl")
    assert stranger.post(f"/invitations/{invitation.id}/accept").status_code == 404

    accepted = client.post(f"/invitations/{invitation.id}/accept")
    assert accepted.status_code == 302
    assert "U heeft nu toegang tot J. de Vries." in text(client.get("/home"))
    assert web_session.scalar(select(Membership.id).where(
        Membership.user_id == director.id,
        Membership.organisation_id == notary_client.id)) is not None  # fmt: skip
    assert "Uitnodiging aannemen" not in text(client.get("/home"))
    assert client.post(f"/invitations/{invitation.id}/accept").status_code == 404  # once


def test_a_declined_invitation_grants_nothing(web_app, login, office, web_session):
    notary_client = organisation(web_session, NOTARY_CLIENT)
    give_access(office, notary_client.id, DIRECTOR)
    client = web_app.test_client()
    login(client, DIRECTOR)
    invitation = web_session.scalar(select(MembershipInvitation))
    client.post(f"/invitations/{invitation.id}/decline")
    assert "De uitnodiging is afgewezen." in text(client.get("/home"))
    director = web_session.scalar(select(User).where(User.email == DIRECTOR))
    assert web_session.scalar(select(Membership.id).where(
        Membership.user_id == director.id,
        Membership.organisation_id == notary_client.id)) is None  # fmt: skip


def test_the_page_answers_unknown_client_and_staff_addresses_alike(office, web_session):
    notary_client = organisation(web_session, NOTARY_CLIENT)
    answers = {
        email: (response.status_code, answer_of(office, response))
        for email in ("niemand.nog@example.nl", DIRECTOR, MANAGER)
        for response in [give_access(office, notary_client.id, email)]
    }
    assert len(set(answers.values())) == 1, answers
    # Behind the same answer: a new account with its first mail; an invitation; for staff,
    # nothing but a mail saying why.
    new = web_session.scalar(select(User).where(User.email == "niemand.nog@example.nl"))
    assert new is not None and mails_to(web_session, "niemand.nog@example.nl")
    manager = web_session.scalar(select(User).where(User.email == MANAGER))
    assert web_session.scalar(select(Membership.id).where(Membership.user_id == manager.id)) is None
    [staff_mail] = mails_to(web_session, MANAGER)
    assert "hoort bij een medewerkersaccount" in staff_mail["text"]


def test_invitations_count_against_a_limit_and_the_form_stays(office, web_session, limits):
    limits(invitations_per_user=2)
    notary_client = organisation(web_session, NOTARY_CLIENT)
    for number in range(2):
        assert give_access(office, notary_client.id, f"p{number}@example.nl").status_code == 302
    refused = give_access(office, notary_client.id, "derde@example.nl", name="Derde Persoon")
    assert refused.status_code == 429
    assert "U heeft het maximum bereikt van 2 uitnodigingen per uur." in text(refused)
    assert 'value="derde@example.nl"' in refused.get_data(as_text=True)
    assert 'value="Derde Persoon"' in refused.get_data(as_text=True)
    assert web_session.scalar(select(User).where(User.email == "derde@example.nl")) is None


def test_declining_the_offer_that_reopened_an_account_closes_it_and_says_so(
    web_app, login, office, web_session
):
    from casemodel.services.memberships import remove_member

    notary_client = organisation(web_session, NOTARY_CLIENT)
    klant = web_session.scalar(select(User).where(User.email == "klant@example.nl"))
    staff = web_session.scalar(select(User).where(User.email == STAFF))
    for membership in web_session.scalars(select(Membership).where(Membership.user_id == klant.id)):
        remove_member(web_session, membership=membership, actor=staff)
    web_session.commit()
    assert give_access(office, notary_client.id, "klant@example.nl").status_code == 302  # reopened
    client = web_app.test_client()
    login(client, "klant@example.nl")
    invitation = web_session.scalar(select(MembershipInvitation))

    answer = client.post(f"/invitations/{invitation.id}/decline")

    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert "Uw account hoort nu bij geen enkele organisatie en is gesloten" in text(
        client.get("/login")
    )
    assert client.get("/home").headers["Location"].startswith("/login")
    web_session.expire_all()
    assert web_session.get(User, klant.id).closed_reason == "no_organisation"
