"""The office's news for its clients (accountancy manual, "Actueel": "Hier vindt u het laatste
actuele nieuws"; the Home page's "Nieuws" widget)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.organisations import Office, Organisation
from casemodel.models.users import User

#: The organisations a news item is for, when it is not for all the office's clients.
news_audience = Table(
    "news_audience",
    Base.metadata,
    Column("news_item_id", ForeignKey("news_items.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)  # fmt: skip


class NewsItem(Base):
    """A news item an office published: for all its clients, or for the organisations in its
    audience. Clients see it on Home and under "Nieuws" for as long as it is not withdrawn."""

    __tablename__ = "news_items"
    #: The portal's read: an office's items, newest first.
    __table_args__ = (Index("ix_news_items_office_published", "office_id", "published_at"),)

    id: Mapped[intpk]
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: True: every client organisation of the office; False: those in `audience` only.
    for_all_clients: Mapped[bool] = mapped_column(default=True)
    #: The topic it is about (casemodel.news_topics' key), or None: general news, shown to
    #: everyone whatever their interests.
    topic: Mapped[str | None] = mapped_column(String(20))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[utc_timestamp]
    #: When the office took it back (clients no longer see it); the row stays for the record.
    withdrawn_at: Mapped[dt.datetime | None]

    office: Mapped[Office] = relationship()
    published_by: Mapped[User] = relationship()
    audience: Mapped[list[Organisation]] = relationship(
        secondary=news_audience, order_by=Organisation.name
    )
