"""The office's news for its clients (accountancy manual, "Actueel"; the Home page's "Nieuws"
widget): staff of an office publish an item for all the office's client organisations or for
chosen ones, and may withdraw it. Every member of such an organisation sees it; those whose
news module is on (Membership.notify_news) are told by the batched notification mail. An
office's news never reaches another office's clients, and staff only publish for their own
offices' organisations.

News by interest ("Onder 'Meer' kunt u uw voorkeuren opgeven, zodat u alleen het nieuws van uw
interesse getoond krijgt"): an item may be about one topic (casemodel.news_topics), and a person
may choose the topics they want (User.news_topics). Nothing chosen is all news; with topics
chosen a person sees, and is mailed, general items and items of those topics only. An item of
another topic still opens by its address (get_news_for): the choice filters, it does not hide.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.models import Membership, NewsItem, Office, Organisation, User
from casemodel.models.news import news_audience
from casemodel.news_topics import NEWS_TOPICS, TOPIC_KEYS
from casemodel.services.audit import record_event
from casemodel.services.errors import DomainError, NotFound
from casemodel.services.notifications import notify

MAX_TITLE = 200
MAX_BODY = 10_000


class InvalidNews(DomainError):
    """A news item that cannot be published; `problems` by field: "title_required",
    "title_too_long", "body_required", "body_too_long", "audience_required", "topic_unknown"."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(f"{field}: {code}" for field, code in problems.items()))
        self.problems = problems


class UnknownNewsTopics(DomainError):
    """News interests with keys that are no topic (casemodel.news_topics); nothing is saved."""

    def __init__(self, keys: Iterable[str]):
        self.keys = sorted(set(keys))
        super().__init__(f"unknown news topics: {self.keys}")


def publish_news(
    session: Session, *, office_id: int, title: str, body: str,
    organisation_ids: Iterable[int] | None, actor: User, topic: str | None = None,
) -> NewsItem:  # fmt: skip
    """Publish a news item of the office, for all its clients (organisation_ids None) or for
    those organisations, about a topic (a casemodel.news_topics key) or general (None), and
    tell their members whose news module is on and whose interests take it in (wants_news).

    Raises:
        NotFound: the actor is not staff of the office, or an organisation is not its client.
        InvalidNews: an empty or too long title or text, an empty chosen audience, or an
            unknown topic (nothing is published).
    """
    office = session.get(Office, office_id)
    if office is None or not actor.works_for(office_id):
        raise NotFound(f"office {office_id}")
    title, body = " ".join(title.split()), body.strip()
    problems = {}
    if not title:
        problems["title"] = "title_required"
    elif len(title) > MAX_TITLE:
        problems["title"] = "title_too_long"
    if not body:
        problems["body"] = "body_required"
    elif len(body) > MAX_BODY:
        problems["body"] = "body_too_long"
    topic = topic or None
    if topic is not None and topic not in TOPIC_KEYS:
        problems["topic"] = "topic_unknown"
    audience: list[Organisation] = []
    if organisation_ids is not None:
        wanted = set(organisation_ids)
        audience = list(session.scalars(select(Organisation).where(
            Organisation.id.in_(wanted), Organisation.office_id == office_id)))  # fmt: skip
        if len(audience) != len(wanted):
            raise NotFound(f"organisations {sorted(wanted)} of office {office_id}")
        if not audience:
            problems["audience"] = "audience_required"
    if problems:
        raise InvalidNews(problems)
    item = NewsItem(office_id=office_id, title=title, body=body, audience=audience,
                    for_all_clients=organisation_ids is None, topic=topic, published_by_id=actor.id,
                    published_at=utcnow())  # fmt: skip
    session.add(item)
    session.flush()
    told = 0
    for organisation_id, members in _members_by_organisation(session, item).items():
        told += notify(session, users=members, kind="news", organisation_id=organisation_id)
    record_event(
        session, action="news.published", actor=actor,
        detail={"news_item_id": item.id, "office_id": office_id,
                "organisation_ids": None if item.for_all_clients else sorted(
                    o.id for o in audience), "topic": topic, "told": told},
    )  # fmt: skip
    return item


