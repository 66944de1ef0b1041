"""What the pages show, in Dutch and in English, for clients, staff and strangers.

Every test runs on its own copy of the demo data (devtools/seed.py): klant@example.nl has two
home transfers at the notary office, directeur@example.nl three annual-accounts dossiers at the
accountancy firm, medewerker@example.nl works at both offices.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from casemodel.casetemplates import TemplateRegistry, parse_template
from casemodel.models import Dossier, HumanTask, Organisation, User
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.dossiers import mark_completed, open_dossier
from casemodel.services.steps import finish_step, open_human_task
from casemodel.stepkinds import kind_of
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.web import latest_sms_code
from tests.querycount import statements_during

CLIENT = "klant@example.nl"
DIRECTOR = "directeur@example.nl"
STAFF = "medewerker@example.nl"

TRANSFER_KEEP = "Levering Keizersgracht 12, Amsterdam"
TRANSFER_GARAGE = "Levering garagebox Prinsengracht 3a, Amsterdam"

BOTH = pytest.mark.parametrize("locale", ["nl", "en"])


def text(response) -> str:
    """The page as a person reads it: entities such as &#39; turned back into characters."""
    return html.unescape(response.get_data(as_text=True))


def by_testid(response, name: str) -> str:
    match = re.search(rf'data-testid="{name}">([^<]*)<', response.get_data(as_text=True))
    assert match, f"no data-testid={name!r} on the page"
    return match.group(1).strip()


def speak(client, locale: str) -> None:
    response = client.post("/language", data={"locale": locale})
    assert response.status_code == 302


def tr(locale: str, nl: str, en: str) -> str:
    return en if locale == "en" else nl


def dossier_by_description(session, description: str) -> Dossier:
    return session.scalar(select(Dossier).where(Dossier.description == description))


def staff_member(session) -> User:
    return session.scalar(select(User).where(User.email == STAFF))


# --- signing in ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/home", "/dossiers", "/dossiers/1", "/details", "/office/", "/office/tasks"]
)
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@BOTH
def test_a_wrong_password_gets_the_same_answer_as_an_unknown_email(client, locale):
    speak(client, locale)
    message = tr(
        locale,
        "Het e-mailadres of wachtwoord is onjuist.",
        "The e-mail address or password is incorrect.",
    )

    wrong_password = client.post("/login", data={"email": CLIENT, "password": "geraden"})
    unknown_email = client.post(
        "/login", data={"email": "niemand@example.nl", "password": "geraden"}
    )

    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert message in text(response)
    assert client.get("/home").status_code == 302  # still not logged in


def test_each_role_lands_on_its_own_start_page(client, login):
    login(client, CLIENT)
    assert client.get("/").headers["Location"] == "/home"

    staff = client.application.test_client()
    login(staff, STAFF)
    assert staff.get("/").headers["Location"] == "/office/"
    assert staff.get("/home").headers["Location"] == "/office/"


# --- Home ---------------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    "email, in_progress, total, approvals", [(CLIENT, 2, 2, 0), (DIRECTOR, 3, 3, 1)]
)
def test_home_tiles_count_the_clients_dossiers(
    client, login, locale, email, in_progress, total, approvals
):
    login(client, email)
    speak(client, locale)

    response = client.get("/home")

    assert response.status_code == 200
    assert by_testid(response, "dossiers-in-progress") == str(in_progress)
    assert by_testid(response, "dossiers-total") == str(total)
    # The demo's 2024 accounts wait for the director's approval: one action, one approval.
    assert by_testid(response, "actions") == str(approvals)
    assert by_testid(response, "approvals-waiting") == str(approvals)
    page = text(response)
    assert f'<html lang="{locale}">' in page
    for words in (
        tr(locale, "in behandeling", "in progress"),
        tr(locale, "in totaal", "in total"),
        tr(locale, "Acties", "Actions"),
        tr(locale, "Accordering", "Approvals"),
        tr(
            locale,
            "U hoeft op dit moment niets te doen.",
            "There is nothing for you to do at the moment.",
        ) if not approvals else tr(
            locale,
            "document wacht op uw akkoord",
            "document is waiting for your approval",
        ),
        tr(locale, "Mijn gegevens", "My details"),
        tr(
            locale,
            "Taal, 2-staps verificatie en meldingen",
            "Language, two-step verification and notifications",
        ),
    ):
        assert words in page


