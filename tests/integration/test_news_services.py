"""The office's news (issue 17, the "news" notification module), on both backends: an item for
all the office's clients or chosen organisations, seen by their members only, told by mail to
those whose news module is on, withdrawn, refused when empty, and offices kept apart; news by
interest: an item's topic, a person's chosen topics filtering what is listed and mailed
(nothing chosen: all news)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemodel.models import Membership, NewsItem, Notification, Organisation, OutboxMessage
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.errors import NotFound
from casemodel.services.memberships import set_notifications
from casemodel.services.news import (
    InvalidNews,
    UnknownNewsTopics,
    get_news_for,
    news_for,
    publish_news,
    set_news_interests,
    withdraw_news,
)
from casemodel.services.notifications import send_digest


def seen(session, user, organisation) -> list[str]:
    return [item.title for item in session.scalars(news_for(session, user, organisation.id))]


def told(session, user) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "news")))  # fmt: skip


@pytest.fixture
def second_client(session, firm) -> tuple[Organisation, object]:
    """Another client organisation of the same office, with a member of its own."""
    organisation = Organisation(office_id=firm.office.id, client_number="C-a2", kind="company",
                                name="Tweede B.V.")  # fmt: skip
    session.add(organisation)
    session.flush()
    member = create_user(session, email="tweede@example.nl", name="Tweede", locale="en")
    add_membership(session, user=member, organisation=organisation)
    return organisation, member


def test_news_for_all_clients_reaches_every_member_and_mails_those_who_want_it(
    session, firm, other_firm, second_client
):
    organisation, member = second_client
    quiet = create_user(session, email="stil@example.nl", name="Stil")
    membership = add_membership(session, user=quiet, organisation=firm.organisation)
    set_notifications(session, membership=membership, actor=quiet,
                      modules={"documents": True, "news": False})  # fmt: skip
    item = publish_news(session, office_id=firm.office.id, title=" Nieuwe  tarieven ",
                        body="Per 1 januari gelden nieuwe tarieven.\\n\\nZie de bijlage.",
                        organisation_ids=None, actor=firm.staff)  # fmt: skip
    assert item.title == "Nieuwe tarieven" and item.for_all_clients
    for user, org in ((firm.client, firm.organisation), (quiet, firm.organisation),
                      (member, organisation)):  # fmt: skip
        assert seen(session, user, org) == ["Nieuwe tarieven"]
    assert [n.organisation_id for n in told(session, firm.client)] == [firm.organisation.id]
    assert told(session, member) and not told(session, quiet)  # the module is off
    # Another office's client sees nothing of it, and the staff are not told.
    assert seen(session, other_firm.client, other_firm.organisation) == []
    assert seen(session, other_firm.client, firm.organisation) == []  # not a member
    assert not told(session, other_firm.client) and not told(session, firm.staff)
    # The batched mail names it, in each person's language, with a link to the news page.
    assert send_digest(session, member.id)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_mail")
                           .order_by(OutboxMessage.id.desc())).first().payload  # fmt: skip
    assert mail["to"] == "tweede@example.nl"
    assert "1 news item from your office" in mail["text"] and "/news" in mail["text"]
    assert send_digest(session, firm.client.id)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_mail")
                           .order_by(OutboxMessage.id.desc())).first().payload  # fmt: skip
    assert "1 nieuwsbericht van uw kantoor" in mail["text"]


def test_news_for_chosen_organisations_stays_with_them(session, firm, second_client):
    organisation, member = second_client
    item = publish_news(session, office_id=firm.office.id, title="Alleen voor de B.V.",
                        body="Tekst", organisation_ids=[organisation.id],
                        actor=firm.manager)  # fmt: skip
    assert [o.id for o in item.audience] == [organisation.id]
    assert seen(session, member, organisation) == ["Alleen voor de B.V."]
    assert seen(session, firm.client, firm.organisation) == []
    assert not told(session, firm.client) and told(session, member)
    with pytest.raises(NotFound):
        get_news_for(session, item.id, firm.client, firm.organisation.id)
    assert get_news_for(session, item.id, member, organisation.id) is item


def test_a_withdrawn_item_is_no_longer_seen(session, firm):
    item = publish_news(session, office_id=firm.office.id, title="Vergissing", body="x",
                        organisation_ids=None, actor=firm.staff)  # fmt: skip
    withdraw_news(session, news_item_id=item.id, actor=firm.staff)
    assert seen(session, firm.client, firm.organisation) == []
    assert item.withdrawn_at is not None
    with pytest.raises(NotFound):
        withdraw_news(session, news_item_id=item.id, actor=firm.staff)


def test_offices_are_kept_apart(session, firm, other_firm):
    with pytest.raises(NotFound):  # not their office
        publish_news(session, office_id=firm.office.id, title="x", body="y",
                     organisation_ids=None, actor=other_firm.staff)  # fmt: skip
    with pytest.raises(NotFound):  # another office's client in their own office's item
        publish_news(session, office_id=other_firm.office.id, title="x", body="y",
                     organisation_ids=[firm.organisation.id], actor=other_firm.staff)
    with pytest.raises(NotFound):  # a client is no office
        publish_news(session, office_id=firm.office.id, title="x", body="y",
                     organisation_ids=None, actor=firm.client)  # fmt: skip
    item = publish_news(session, office_id=firm.office.id, title="Eigen", body="y",
                        organisation_ids=None, actor=firm.staff)  # fmt: skip
    with pytest.raises(NotFound):
        withdraw_news(session, news_item_id=item.id, actor=other_firm.staff)
    assert session.scalar(select(NewsItem.withdrawn_at).where(NewsItem.id == item.id)) is None


def test_bad_input_publishes_nothing(session, firm):
    with pytest.raises(InvalidNews) as refused:
        publish_news(session, office_id=firm.office.id, title="  ", body="x" * 10_001,
                     organisation_ids=[], actor=firm.staff)  # fmt: skip
    assert refused.value.problems == {"title": "title_required", "body": "body_too_long",
                                      "audience": "audience_required"}  # fmt: skip
    assert session.scalar(select(NewsItem.id)) is None
    assert not told(session, firm.client)


def test_the_news_module_is_a_membership_setting(session, firm):
    membership = session.scalar(select(Membership).where(Membership.user_id == firm.client.id))
    assert membership.notify_news is True  # on, as the other modules start


def publish(session, firm, title: str, topic: str | None):
    return publish_news(session, office_id=firm.office.id, title=title, body="Tekst",
                        organisation_ids=None, actor=firm.staff, topic=topic)  # fmt: skip


def test_no_interests_chosen_is_all_news(session, firm):
    assert firm.client.news_topics == []  # the default: nothing changes for anyone
    publish(session, firm, "Algemeen", None)
    publish(session, firm, "Over belastingen", "belastingen")
    publish(session, firm, "Over personeel", "personeel")
    listed = seen(session, firm.client, firm.organisation)
    assert listed == ["Over personeel", "Over belastingen", "Algemeen"]
    assert len(told(session, firm.client)) == 3


def test_interests_filter_what_is_listed_but_an_item_still_opens(session, firm):
    general = publish(session, firm, "Algemeen", None)
    taxes = publish(session, firm, "Over belastingen", "belastingen")
    staff = publish(session, firm, "Over personeel", "personeel")
    set_news_interests(session, user=firm.client, topics=["subsidies", "belastingen"])
    assert firm.client.news_topics == ["belastingen", "subsidies"]  # the list's order
    assert seen(session, firm.client, firm.organisation) == ["Over belastingen", "Algemeen"]
    assert {general.topic, taxes.topic, staff.topic} == {None, "belastingen", "personeel"}
    # Not listed, not secret: a link to it (an older mail, a colleague) still opens it.
    assert get_news_for(session, staff.id, firm.client, firm.organisation.id) is staff
    set_news_interests(session, user=firm.client, topics=[])  # back to all news
    assert len(seen(session, firm.client, firm.organisation)) == 3


def test_the_news_mail_follows_interests(session, firm, second_client):
    organisation, member = second_client
    set_news_interests(session, user=firm.client, topics=["personeel"])
    publish(session, firm, "Over belastingen", "belastingen")
    assert not told(session, firm.client) and told(session, member)  # member: all news
    publish(session, firm, "Over personeel", "personeel")
    assert len(told(session, firm.client)) == 1
    publish(session, firm, "Algemeen", None)  # general news: to everyone, as before
    assert len(told(session, firm.client)) == 2 and len(told(session, member)) == 3


def test_unknown_topics_are_refused_and_nothing_is_saved(session, firm):
    set_news_interests(session, user=firm.client, topics=["juridisch"])
    with pytest.raises(UnknownNewsTopics) as refused:
        set_news_interests(session, user=firm.client, topics=["belastingen", "voetbal"])
    assert refused.value.keys == ["voetbal"]
    assert firm.client.news_topics == ["juridisch"]
    with pytest.raises(InvalidNews) as refused:
        publish(session, firm, "Over voetbal", "voetbal")
    assert refused.value.problems == {"topic": "topic_unknown"}
    assert session.scalar(select(NewsItem.id)) is None
    assert publish(session, firm, "Algemeen", "").topic is None  # the form's "Algemeen"