def withdraw_news(session: Session, *, news_item_id: int, actor: User) -> None:
    """Take a published item back: clients no longer see it (mails already sent stay sent).

    Raises:
        NotFound: not an item of the actor's offices, or withdrawn already.
    """
    item = get_news_for_office(session, news_item_id, actor)
    if item.withdrawn_at is not None:
        raise NotFound(f"news item {news_item_id}")
    item.withdrawn_at = utcnow()
    session.flush()
    record_event(session, action="news.withdrawn", actor=actor,
                 detail={"news_item_id": item.id})  # fmt: skip


def get_news_for_office(session: Session, news_item_id: int, actor: User) -> NewsItem:
    """An item of one of the staff member's offices; anything else answers NotFound."""
    item = session.get(NewsItem, news_item_id)
    if item is None or not actor.works_for(item.office_id):
        raise NotFound(f"news item {news_item_id}")
    return item


def news_of_office(office_ids: Select) -> Select:
    """The news items of these offices (an IN clause's ids), newest first, withdrawn ones too:
    the office's own list."""
    return (
        select(NewsItem)
        .where(NewsItem.office_id.in_(office_ids))
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
    )


def set_news_interests(session: Session, *, user: User, topics: Iterable[str]) -> None:
    """The person's own choice of news topics (keys of casemodel.news_topics); none is all news.

    Raises:
        UnknownNewsTopics: a key that is no topic (nothing is saved).
    """
    wanted = set(topics)
    if unknown := wanted - TOPIC_KEYS:
        raise UnknownNewsTopics(unknown)
    # In the list's order, and a new list: the JSON column sees assignment, not mutation.
    user.news_topics = [topic.key for topic in NEWS_TOPICS if topic.key in wanted]
    session.flush()
    record_event(session, action="news.interests_set", actor=user,
                 detail={"topics": user.news_topics})  # fmt: skip


def wants_news(user: User, item: NewsItem) -> bool:
    """Whether the item is among the news the person chose: general items always, and any
    item for someone who chose nothing."""
    return item.topic is None or not user.news_topics or item.topic in user.news_topics


def news_for(session: Session, user: User, organisation_id: int | None) -> Select:
    """The news a member of the organisation sees listed (News page, Home), newest first: the
    items they may open (_open_to) that they want (wants_news)."""
    query = _open_to(session, user, organisation_id)
    if user.news_topics:
        query = query.where(or_(NewsItem.topic.is_(None), NewsItem.topic.in_(user.news_topics)))
    return query


def _open_to(session: Session, user: User, organisation_id: int | None) -> Select:
    """The news a member of the organisation may open, newest first: its office's items for all
    clients or for this organisation, not withdrawn, whatever their topic. Nothing for anyone
    else.
    """
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    query = select(NewsItem).order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
    if organisation is None or user.is_staff:
        return query.where(NewsItem.id.is_(None))
    # In the query, not read first: Home shows the news on every visit.
    member = exists().where(Membership.user_id == user.id,
                            Membership.organisation_id == organisation.id)  # fmt: skip
    chosen = exists().where(news_audience.c.news_item_id == NewsItem.id,
                            news_audience.c.organisation_id == organisation.id)  # fmt: skip
    return query.where(
        member,
        NewsItem.office_id == organisation.office_id,
        NewsItem.withdrawn_at.is_(None),
        or_(NewsItem.for_all_clients.is_(True), chosen),
    )


def get_news_for(session: Session, news_item_id: int, user: User,
                 organisation_id: int | None) -> NewsItem:  # fmt: skip
    """One item the member may open, of their topics or not (a link in an older mail or from a
    colleague keeps working: the interests choose what is listed, they keep nothing secret);
    anything else answers NotFound."""
    item = session.scalar(_open_to(session, user, organisation_id).where(
        NewsItem.id == news_item_id))  # fmt: skip
    if item is None:
        raise NotFound(f"news item {news_item_id}")
    return item


def _members_by_organisation(session: Session, item: NewsItem) -> dict[int, list[User]]:
    """The people of the item's organisations who want it (wants_news), by organisation (one
    notification each, so the mail says whose news it is)."""
    query = select(Membership).join(Organisation).where(Organisation.office_id == item.office_id)
    if not item.for_all_clients:
        query = query.where(Organisation.id.in_([o.id for o in item.audience]))
    members: dict[int, list[User]] = {}
    for membership in session.scalars(query):
        if not wants_news(membership.user, item):
            continue
        members.setdefault(membership.organisation_id, []).append(membership.user)
    return members
