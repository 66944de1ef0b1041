"""Dates, stored as ISO text ("1980-02-29")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Literal

from babel.dates import format_date
from pydantic import model_validator

from forms.conditions import Equals, GreaterThan, In, LessThan
from forms.language import Language
from forms.questions.base import Context, Invalid, Question

#: A browser's date field posts ISO; typed by hand (no date picker) people write 31-12-1980.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2,4})")
#: Outside these years a date is a typing mistake, not a birth date or a deadline.
FIRST_YEAR, LAST_YEAR = 1900, 2200

Bound = dt.date | Literal["today"]


class Date(Question):
    type: Literal["date"]
    #: The earliest and latest date allowed: a date, or "today" (a birth date: `max: today`;
    #: an identity document's expiry: `min: today`).
    min: Bound | None = None
    max: Bound | None = None
    autocomplete: Literal["bday"] | None = None

    widget: ClassVar[str] = "date"
    comparisons: ClassVar[tuple[type, ...]] = (Equals, In, GreaterThan, LessThan)

    @model_validator(mode="after")
    def _consistent(self):
        if isinstance(self.min, dt.date) and isinstance(self.max, dt.date) and self.min > self.max:
            raise ValueError("min is after max")
        return self

    def condition_value_problem(self, value: Any) -> str | None:
        return None if isinstance(value, dt.date) else f"{value!r} is not a date (write 2018-01-01)"

    def parse(self, raw: Any, ctx: Context) -> Any:
        _ = ctx.lang.gettext
        text = raw.strip()
        if not text:
            return None
        if match := _ISO.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
        elif match := _DUTCH.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            if len(match.group(3)) != 4:
                raise Invalid(_("Vul het jaar met vier cijfers in, zoals 31-12-1980."))
        else:
            raise Invalid(_("Vul een datum in als dag-maand-jaar, zoals 31-12-1980."))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Invalid(_("Controleer het jaar: %(year)s.") % {"year": year})
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            raise Invalid(
                _("Deze datum bestaat niet: %(date)s. Controleer de dag en de maand.")
                % {"date": text}
            ) from None

    def check(self, value: Any, ctx: Context) -> None:
        _ = ctx.lang.gettext
        date = dt.date.fromisoformat(value)
        earliest, latest = self._bound(self.min, ctx), self._bound(self.max, ctx)
        if earliest and date < earliest:
            if self.min == "today":
                raise Invalid(_("Deze datum ligt in het verleden."))
            raise Invalid(
                _("De datum mag niet vóór %(date)s liggen.") % {"date": self._long(earliest, ctx)}
            )
        if latest and date > latest:
            if self.max == "today":
                raise Invalid(_("Deze datum ligt in de toekomst."))
            raise Invalid(
                _("De datum mag niet na %(date)s liggen.") % {"date": self._long(latest, ctx)}
            )

    @staticmethod
    def _bound(bound: Bound | None, ctx: Context) -> dt.date | None:
        return ctx.today if bound == "today" else bound  # type: ignore[return-value]

    @staticmethod
    def _long(date: dt.date, ctx: Context) -> str:
        return format_date(date, format="long", locale=ctx.lang.locale)

    def display(self, value: Any, lang: Language) -> str:
        return format_date(dt.date.fromisoformat(value), format="long", locale=lang.locale)

    def input_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"autocomplete": self.autocomplete or "off"}
        for name in ("min", "max"):
            bound = getattr(self, name)
            if isinstance(bound, dt.date):
                attributes[name] = bound.isoformat()
        return attributes