@BOTH
@pytest.mark.parametrize("open_tasks", [1, 2])
def test_the_actions_tile_counts_open_client_tasks_with_the_right_plural(
    client, login, web_session, locale, open_tasks
):
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    # The client's steps (a questionnaire, an upload request) opened as the run opens them.
    for step in [s for s in dossier.steps if kind_of(s.kind).audience == "client"][:open_tasks]:
        kind_of(step.kind).start(web_session, dossier_id=dossier.id, step_key=step.key)
    web_session.commit()
    login(client, CLIENT)
    speak(client, locale)

    response = client.get("/home")

    assert by_testid(response, "actions") == str(open_tasks)
    singular, plural = (
        tr(locale, "openstaande actie", "open action"),
        tr(locale, "openstaande acties", "open actions"),
    )
    assert (singular if open_tasks == 1 else plural) in text(response)
    assert (plural if open_tasks == 1 else "nothing") not in text(response)


# --- the dossier list ---------------------------------------------------------------------------


@BOTH
def test_the_dossier_list_shows_the_clients_dossiers_only(client, login, web_session, locale):
    login(client, CLIENT)
    speak(client, locale)

    response = client.get("/dossiers")

    page = text(response)
    assert response.status_code == 200
    for description in (TRANSFER_KEEP, TRANSFER_GARAGE):
        assert description in page
        assert dossier_by_description(web_session, description).number in page
    assert "Jaarrekening" not in page  # the director's
    assert page.count("(0/11)") == 2
    assert (
        tr(
            locale,
            "Zoek op omschrijving of dossiernummer",
            "Search by description or dossier number",
        )
        in page
    )
    assert tr(locale, "In behandeling", "In progress") in page


@BOTH
def test_searching_by_number_and_by_description(client, login, web_session, locale):
    login(client, CLIENT)
    speak(client, locale)
    keep = dossier_by_description(web_session, TRANSFER_KEEP)

    by_number = text(client.get("/dossiers", query_string={"q": keep.number}))
    by_description = text(client.get("/dossiers", query_string={"q": "garagebox"}))
    nothing = client.get("/dossiers", query_string={"q": "Herengracht"})

    assert TRANSFER_KEEP in by_number and TRANSFER_GARAGE not in by_number
    assert TRANSFER_GARAGE in by_description and TRANSFER_KEEP not in by_description
    assert nothing.status_code == 200
    assert tr(
        locale, "Geen dossiers gevonden die hieraan voldoen.", "No dossiers match your search."
    ) in text(nothing)


@BOTH
def test_the_status_filter_is_offered_only_with_more_than_one_status(
    client, login, web_session, locale
):
    login(client, CLIENT)
    speak(client, locale)
    legend = tr(locale, "Filter op status", "Filter by status")
    assert legend not in text(client.get("/dossiers"))

    mark_completed(web_session, dossier=dossier_by_description(web_session, TRANSFER_GARAGE))
    web_session.commit()

    page = text(client.get("/dossiers"))
    assert legend in page
    assert 'name="status" value="open"' in page and 'name="status" value="completed"' in page
    assert tr(locale, "Afgerond", "Completed") in page
    completed = text(client.get("/dossiers", query_string={"status": "completed"}))
    assert TRANSFER_GARAGE in completed and TRANSFER_KEEP not in completed
    home = client.get("/home")
    assert (by_testid(home, "dossiers-in-progress"), by_testid(home, "dossiers-total")) == (
        "1",
        "2",
    )


