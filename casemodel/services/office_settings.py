"""An office's own settings, set by its managers: the theme its clients see (name, logo,
primary colour, contact line) and whether the authenticator app is offered after an SMS login.

The primary colour is the background of white button text and the colour of links on white,
so it is refused below WCAG 2.1 AA's 4.5:1 against white (casemodel.colours); the logo must be
a PNG or JPEG that the file store has judged by its content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemodel.colours import MIN_CONTRAST, WHITE, contrast_ratio, parse_hex
from casemodel.db import utcnow
from casemodel.filestore import FileStore, StoredFile
from casemodel.models import Office, User
from casemodel.queries.offices import related_office_ids
from casemodel.services.audit import record_event
from casemodel.services.errors import DomainError, NotAllowed, NotFound

#: What a logo may be: drawn by browsers, mail programs and reportlab alike.
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})
#: A logo is shown at most a few centimetres high; more bytes only slow every page and mail.
MAX_LOGO_BYTES = 1024 * 1024
MAX_NAME_CHARS = 200
MAX_CONTACT_CHARS = 300


class InvalidSetting(DomainError):
    """A setting that is refused; `reason` is "name_required", "name_too_long", "name_taken",
    "colour_unreadable" (not a colour), "colour_low_contrast" (with `ratio`),
    "contact_too_long", "logo_type" or "logo_too_large"."""

    def __init__(self, reason: str, ratio: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.ratio = ratio


@dataclass(frozen=True)
class Theme:
    """What pages, mails and PDFs draw an office with."""

    name: str
    primary_colour: str | None
    logo_sha256: str | None
    logo_content_type: str | None
    contact_line: str | None


def theme_of(office: Office) -> Theme:
    return Theme(office.name, office.primary_colour, office.logo_sha256,
                 office.logo_content_type, office.contact_line)  # fmt: skip


def may_manage(user: User, office: Office) -> bool:
    """Managers of the office set its settings; staff work under them (the theme and the login
    policy are the office's face and rules, not a handler's choice)."""
    return user.is_manager and user.works_for(office.id)


def get_office_for_manager(session: Session, office_id: int, user: User) -> Office:
    """The office whose settings the user may change. Raises NotFound for an office the user
    does not work for (as if it did not exist), NotAllowed for staff of it who are no manager."""
    office = session.get(Office, office_id)
    if office is None or not user.works_for(office.id):
        raise NotFound("office")
    if not may_manage(user, office):
        raise NotAllowed("office settings are for managers")
    return office


def check_primary_colour(text: str) -> str:
    """The colour as "#rrggbb" when it reads well enough for a theme. Raises InvalidSetting."""
    colour = parse_hex(text)
    if colour is None:
        raise InvalidSetting("colour_unreadable")
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise InvalidSetting("colour_low_contrast", ratio=ratio)
    return colour


def update_office_settings(
    session: Session, *, office: Office, actor: User, name: str, primary_colour: str,
    contact_line: str, offer_authenticator: bool,
) -> Office:  # fmt: skip
    """Change the office's name, colour, contact line and authenticator offer at once, or none
    of them (every check comes before any change). An empty colour means the portal's own.

    Raises:
        NotAllowed: the actor is no manager of the office.
        InvalidSetting: the first setting refused.
    """
    if not may_manage(actor, office):
        raise NotAllowed("office settings are for managers")
    name = " ".join(name.split())
    if not name:
        raise InvalidSetting("name_required")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidSetting("name_too_long")
    taken = session.scalar(
        select(Office.id).where(func.lower(Office.name) == name.lower(), Office.id != office.id)
    )
    if taken is not None:
        raise InvalidSetting("name_taken")
    colour = check_primary_colour(primary_colour) if primary_colour.strip() else None
    contact = " ".join(contact_line.split()) or None
    if contact and len(contact) > MAX_CONTACT_CHARS:
        raise InvalidSetting("contact_too_long")
    before = _settings(office)
    office.name, office.primary_colour, office.contact_line = name, colour, contact
    office.offer_authenticator = offer_authenticator
    after = _settings(office)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if changed:
        record_event(session, action="office.settings_changed", actor=actor,
                     detail={"office_id": office.id, "changed": changed})  # fmt: skip
    session.flush()
    return office


def set_office_logo(session: Session, *, office: Office, actor: User, stored: StoredFile) -> None:
    """Make a stored file the office's logo (the file store has judged its type by content).

    Raises:
        NotAllowed: the actor is no manager of the office.
        InvalidSetting: not a PNG or JPEG ("logo_type"), or over MAX_LOGO_BYTES.
    """
    if not may_manage(actor, office):
        raise NotAllowed("office settings are for managers")
    if stored.content_type not in LOGO_TYPES:
        raise InvalidSetting("logo_type")
    if stored.size > MAX_LOGO_BYTES:
        raise InvalidSetting("logo_too_large")
    office.logo_sha256, office.logo_content_type = stored.sha256, stored.content_type
    record_event(session, action="office.logo_changed", actor=actor,
                 detail={"office_id": office.id, "sha256": stored.sha256})  # fmt: skip
    session.flush()


def remove_office_logo(session: Session, *, office: Office, actor: User) -> None:
    """The office goes back to its name alone (the bytes go with the hourly sweep)."""
    if not may_manage(actor, office):
        raise NotAllowed("office settings are for managers")
    if office.logo_sha256 is None:
        return
    office.logo_sha256 = office.logo_content_type = None
    record_event(session, action="office.logo_removed", actor=actor,
                 detail={"office_id": office.id})  # fmt: skip
    session.flush()


def _settings(office: Office) -> dict:
    return {"name": office.name, "primary_colour": office.primary_colour,
            "contact_line": office.contact_line,
            "offer_authenticator": office.offer_authenticator}  # fmt: skip


#: The authenticator is offered after an SMS login at most this often per person.
OFFER_INTERVAL = dt.timedelta(days=1)


def claim_authenticator_offer(session: Session, user: User) -> bool:
    """Whether to offer the authenticator app now, after a login with an SMS code: the user has
    none, an office they deal with offers it (Office.offer_authenticator), and it was not
    offered to them in the last day. Saying yes records the offer."""
    if user.totp_secret is not None:
        return False
    offered = user.authenticator_offered_at
    now = utcnow()
    if offered is not None and now - offered < OFFER_INTERVAL:
        return False
    offering = session.scalar(
        select(Office.id).where(Office.id.in_(related_office_ids(user)),
                                Office.offer_authenticator.is_(True)).limit(1)
    )  # fmt: skip
    if offering is None:
        return False
    user.authenticator_offered_at = now
    return True


def office_logo_bytes(office: Office, store: FileStore) -> bytes | None:
    """The office's logo for a PDF (casemodel.letters, forms.PdfHeader(logo=...)); None
    without one, or when its bytes are gone from the store (the PDF then shows the name only)."""
    if office.logo_sha256 is None:
        return None
    try:
        return store.path(office.logo_sha256).read_bytes()
    except OSError:
        return None
