"""The answer to a request the limits refused (casemodel.services.quotas): in the person's
language, saying from when they can go on. Pages with typed text (the message form) catch
QuotaExceeded themselves and show the form again with this message; for everything else the app's
error handler answers: JSON with 429 and Retry-After for the scripts, else the message on the page
the request came from."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from babel.dates import format_time
from flask import flash, jsonify, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from casemodel.db import utcnow
from casemodel.i18n import OFFICE_TIME_ZONE
from casemodel.services.quotas import QuotaExceeded
from webapp.urls import same_origin


def _what(exc: QuotaExceeded) -> str:
    if exc.limit == "uploads":
        return _("MB aan bestanden") if exc.unit == "mb" else _("bestanden")
    return {
        "messages": _("berichten"),
        "questionnaire_saves": _("keer opslaan"),
        "approval_codes": _("codes"),
        "invitations": _("uitnodigingen"),
    }.get(exc.limit, exc.limit)


def limit_message(exc: QuotaExceeded) -> str:
    """What was reached, and from when the person can go on (the office's time of day)."""
    if exc.scope == "organisation":
        reached = _("Uw organisatie heeft het maximum bereikt van %(allowed)s %(what)s per uur.",
                    allowed=exc.allowed, what=_what(exc))  # fmt: skip
    else:
        reached = _("U heeft het maximum bereikt van %(allowed)s %(what)s per uur.",
                    allowed=exc.allowed, what=_what(exc))  # fmt: skip
    if exc.retry_at is None:
        return reached + " " + _("Dit is meer dan in één uur kan: verstuur minder tegelijk.")
    time = format_time(exc.retry_at, "HH:mm", tzinfo=OFFICE_TIME_ZONE, locale=str(get_locale()))
    return reached + " " + _("Vanaf %(time)s kunt u verder.", time=time)


def retry_after_seconds(exc: QuotaExceeded) -> int:
    if exc.retry_at is None:
        return 3600
    return max(1, math.ceil((exc.retry_at - utcnow()).total_seconds()))


def limit_refused(exc: QuotaExceeded):
    """The app's answer to QuotaExceeded where the view did not answer it itself."""
    message = limit_message(exc)
    headers = {"Retry-After": str(retry_after_seconds(exc))}
    if request.accept_mimetypes.best == "application/json":
        retry_at = exc.retry_at.isoformat() if exc.retry_at else None
        return jsonify(error=message, limit=exc.limit, retry_at=retry_at), 429, headers
    back = same_origin(request.referrer and _path_of(request.referrer))
    if request.method == "POST" and back:
        flash(message, "error")
        return redirect(back), 303
    return render_template("errors/limit.html", message=message), 429, headers


def _path_of(url: str) -> str | None:
    """The path and query of a Referer on this host (None for another host)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
