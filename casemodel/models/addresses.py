"""A postal address, as people and client organisations have one (the accountancy manual's
"Mijn account" and "Mijn cliënten"): one set of columns, the same on both."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

#: The fields of an address, in the order a form shows them.
ADDRESS_FIELDS = ("address_street", "address_postcode", "address_city", "address_country")


class HasAddress:
    """Mixin: street and house number on one line, postcode, place, and the country as an ISO
    3166 code (a Dutch postcode is checked as one; another country's only for length)."""

    #: "Keizersgracht 12 A"
    address_street: Mapped[str | None] = mapped_column(String(200))
    #: "1015 CS" for the Netherlands; as written elsewhere.
    address_postcode: Mapped[str | None] = mapped_column(String(12))
    address_city: Mapped[str | None] = mapped_column(String(100))
    address_country: Mapped[str | None] = mapped_column(String(2))
