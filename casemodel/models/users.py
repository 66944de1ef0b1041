"""People who log in: clients and office staff."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.organisations import Membership, Office

ROLES = ("client", "staff", "manager")
LOCALES = ("nl", "en")


class User(Base):
    """A person with a login. Clients reach dossiers through memberships; staff and managers
    work for an office."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"locale IN {LOCALES}", name="locale"),
    )

    id: Mapped[intpk]
    #: Stored lower-cased; the login compares lower-cased input.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="client")
    #: The office a staff member or manager works for; None for clients.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    #: Argon2id hash; None until the user has set a password through the activation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Raised whenever every existing session must end (logout everywhere, password change).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[utc_timestamp]

    office: Mapped[Office | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    # Flask-Login's user protocol, by duck typing so that casemodel stays free of Flask.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The login token: with the session version in it, raising the version ends every
        session of this user."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "manager")

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"
