"""Absolute links into the portal for mails composed outside a request (the relay, flow tasks).

The paths are the portal's routes; tests/web/test_links.py checks them against Flask's url_for,
so a renamed route cannot silently break the links in mails.
"""

from __future__ import annotations

from casemodel import config


def dossier_link(dossier_id: int, *, for_staff: bool, tab: str | None = None) -> str:
    path = f"/office/dossiers/{dossier_id}" if for_staff else f"/dossiers/{dossier_id}"
    return config.base_url() + path + (f"?tab={tab}" if tab else "")


def archive_link(*, for_staff: bool) -> str:
    """The organisation folders (client) or the office's archive of client uploads (staff)."""
    return config.base_url() + ("/office/archive" if for_staff else "/archive")


def inbox_link() -> str:
    return config.base_url() + "/office/messages"


def proposals_link() -> str:
    """The office's queue of proposed changes."""
    return config.base_url() + "/office/proposals"


def my_account_link() -> str:
    """The client's "Mijn account" (Beheer), where their proposals and the office's remarks
    are."""
    return config.base_url() + "/beheer/account"


def login_link() -> str:
    return config.base_url() + "/login"
