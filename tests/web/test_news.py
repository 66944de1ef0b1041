"""The office's news through the web, on SQLite and PostgreSQL: staff publish an item for all
clients or chosen ones from "Nieuws", clients see it on Home and under Nieuws in their language,
the news module is among the notification settings and decides who is mailed, bad input is
refused next to its field with what was typed kept, and offices are kept apart."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemodel.models import Membership, NewsItem, Notification, Office, User
from tests.web.page_text import text
from tests.web.test_beheer import BAKERY, CLIENT, DIRECTOR, STAFF, flashed, organisation, user


@pytest.fixture
def office(signed_in):
    return signed_in(STAFF)


def accountancy_id(session) -> int:
    return organisation(session, BAKERY).office_id


def news_told(session, email: str) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).join(User).where(
        User.email == email, Notification.kind == "news")))  # fmt: skip


def test_staff_publish_news_for_chosen_clients_who_see_it(office, signed_in, web_session):
    bakery = organisation(web_session, BAKERY)
    page = text(office.get(f"/office/news?office_id={bakery.office_id}"))
    assert "Nieuwsbericht publiceren" in page and "Bakkerij Van Dam B.V." in page
    done = office.post(f"/office/news?office_id={bakery.office_id}", data={
        "title": "Nieuwe tarieven 2027", "body": "Per 1 januari.\nBel ons gerust.",
        "audience": "chosen", "organisations": [str(bakery.id)],
    }, follow_redirects=True)  # fmt: skip
    assert "Het nieuwsbericht is gepubliceerd." in flashed(done)
    assert "Nieuwe tarieven 2027" in text(done) and "Bakkerij Van Dam B.V." in text(done)
    assert news_told(web_session, DIRECTOR)

    director = signed_in(DIRECTOR)
    home = director.get("/home").get_data(as_text=True)
    assert re.search(r'data-testid="news-tile".*Nieuwe tarieven 2027', home, flags=re.S)
    assert 'data-testid="nav-news"' in home
    listed = director.get("/news").get_data(as_text=True)
    item_id = int(re.search(r'href="/news/(\d+)"', listed)[1])
    shown = text(director.get(f"/news/{item_id}"))
    assert "Nieuwe tarieven 2027" in shown and "Per 1 januari. Bel ons gerust." in shown
    director.post("/language", data={"locale": "en"})
    assert "Publish" not in text(director.get("/news")) and "News" in text(director.get("/news"))

    # The notary office's client: another office, not chosen.
    client = signed_in(CLIENT)
    assert "Nieuwe tarieven 2027" not in text(client.get("/home"))
    assert "Uw kantoor heeft nog geen nieuws voor u." in text(client.get("/news"))
    assert client.get(f"/news/{item_id}").status_code == 404


def test_bad_news_is_refused_next_to_its_field_with_what_was_typed(office, web_session):
    office_id = accountancy_id(web_session)
    refused = office.post(f"/office/news?office_id={office_id}", data={
        "title": "", "body": "Tekst die blijft staan", "audience": "chosen",
    })  # fmt: skip
    assert refused.status_code == 422
    page = text(refused)
    assert "Geef het bericht een titel." in page
    assert "Kies ten minste één cliënt, of kies alle cliënten." in page
    assert "Tekst die blijft staan" in page
    kept = select(NewsItem.id).where(NewsItem.body == "Tekst die blijft staan")
    assert web_session.scalar(kept) is None
    office.post("/language", data={"locale": "en"})
    refused = office.post(f"/office/news?office_id={office_id}",
                          data={"title": "x", "body": "", "audience": "all"})  # fmt: skip
    assert "Write the text of the item." in text(refused)


def test_the_news_module_decides_who_is_mailed(office, signed_in, web_session):
    director = signed_in(DIRECTOR)
    page = text(director.get("/details"))
    assert "Het kantoor heeft nieuws gepubliceerd" in page
    bakery = organisation(web_session, BAKERY)
    form = {f"o{bakery.id}-documents": "y", f"o{bakery.id}-messages": "y"}  # news off
    director.post(f"/account/notifications/{bakery.id}", data=form)
    web_session.expire_all()
    membership = web_session.scalar(select(Membership).join(User).where(User.email == DIRECTOR))
    assert membership.notify_news is False
    office.post(f"/office/news?office_id={bakery.office_id}",
                data={"title": "Voor iedereen", "body": "Tekst", "audience": "all"})
    assert not news_told(web_session, DIRECTOR)
    assert "Voor iedereen" in text(director.get("/news"))  # seen all the same


def test_another_offices_staff_cannot_publish_or_withdraw(web_app, login, office, web_session):
    notary_office = web_session.scalar(select(Office.id).where(Office.kind == "notary"))
    accountancy = accountancy_id(web_session)
    assert notary_office != accountancy
    from casemodel.services.accounts import create_user
    from devtools.seed import DEMO_PASSWORD

    other = create_user(web_session, email="collega-accountant@example.nl", name="Collega",
                        role="staff", office_ids=[accountancy], password=DEMO_PASSWORD)
    other.mobile_number, other.second_factor = "+31612349999", "sms"
    web_session.commit()
    browser = web_app.test_client()
    login(browser, other.email)
    own_staff = user(web_session, STAFF)
    works_for_both = {o.id for o in own_staff.offices} >= {notary_office, accountancy}
    assert works_for_both  # the demo's staff member: the item below is of the notary office
    office.post(f"/office/news?office_id={notary_office}",
                data={"title": "Notarisnieuws", "body": "Tekst", "audience": "all"})
    item = web_session.scalar(select(NewsItem).where(NewsItem.title == "Notarisnieuws"))
    assert browser.get(f"/office/news?office_id={notary_office}").status_code == 404
    assert browser.post(f"/office/news?office_id={notary_office}",
                        data={"title": "x", "body": "y", "audience": "all"}).status_code == 404
    assert browser.post(f"/office/news/{item.id}/withdraw").status_code == 404
    assert "Notarisnieuws" not in text(browser.get("/office/news"))
    web_session.expire_all()
    assert web_session.get(NewsItem, item.id).withdrawn_at is None
    office.post(f"/office/news/{item.id}/withdraw?office_id={notary_office}")
    web_session.expire_all()
    assert web_session.get(NewsItem, item.id).withdrawn_at is not None


def publish_for_all(office, office_id: int, title: str, topic: str = ""):
    done = office.post(f"/office/news?office_id={office_id}", data={
        "title": title, "body": "Tekst", "audience": "all", "topic": topic})  # fmt: skip
    assert done.status_code == 302, text(done)


def test_staff_choose_a_topic_which_the_office_list_shows(office, web_session):
    office_id = accountancy_id(web_session)
    page = text(office.get(f"/office/news?office_id={office_id}"))
    assert "Onderwerp" in page and "Algemeen (voor iedereen)" in page and "Belastingen" in page
    publish_for_all(office, office_id, "Aangifte 2026", "belastingen")
    publish_for_all(office, office_id, "Kantoor gesloten")
    items = {i.title: i.topic for i in web_session.scalars(
        select(NewsItem).where(NewsItem.title.in_(["Aangifte 2026", "Kantoor gesloten"])))}
    assert items == {"Aangifte 2026": "belastingen", "Kantoor gesloten": None}
    listed = office.get(f"/office/news?office_id={office_id}").get_data(as_text=True)
    assert re.search(r"Aangifte 2026</td>\s*<td[^>]*>Belastingen</td>", listed)
    assert re.search(r"Kantoor gesloten</td>\s*<td[^>]*>Algemeen</td>", listed)
    refused = office.post(f"/office/news?office_id={office_id}", data={
        "title": "Voetbal", "body": "Tekst", "audience": "all", "topic": "voetbal"})  # fmt: skip
    assert refused.status_code == 422
    assert "Kies een onderwerp uit de lijst, of Algemeen." in text(refused)
    office.post("/language", data={"locale": "en"})
    page = text(office.get(f"/office/news?office_id={office_id}"))
    assert "Taxes" in page and "General" in page


def test_a_client_chooses_the_topics_they_want(office, signed_in, web_session):
    office_id = accountancy_id(web_session)
    publish_for_all(office, office_id, "Aangifte 2026", "belastingen")
    publish_for_all(office, office_id, "Nieuwe cao", "personeel")
    publish_for_all(office, office_id, "Kantoor gesloten")
    director = signed_in(DIRECTOR)
    page = director.get("/news").get_data(as_text=True)
    assert "Voorkeuren" in page and "Aangifte 2026" in page and "Nieuwe cao" in page
    assert not re.search(r"<input[^>]*checked", page)  # nothing chosen: all news

    saved = director.post("/news/interests", data={"topics": ["belastingen", "subsidies"]},
                          follow_redirects=True)  # fmt: skip
    assert "Uw voorkeuren zijn bewaard" in flashed(saved)
    page = saved.get_data(as_text=True)
    boxes = re.findall(r"<input[^>]*>", page)
    checked = [re.search(r'value="(\w+)"', box)[1] for box in boxes if "checked" in box]
    assert checked == ["belastingen", "subsidies"]
    shown = text(saved)
    assert "Aangifte 2026" in shown and "Kantoor gesloten" in shown and "Nieuwe cao" not in shown
    home = director.get("/home").get_data(as_text=True)
    assert "Aangifte 2026" in home and "Nieuwe cao" not in home
    # Not listed, not secret: its address still opens it.
    cao = web_session.scalar(select(NewsItem.id).where(NewsItem.title == "Nieuwe cao"))
    assert "Nieuwe cao" in text(director.get(f"/news/{cao}"))
    # Only members who want an item are mailed about it.
    before = len(news_told(web_session, DIRECTOR))
    publish_for_all(office, office_id, "Cao 2027", "personeel")
    assert len(news_told(web_session, DIRECTOR)) == before
    publish_for_all(office, office_id, "Belastingplan", "belastingen")
    assert len(news_told(web_session, DIRECTOR)) == before + 1

    refused = director.post("/news/interests", data={"topics": ["belastingen", "voetbal"]})
    assert refused.status_code == 422
    assert "Kies alleen onderwerpen uit de lijst." in text(refused)
    web_session.expire_all()
    assert user(web_session, DIRECTOR).news_topics == ["belastingen", "subsidies"]
    director.post("/language", data={"locale": "en"})
    refused = director.post("/news/interests", data={"topics": ["voetbal"]})
    assert "Choose only topics from the list." in text(refused)
    assert "Preferences" in text(director.get("/news"))

    cleared = director.post("/news/interests", data={}, follow_redirects=True)
    assert "you see all news" in flashed(cleared)
    assert "Nieuwe cao" in text(cleared)