def test_a_client_with_one_dossier_goes_straight_to_it(client, login, web_session):
    staff = staff_member(web_session)
    notary = dossier_by_description(web_session, TRANSFER_KEEP).office
    organisation = Organisation(
        client_number="N-99001", name="P. Jansen", kind="person", office_id=notary.id
    )
    web_session.add(organisation)
    web_session.flush()
    user = create_user(
        web_session, email="jansen@example.nl", name="Piet Jansen", password="Lang-genoeg-2026!"
    )
    user.mobile_number, user.second_factor = "+31612349999", "sms"
    add_membership(web_session, user=user, organisation=organisation)
    dossier = open_dossier(
        web_session,
        template=TemplateRegistry.from_folder().latest("levering-woning"),
        organisation_id=organisation.id,
        description="Levering Herengracht 100, Amsterdam",
        actor=staff,
    )
    web_session.commit()
    login(client, "jansen@example.nl", "Lang-genoeg-2026!")

    response = client.get("/dossiers")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/dossiers/{dossier.id}"
    assert "Levering Herengracht 100, Amsterdam" in text(client.get(response.headers["Location"]))
    # A search is a search, even with one result: it lists it rather than jumping.
    assert client.get("/dossiers", query_string={"q": "Herengracht"}).status_code == 200


# --- one dossier and its progress ---------------------------------------------------------------


def progress_details(response) -> str:
    match = re.search(r"<details[^>]*class=\"progress[^>]*>", response.get_data(as_text=True))
    assert match, "no <details> progress block"
    return match.group(0)


@BOTH
def test_the_dossier_page_shows_progress_collapsed(client, login, web_session, locale):
    login(client, CLIENT)
    speak(client, locale)
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)

    response = client.get(f"/dossiers/{dossier.id}")

    page = text(response)
    assert response.status_code == 200
    assert TRANSFER_KEEP in page and dossier.number in page
    assert tr(locale, "Voortgang (0/11)", "Progress (0/11)") in re.sub(r"<[^>]+>", "", page)
    assert by_testid(response, "progress-counter") == "(0/11)"
    assert " open" not in progress_details(response)
    assert tr(locale, "Intake en opdrachtbevestiging", "Intake and engagement letter") in page
    assert tr(locale, "Nog niet begonnen", "Not started yet") in page
    assert tr(locale, "Behandelaar", "Handler") in page and "Sanne Jansen" in page
    # Steps that do not count toward progress are not listed to the client.
    assert tr(locale, "Controle planning", "Planning check") not in page
    # The block the page polls is the same block (the script keeps it open or closed as the
    # reader has it; the browser tier clicks it open).
    polled = client.get(f"/dossiers/{dossier.id}/progress")
    assert progress_details(polled) == progress_details(response)
    assert tr(locale, "Voortgang", "Progress") + " " in text(polled)


@BOTH
def test_a_template_without_progress_steps_shows_zero_of_zero(client, login, web_session, locale):
    empty = parse_template(
        {
            "key": "zonder-stappen",
            "version": 1,
            "office_kind": "notary",
            "title": {"nl": "Zonder stappen", "en": "Without steps"},
            "steps": [],
        }
    )
    organisation_id = dossier_by_description(web_session, TRANSFER_KEEP).organisation_id
    dossier = open_dossier(
        web_session,
        template=empty,
        organisation_id=organisation_id,
        description="Losse vraag over erfpacht",
        actor=staff_member(web_session),
    )
    web_session.commit()
    login(client, CLIENT)
    speak(client, locale)

    response = client.get(f"/dossiers/{dossier.id}")

    assert by_testid(response, "progress-counter") == "(0/0)"
    assert " open" not in progress_details(response)
    assert tr(
        locale,
        "Voor dit dossier is geen voortgangslijst beschikbaar.",
        "No progress list is available for this dossier.",
    ) in text(response)


def test_the_progress_counter_moves_when_a_step_is_finished(client, login, web_session):
    login(client, CLIENT)
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)

    finish_step(web_session, dossier_id=dossier.id, step_key="intake")
    web_session.commit()
    assert by_testid(client.get(f"/dossiers/{dossier.id}"), "progress-counter") == "(1/11)"

    finish_step(web_session, dossier_id=dossier.id, step_key="dates-check")  # does not count
    finish_step(web_session, dossier_id=dossier.id, step_key="registers")
    web_session.commit()
    response = client.get(f"/dossiers/{dossier.id}/progress")
    assert by_testid(response, "progress-counter") == "(2/11)"
    assert "Afgerond" in text(response)
    assert "(2/11)" in text(client.get("/dossiers"))


