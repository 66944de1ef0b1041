"""People who log in: clients and office staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel import sealing
from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.addresses import HasAddress
from casemodel.models.organisations import Membership, Office, OfficeMembership

ROLES = ("client", "staff", "manager")
LOCALES = ("nl", "en")


class User(HasAddress, Base):
    """A person with a login. Clients reach dossiers through memberships of organisations; staff
    and managers through memberships of offices (OfficeMembership): without one, nothing."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"locale IN {LOCALES}", name="locale"),
        CheckConstraint("second_factor IN ('sms', 'totp')", name="second_factor"),
        CheckConstraint("closed_reason IN ('office', 'no_organisation')", name="closed_reason"),
    )

    id: Mapped[intpk]
    #: Stored lower-cased; the login compares lower-cased input.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="client")
    #: Argon2id hash; None until the user has set a password through the activation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    #: The news topics the person wants (casemodel.news_topics' keys, services.news): empty
    #: means all news; otherwise general items and items of these topics. The person's own
    #: choice, not the membership's, because it is the person who reads the news.
    news_topics: Mapped[list[Any]] = mapped_column(default=list)
    #: False once the office deactivated the account (services.account_status): no login, no
    #: set-password link, no session; what the person did keeps their name.
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Why is_active is False: "office" (staff or a manager deactivated it; only the office
    #: opens it again) or "no_organisation" (taken out of the last organisation it belonged
    #: to, services.memberships.remove_member; access given again reopens it).
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    #: The registered mobile number, E.164 ("+31612345678"), for SMS codes.
    mobile_number: Mapped[str | None] = mapped_column(String(20))
    #: A number an administrator gave in place of mobile_number, not yet confirmed: the next
    #: SMS code for a login (or re-authentication) goes here, and a right one makes it the
    #: number; until then no other code goes to it.
    pending_mobile_number: Mapped[str | None] = mapped_column(String(20))
    #: A phone number to reach the person on (E.164), not for codes.
    phone_number: Mapped[str | None] = mapped_column(String(20))
    #: The second factor in use: "sms", "totp" or None (not enrolled yet).
    second_factor: Mapped[str | None] = mapped_column(String(10))
    #: The authenticator's shared secret, sealed (casemodel.sealing: Fernet under
    #: DOSSIERFLOW_TOTP_KEY); None without an authenticator. Read and set through totp_secret.
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    #: The last TOTP time step accepted: a code is usable once (replay guard).
    totp_last_step: Mapped[int | None]
    #: Wrong passwords in a row; reset by a successful login.
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: A temporary lock after repeated failures; it always expires by itself.
    locked_until: Mapped[dt.datetime | None]
    #: The organisation the client acted for last: a person with several lands there at login.
    last_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    #: When the authenticator app was last offered after an SMS login (at most once a day).
    authenticator_offered_at: Mapped[dt.datetime | None]
    #: When the person last finished a login (both factors).
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[utc_timestamp]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")
    #: The offices a staff member or manager works for, by name; none for a client.
    offices: Mapped[list[Office]] = relationship(
        secondary=OfficeMembership.__table__, order_by=Office.name, viewonly=True
    )

    # Flask-Login's user protocol, by duck typing so that casemodel stays free of Flask.
    is_authenticated = True
    is_anonymous = False

    #: The token of the server-side session this object was loaded for (set by the web layer).
    session_token = None

    def get_id(self) -> str | None:
        """Flask-Login's id: the token of the user's server-side session (UserSession), so that
        ending that session ends the login."""
        return self.session_token

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "manager")

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def code_number(self) -> str | None:
        """Where codes for logging in go: a new number waiting for its confirmation (which such
        a code is), else the registered one."""
        return self.pending_mobile_number or self.mobile_number

    @property
    def totp_secret(self) -> str | None:
        """The authenticator's shared secret (base32), opened from its sealed form."""
        sealed = self.totp_secret_sealed
        return None if sealed is None else sealing.unseal(sealed)

    @totp_secret.setter
    def totp_secret(self, secret: str | None) -> None:
        self.totp_secret_sealed = None if secret is None else sealing.seal(secret)

    def works_for(self, office_id: int) -> bool:
        """Whether this is staff of that office (a membership of it; a client never is)."""
        return self.is_staff and any(office.id == office_id for office in self.offices)
