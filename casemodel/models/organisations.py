"""Offices, client organisations and who belongs to them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp

OFFICE_KINDS = ("notary", "accountancy")
ORGANISATION_KINDS = ("person", "company")


class Office(Base):
    """The firm that runs the portal: a notary office or an accountancy firm. Its name appears in
    pages and mails; case templates say which kind of office they are for. Its theme (logo,
    primary colour, contact line) is applied to its clients' pages, its mails and its PDFs;
    its managers set it (services.offices)."""

    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint(f"kind IN {OFFICE_KINDS}", name="kind"),
        CheckConstraint("length(primary_colour) = 7", name="primary_colour"),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: Clients must use two-step verification (staff always must).
    require_second_factor: Mapped[bool] = mapped_column(default=True)
    #: The theme's primary colour, "#rrggbb", at least 4.5:1 against white (colours.py); None:
    #: the portal's own.
    primary_colour: Mapped[str | None] = mapped_column(String(7))
    #: The logo in the file store (a PNG or JPEG), shown in the page header, mails and PDFs.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_content_type: Mapped[str | None] = mapped_column(String(40))
    #: How to reach the office ("Herengracht 1, Amsterdam · 020 123 45 67"), in every footer.
    contact_line: Mapped[str | None] = mapped_column(String(300))
    #: After a login with an SMS code, offer the authenticator app instead (at most once a
    #: day per person); the accountancy manual shows that screen, a notary office may not want it.
    offer_authenticator: Mapped[bool] = mapped_column(default=True, server_default=true())


class Organisation(Base):
    """A client relation of an office: a private person or a company. Dossiers belong to it."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN {ORGANISATION_KINDS}", name="kind"),)

    id: Mapped[intpk]
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    #: The office's own client number ("klantnummer"), shown on folders and letters.
    client_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: The office's contact person for this client: told of the client's uploads, and the
    #: handler of a new dossier unless another is chosen.
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[utc_timestamp]

    office: Mapped[Office] = relationship()
    contact_person: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[contact_person_id]
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class Membership(Base):
    """A user's place in an organisation, with the rights they hold there. A user may belong to
    several organisations and switch between them."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: May approve ("accorderen") documents on behalf of the organisation.
    can_approve: Mapped[bool] = mapped_column(default=False)
    #: May manage the organisation's users and their rights ("Beheer").
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[utc_timestamp]

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")  # noqa: F821


class OfficeMembership(Base):
    """A staff member's or manager's place in an office: they see and work on that office's
    dossiers, clients and archive, and nothing of an office they have no membership of. One
    person may work for several offices."""

    __tablename__ = "office_memberships"
    #: Also the index for "the offices of this user", which every office-side page asks.
    __table_args__ = (UniqueConstraint("user_id", "office_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[utc_timestamp]

    office: Mapped[Office] = relationship()