@pytest.mark.parametrize("suffix", ["", "/progress"])
def test_another_organisations_dossier_is_not_found(client, login, web_session, suffix):
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    login(client, DIRECTOR)

    response = client.get(f"/dossiers/{dossier.id}{suffix}")

    assert response.status_code == 404
    assert TRANSFER_KEEP not in text(response)
    assert dossier.number not in text(response)


@pytest.mark.parametrize("path", ["/office/", "/office/tasks", "/office/dossiers/new"])
def test_clients_do_not_see_office_pages(client, login, path):
    login(client, CLIENT)

    response = client.get(path)

    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in text(response)


@BOTH
def test_the_not_found_page_is_friendly(client, locale):
    speak(client, locale)

    response = client.get("/bestaat-niet")

    page = text(response)
    assert response.status_code == 404
    assert f'<html lang="{locale}">' in page
    assert tr(locale, "Deze pagina bestaat niet", "This page does not exist") in page
    assert (
        tr(
            locale,
            "De pagina die u zoekt bestaat niet, of u heeft er geen toegang toe.",
            "The page you are looking for does not exist, or you do not have access to it.",
        )
        in page
    )
    assert tr(locale, "Terug naar Home", "Back to Home") in page


def test_the_chosen_language_sticks_to_the_account(client, login):
    login(client, CLIENT)
    speak(client, "en")
    client.post("/logout")

    login(client, CLIENT)

    assert "My details" in text(client.get("/home"))


def test_the_language_chosen_on_the_login_page_stays_after_login(client, login):
    speak(client, "en")
    assert "Log in" in text(client.get("/login"))

    login(client, CLIENT)

    assert "My details" in text(client.get("/home"))


