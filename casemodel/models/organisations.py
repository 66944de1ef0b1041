"""Offices, client organisations and who belongs to them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.addresses import HasAddress

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
    #: Changes clients make to personal and organisation data wait for the contact person's
    #: review (the accountancy manual's way); False: they apply at once (a small notary office).
    changes_need_review: Mapped[bool] = mapped_column(default=True)
    #: The support desk clients see under "Ondersteuning" (accountancy manual): a name, a phone
    #: number (E.164) and an e-mail address; each None until the office fills it in.
    support_name: Mapped[str | None] = mapped_column(String(200))
    support_phone: Mapped[str | None] = mapped_column(String(20))
    support_email: Mapped[str | None] = mapped_column(String(254))


class Organisation(HasAddress, Base):
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
    #: The office's relationship manager ("relatiebeheerder"), whom the client turns to first
    #: (accountancy manual, "Ondersteuning"); None: the contact person is.
    relationship_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: The Chamber of Commerce number (KvK, eight digits), the VAT number (compact, with its
    #: country code) and the bank account (IBAN, compact).
    kvk_number: Mapped[str | None] = mapped_column(String(8))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    iban: Mapped[str | None] = mapped_column(String(34))
    #: Raised by every change to the organisation's people (memberships, rights) and to its
    #: proposed changes, in the statement that locks the row: such changes to one organisation
    #: take turns, so "one administrator at least" holds when two administrators demote each
    #: other at once, and two proposals at once do not both stay pending.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[utc_timestamp]

    office: Mapped[Office] = relationship()
    contact_person: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[contact_person_id]
    )
    relationship_manager: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[relationship_manager_id]
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class HasRights:
    """Mixin: the rights a person holds in an organisation (casemodel.services.rights decides
    with them), on a membership and on an invitation that offers one."""

    #: May see the organisation's dossiers, with their documents and messages, and its folders.
    can_view: Mapped[bool] = mapped_column(default=True)
    #: May upload files and send messages (attachments, the Upload folder, requested files).
    can_upload: Mapped[bool] = mapped_column(default=True)
    #: May fill in and complete the organisation's questionnaires.
    can_fill: Mapped[bool] = mapped_column(default=True)
    #: May approve ("accorderen") documents on behalf of the organisation.
    can_approve: Mapped[bool] = mapped_column(default=False)
    #: Approving only documents of these kinds (DocumentKind ids of the office, e.g. only
    #: annual accounts); None: every kind.
    approve_kind_ids: Mapped[list[Any] | None]
    #: May manage the organisation's users and their rights ("Beheer").
    is_admin: Mapped[bool] = mapped_column(default=False)


class Membership(HasRights, Base):
    """A user's place in an organisation, with the rights they hold there and the notification
    mails they want from it. A user may belong to several organisations and switch between
    them."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Per module, whether the person gets a mail when the office has something new for the
    #: organisation there (accountancy manual, "Mijn gebruikers"; notary manual §2.2).
    notify_documents: Mapped[bool] = mapped_column(default=True)
    notify_messages: Mapped[bool] = mapped_column(default=True)
    notify_questionnaires: Mapped[bool] = mapped_column(default=True)
    notify_approvals: Mapped[bool] = mapped_column(default=True)
    notify_uploads: Mapped[bool] = mapped_column(default=True)
    #: The office published news for the organisation (services.news).
    notify_news: Mapped[bool] = mapped_column(default=True)
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


class MembershipInvitation(HasRights, Base):
    """An office's offer to an existing account of access to one of its client organisations.
    Nothing is granted until the person accepts it, signed in: an address typed on the office's
    Accounts page must not attach someone (another office's client, say) without them knowing.
    A new address gets its account, and the membership, at once: activating it is accepting."""

    __tablename__ = "membership_invitations"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # The rights (HasRights) are those the membership will have once accepted.
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[utc_timestamp]
    expires_at: Mapped[dt.datetime]
    #: When the person accepted or declined it (one of them, at most).
    accepted_at: Mapped[dt.datetime | None]
    declined_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
