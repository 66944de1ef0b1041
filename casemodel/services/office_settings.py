"""An office's own settings, set by its managers, and what it keeps per client organisation.

One page holds them all (webapp/office_settings): the theme its clients see (name, logo,
primary colour, contact line), whether the authenticator app is offered after an SMS login,
whether clients' changes to their details wait for review, the support desk clients see under
"Ondersteuning" (accountancy manual), and the kinds of document it names (an approval right may
be limited to some). Per client organisation, any staff of its office sets its contact person
and relationship manager. Staff of one office never reach another's.

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
from casemodel.models import DocumentKind, Office, Organisation, User
from casemodel.queries.offices import colleagues_in, related_office_ids
from casemodel.services.audit import record_event
from casemodel.services.details import InvalidDetails, clean_details
from casemodel.services.errors import DomainError, NotAllowed, NotFound

#: What a logo may be: drawn by browsers, mail programs and reportlab alike.
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})
#: A logo is shown at most a few centimetres high; more bytes only slow every page and mail.
MAX_LOGO_BYTES = 1024 * 1024
MAX_NAME_CHARS = 200
MAX_CONTACT_CHARS = 300
MAX_SUPPORT_NAME_CHARS = 200
MAX_KIND_NAME = 100


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
    """Managers of the office set its settings; staff work under them (the theme, the login
    policy and the support desk are the office's face and rules, not a handler's choice)."""
    return user.is_manager and user.works_for(office.id)


def check_manager_of(actor: User, office: Office) -> None:
    """Raises NotFound for anyone not working for the office (as if it did not exist),
    NotAllowed for staff of it who are not a manager."""
    if not actor.works_for(office.id):
        raise NotFound(f"office {office.id}")
    if not actor.is_manager:
        raise NotAllowed("office settings are a manager's")


def get_office_for_manager(session: Session, office_id: int, user: User) -> Office:
    """The office whose settings the user may change (check_manager_of)."""
    office = session.get(Office, office_id)
    if office is None:
        raise NotFound(f"office {office_id}")
    check_manager_of(user, office)
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


@dataclass(frozen=True)
class OfficeSettings:
    """Everything the settings form changes at once, as typed."""

    name: str
    primary_colour: str
    contact_line: str
    offer_authenticator: bool
    changes_need_review: bool
    support_name: str
    support_phone: str
    support_email: str


def update_office_settings(
    session: Session, *, office: Office, actor: User, settings: OfficeSettings
) -> Office:
    """Change the office's settings at once, or none of them (every check comes before any
    change). An empty colour means the portal's own; an empty support field, none.

    Raises:
        NotFound, NotAllowed: check_manager_of.
        InvalidSetting: the first theme setting refused.
        InvalidDetails: the support desk's phone number or e-mail address, with the fields
            "support_phone" and "support_email" (codes as services.details).
    """
    check_manager_of(actor, office)
    name = " ".join(settings.name.split())
    if not name:
        raise InvalidSetting("name_required")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidSetting("name_too_long")
    taken = session.scalar(
        select(Office.id).where(func.lower(Office.name) == name.lower(), Office.id != office.id)
    )
    if taken is not None:
        raise InvalidSetting("name_taken")
    colour = (
        check_primary_colour(settings.primary_colour) if settings.primary_colour.strip() else None
    )
    contact = " ".join(settings.contact_line.split()) or None
    if contact and len(contact) > MAX_CONTACT_CHARS:
        raise InvalidSetting("contact_too_long")
    support = _support_desk(settings)
    before = _settings(office)
    office.name, office.primary_colour, office.contact_line = name, colour, contact
    office.offer_authenticator = settings.offer_authenticator
    office.changes_need_review = settings.changes_need_review
    office.support_name, office.support_phone, office.support_email = support
    after = _settings(office)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if changed:
        record_event(session, action="office.settings_changed", actor=actor,
                     detail={"office_id": office.id, "changed": changed})  # fmt: skip
    session.flush()
    return office


def _support_desk(settings: OfficeSettings) -> tuple[str | None, str | None, str | None]:
    """The support desk's name, phone number (E.164) and e-mail address, checked as people's
    are. Raises InvalidDetails."""
    try:
        cleaned = clean_details(
            {"name": settings.support_name, "phone_number": settings.support_phone,
             "email": settings.support_email},
            ("phone_number", "email"),
        )  # fmt: skip
    except InvalidDetails as exc:
        renamed = {"phone_number": "support_phone", "email": "support_email"}
        raise InvalidDetails({renamed[f]: code for f, code in exc.problems.items()}) from None
    name = " ".join(settings.support_name.split())[:MAX_SUPPORT_NAME_CHARS] or None
    return name, cleaned["phone_number"], cleaned["email"]


def _settings(office: Office) -> dict:
    return {"name": office.name, "primary_colour": office.primary_colour,
            "contact_line": office.contact_line,
            "offer_authenticator": office.offer_authenticator,
            "changes_need_review": office.changes_need_review,
            "support": [office.support_name, office.support_phone,
                        office.support_email]}  # fmt: skip


def set_office_logo(session: Session, *, office: Office, actor: User, stored: StoredFile) -> None:
    """Make a stored file the office's logo (the file store has judged its type by content).

    Raises:
        NotFound, NotAllowed: check_manager_of.
        InvalidSetting: not a PNG or JPEG ("logo_type"), or over MAX_LOGO_BYTES.
    """
    check_manager_of(actor, office)
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
    check_manager_of(actor, office)
    if office.logo_sha256 is None:
        return
    office.logo_sha256 = office.logo_content_type = None
    record_event(session, action="office.logo_removed", actor=actor,
                 detail={"office_id": office.id})  # fmt: skip
    session.flush()


#: The authenticator is offered after an SMS login at most this often per person.
OFFER_INTERVAL = dt.timedelta(days=1)


def claim_authenticator_offer(session: Session, user: User) -> bool:
    """Whether to offer the authenticator app now, after a login with an SMS code: the user has
    none, an office they deal with offers it (Office.offer_authenticator), and it was not
    offered to them in the last day. Saying yes records the offer."""
    if user.totp_secret_sealed is not None:
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


def add_document_kind(
    session: Session, *, office: Office, name_nl: str, name_en: str, actor: User
) -> DocumentKind:
    """A new kind of document for the office, in Dutch and English.

    Raises:
        NotFound, NotAllowed: check_manager_of. InvalidDetails: a name missing ("required"),
            too long ("too_long"), or the office has the Dutch one already ("taken").
    """
    check_manager_of(actor, office)
    names = {"name_nl": " ".join(name_nl.split()), "name_en": " ".join(name_en.split())}
    problems = {f: "required" for f, name in names.items() if not name}
    problems |= {f: "too_long" for f, name in names.items() if len(name) > MAX_KIND_NAME}
    taken = session.scalar(
        select(DocumentKind.id).where(
            DocumentKind.office_id == office.id, DocumentKind.name_nl == names["name_nl"]
        )
    )
    if taken is not None:
        problems.setdefault("name_nl", "taken")
    if problems:
        raise InvalidDetails(problems)
    kind = DocumentKind(office_id=office.id, **names)
    session.add(kind)
    session.flush()
    record_event(session, action="office.document_kind_added", actor=actor,
                 detail={"office_id": office.id, "kind_id": kind.id, **names})  # fmt: skip
    return kind


def set_office_people(
    session: Session, *, organisation: Organisation, contact_person_id: int | None,
    relationship_manager_id: int | None, actor: User,
) -> None:  # fmt: skip
    """The organisation's contact person (told of its uploads and proposals, reviews them) and
    relationship manager (whom its people turn to first), each an active colleague of its
    office, or None.

    Raises:
        NotFound: the organisation is not of the actor's offices, or a chosen person is not an
            active colleague of its office.
    """
    if not actor.works_for(organisation.office_id):
        raise NotFound(f"organisation {organisation.id}")
    colleagues = {user.id for user in session.scalars(colleagues_in(organisation.office_id))}
    for chosen in (contact_person_id, relationship_manager_id):
        if chosen is not None and chosen not in colleagues:
            raise NotFound(f"colleague {chosen}")
    organisation.contact_person_id = contact_person_id
    organisation.relationship_manager_id = relationship_manager_id
    session.flush()
    session.expire(organisation, ["contact_person", "relationship_manager"])
    record_event(
        session, action="organisation.office_people_changed", actor=actor,
        detail={"organisation_id": organisation.id, "contact_person_id": contact_person_id,
                "relationship_manager_id": relationship_manager_id},
    )  # fmt: skip


def kind_of_office(session: Session, kind_id: int | None, office_id: int) -> DocumentKind | None:
    """The office's document kind with this id (None for None).

    Raises:
        NotFound: a kind of another office, or none.
    """
    if kind_id is None:
        return None
    kind = session.get(DocumentKind, kind_id)
    if kind is None or kind.office_id != office_id:
        raise NotFound(f"document kind {kind_id}")
    return kind