def test_after_login_the_client_lands_on_the_page_they_asked_for(client, login, web_session):
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    asked = client.get(f"/dossiers/{dossier.id}")
    login_url = asked.headers["Location"]

    response = client.post(login_url, data={"email": CLIENT, "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/login/code"
    response = client.post("/login/code", data={"code": latest_sms_code(CLIENT)})
    # The notary office does not offer the authenticator after an SMS login: straight there.
    assert response.headers["Location"] == f"/dossiers/{dossier.id}"


def test_after_the_authenticator_offer_later_leads_to_the_page_asked_for(client, web_session):
    asked = client.get("/archive")
    response = client.post(asked.headers["Location"],
                           data={"email": DIRECTOR, "password": DEMO_PASSWORD})  # fmt: skip
    response = client.post("/login/code", data={"code": latest_sms_code(DIRECTOR)})
    # The accountancy office offers the authenticator first; "later" leads on to the page asked.
    assert response.headers["Location"] == "/login/authenticator"
    offer = client.get("/login/authenticator").text
    later = re.search(r'href="([^"]+)" data-testid="authenticator-later"', offer)[1]
    assert later == "/archive"


# --- the office ---------------------------------------------------------------------------------


@BOTH
def test_the_office_list_shows_each_dossiers_current_step(client, login, web_session, locale):
    keep = dossier_by_description(web_session, TRANSFER_KEEP)
    finish_step(web_session, dossier_id=keep.id, step_key="intake")
    web_session.commit()
    login(client, STAFF)
    speak(client, locale)

    response = client.get("/office/")

    page = text(response)
    assert response.status_code == 200
    assert len(re.findall(r'href="/office/dossiers/\d+"', page)) == 5  # both offices' dossiers
    assert tr(locale, "Huidige stap", "Current step") in page
    assert tr(locale, "Vragenlijst koper", "Buyer's questionnaire") in page
    assert tr(locale, "Intake en opdrachtbevestiging", "Intake and engagement letter") in page
    assert tr(locale, "Opdrachtbevestiging", "Engagement letter") in page
    assert "Bakkerij Van Dam B.V." in page and "J. de Vries" in page
    assert "(1/11)" in page and "(0/12)" in page


def test_staff_see_only_the_offices_they_work_for(web_app, client, login, web_session):
    """The demo's staff member works for both offices; with one membership left she sees that
    office's dossiers, clients, messages and archive, and with none, nothing at all."""
    from sqlalchemy import delete

    from casemodel.models import Office, OfficeMembership

    staff = web_session.scalar(select(User).where(User.email == STAFF))
    accountancy = web_session.scalar(select(Office).where(Office.kind == "accountancy"))
    annual = web_session.scalar(select(Dossier).where(Dossier.office_id == accountancy.id))
    keep = dossier_by_description(web_session, TRANSFER_KEEP)
    login(client, STAFF)
    assert client.get(f"/office/dossiers/{annual.id}").status_code == 200

    web_session.execute(delete(OfficeMembership).where(
        OfficeMembership.user_id == staff.id, OfficeMembership.office_id == accountancy.id))
    web_session.commit()  # fmt: skip
    listed = client.get("/office/?status=all").text
    assert len(re.findall(r'href="/office/dossiers/\d+"', listed)) == 2  # the notary's two
    assert client.get(f"/office/dossiers/{annual.id}").status_code == 404
    assert "Bakkerij Van Dam" not in text(client.get("/office/messages"))
    assert "Bakkerij Van Dam" not in text(client.get("/office/dossiers/new"))

    web_session.execute(delete(OfficeMembership).where(OfficeMembership.user_id == staff.id))
    web_session.commit()
    assert "Geen dossiers gevonden." in text(client.get("/office/?status=all"))
    assert client.get(f"/office/dossiers/{keep.id}").status_code == 404
    assert client.get(f"/dossiers/{keep.id}/messages/new").status_code == 404
    assert "Er staan geen stappen voor u open." in text(client.get("/office/tasks?all=1"))
    assert "Geen berichten." in text(client.get("/office/messages"))
    assert "Geen bestanden gevonden." in text(client.get("/office/archive"))


def test_staff_open_a_dossier_through_the_form(client, login, web_session):
    organisation_id = dossier_by_description(web_session, TRANSFER_KEEP).organisation_id
    login(client, STAFF)
    form = text(client.get("/office/dossiers/new"))
    assert "J. de Vries (N-10231)" in form and "Levering woning (v3)" in form

    response = client.post(
        "/office/dossiers/new",
        data={
            "organisation_id": organisation_id,
            "template_key": "levering-woning",
            "description": "Levering Herengracht 100, Amsterdam",
        },
    )

    assert response.status_code == 302
    opened = dossier_by_description(web_session, "Levering Herengracht 100, Amsterdam")
    assert response.headers["Location"] == f"/office/dossiers/{opened.id}"
    page = text(client.get(response.headers["Location"]))
    assert f"Dossier {opened.number} is geopend." in page
    assert "(0/11)" in page
    # Each step's kind in words, not the template's key.
    assert "Taak kantoor" in page and "Bestanden opvragen" in page and "Publiceren" in page
    raw = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-label="Soort">Vragenlijst</td>' in raw
    assert "staff_task" not in page and "upload_request" not in page
    listed = text(client.get("/office/", query_string={"q": "Herengracht"}))
    assert opened.number in listed and "Intake en opdrachtbevestiging" in listed
    klant = client.application.test_client()
    login(klant, CLIENT)
    assert by_testid(klant.get("/home"), "dossiers-total") == "3"


@BOTH
def test_a_case_type_of_another_kind_of_office_is_refused(client, login, web_session, locale):
    organisation_id = dossier_by_description(web_session, TRANSFER_KEEP).organisation_id
    login(client, STAFF)
    speak(client, locale)

    response = client.post(
        "/office/dossiers/new",
        data={
            "organisation_id": organisation_id,
            "template_key": "jaarrekening-ib",
            "description": "Jaarrekening voor een particulier",
        },
    )

    assert response.status_code == 422  # refused by the service: the form again, with why
    assert tr(
        locale,
        "Dit zaaktype hoort niet bij het kantoor van deze cliënt.",
        "This case type does not belong to this client's office.",
    ) in text(response)
    assert dossier_by_description(web_session, "Jaarrekening voor een particulier") is None


@BOTH
def test_my_steps_lists_an_open_task_and_completing_it_moves_the_clients_counter(
    client, login, web_session, locale
):
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    task = open_human_task(web_session, dossier_id=dossier.id, step_key="intake")
    web_session.commit()
    login(client, STAFF)
    speak(client, locale)

    tasks = text(client.get("/office/tasks"))
    assert f'data-task="{task.id}"' in tasks
    assert dossier.number in tasks and TRANSFER_KEEP in tasks
    assert tr(locale, "Intake en opdrachtbevestiging", "Intake and engagement letter") in tasks
    assert (
        tr(
            locale,
            "Koopovereenkomst ontvangen, partijen identificeren",
            "Receive the purchase agreement, identify the parties",
        )
        in tasks
    )

    response = client.post(f"/office/tasks/{task.id}/complete")

    assert response.status_code == 302 and response.headers["Location"] == "/office/tasks"
    after = text(client.get("/office/tasks"))
    assert (
        tr(
            locale,
            "Stap 'Intake en opdrachtbevestiging' is afgerond.",
            "Step 'Intake and engagement letter' has been completed.",
        )
        in after
    )
    assert f'data-task="{task.id}"' not in after
    klant = client.application.test_client()
    login(klant, CLIENT)
    assert by_testid(klant.get(f"/dossiers/{dossier.id}"), "progress-counter") == "(1/11)"


@BOTH
def test_a_step_that_asks_for_a_date_is_not_completed_without_one(
    client, login, web_session, locale
):
    dossier = dossier_by_description(web_session, TRANSFER_KEEP)
    task = open_human_task(web_session, dossier_id=dossier.id, step_key="appointment")
    web_session.commit()
    login(client, STAFF)
    speak(client, locale)
    assert 'name="key_date"' in text(client.get("/office/tasks"))

    refused = client.post(
        f"/office/tasks/{task.id}/complete", data={"back": "dossier"}, follow_redirects=True
    )

    page = text(refused)
    assert tr(locale, "Deze stap vraagt om een datum.", "This step needs a date.") in page
    assert "(0/11)" in page
    web_session.expire_all()
    assert web_session.get(HumanTask, task.id).state == "open"

    signing = dt.date(2026, 12, 15)
    done = client.post(
        f"/office/tasks/{task.id}/complete",
        data={"back": "dossier", "key_date": signing.isoformat()},
        follow_redirects=True,
    )

    page = text(done)
    assert "2026-12-15" in page and "(1/11)" in page
    web_session.expire_all()
    assert web_session.get(HumanTask, task.id).state == "done"
    assert web_session.get(Dossier, dossier.id).key_dates == {"signing": "2026-12-15"}


def test_the_office_list_costs_as_many_queries_for_ten_clients_as_for_one(
    client, login, web_session
):
    login(client, STAFF)

    def statements() -> int:
        return statements_during(lambda: client.get("/office/"))

    before = statements()
    staff = staff_member(web_session)
    template = TemplateRegistry.from_folder().latest("levering-woning")
    office_id = dossier_by_description(web_session, TRANSFER_KEEP).office.id
    for number in range(10):
        organisation = Organisation(office_id=office_id, client_number=f"Q-{number}",
                                    name=f"Cliënt {number}", kind="person")  # fmt: skip
        web_session.add(organisation)
        web_session.flush()
        open_dossier(web_session, template=template, organisation_id=organisation.id,
                     description=f"Levering {number}", actor=staff)  # fmt: skip
    web_session.commit()
    page = text(client.get("/office/"))
    assert "Cliënt 9" in page and "Cliënt 0" in page
    assert statements() == before
