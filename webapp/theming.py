"""Which office's face a page wears, and the per-request nonce that lets base.html set its
colours: a client sees the office of the organisation they act for; staff the office of the
dossier on screen (a view says so with `show_office`), else their office if they work for one,
else the portal's own look. The colours were checked for contrast when the office chose them
(casemodel.services.office_settings)."""

from __future__ import annotations

import secrets

from flask import g, url_for
from flask_login import current_user

from casemodel.colours import DEFAULT_PRIMARY, theme_colours
from casemodel.models import Office
from webapp.audience import active_organisation


def show_office(office: Office) -> None:
    """The page is about this office's work (a dossier of it): wear its theme."""
    g.office = office


def current_office() -> Office | None:
    if "office" in g:
        return g.office
    office = None
    if current_user and current_user.is_authenticated:
        if current_user.is_staff:
            offices = current_user.offices
            office = offices[0] if len(offices) == 1 else None
        else:
            if g.get("organisation") is None:  # a page outside the portal (Mijn gegevens' forms)
                g.organisation = active_organisation()
            office = g.organisation.office if g.organisation else None
    g.office = office
    return office


def csp_nonce() -> str:
    """This response's nonce for its one <style> block (the office's colours); the
    Content-Security-Policy names it (webapp/__init__.py)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def office_logo_url(office: Office) -> str | None:
    if office.logo_sha256 is None:
        return None
    # The content's hash in the address: a new logo is a new URL, so it may be cached.
    return url_for("office_settings.show_logo", office_id=office.id, v=office.logo_sha256[:16])


def theme_context() -> dict:
    """For base.html: the office on screen (or None) and the colours to draw it with. Named
    page_office, so that a page's own `office` never changes the header."""
    office = current_office()
    return {
        "page_office": office,
        "office_colours": theme_colours(office.primary_colour if office and office.primary_colour
                                        else DEFAULT_PRIMARY),  # fmt: skip
        "office_logo_url": office_logo_url(office) if office else None,
        "csp_nonce": csp_nonce,
    }
