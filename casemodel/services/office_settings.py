"""What an office keeps for itself and shows its clients: whether clients' changes wait for
review, the support desk ("Ondersteuning", accountancy manual), the kinds of document it names
(an approval right may be limited to some), and per client organisation its contact person and
relationship manager.

Office-wide settings are a manager's; an organisation's contact person and relationship manager
are for any staff of its office. Staff of one office never reach another's.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.models import DocumentKind, Office, Organisation, User
from casemodel.queries.offices import colleagues_in
from casemodel.services.audit import record_event
from casemodel.services.details import InvalidDetails, clean_details
from casemodel.services.errors import NotAllowed, NotFound

MAX_KIND_NAME = 100


def check_manager_of(actor: User, office: Office) -> None:
    """Raises NotFound for anyone not working for the office, NotAllowed for staff who are not
    a manager."""
    if not actor.works_for(office.id):
        raise NotFound(f"office {office.id}")
    if not actor.is_manager:
        raise NotAllowed("office settings are a manager's")


def update_office_settings(
    session: Session, *, office: Office, changes_need_review: bool, support_name: str,
    support_phone: str, support_email: str, actor: User,
) -> None:  # fmt: skip
    """The review setting and the support desk's details, checked as people's are.

    Raises:
        NotFound, NotAllowed: check_manager_of. InvalidDetails: with the fields "support_phone"
            and "support_email" (codes as services.details).
    """
    check_manager_of(actor, office)
    try:
        cleaned = clean_details(
            {"name": support_name, "phone_number": support_phone, "email": support_email},
            ("phone_number", "email"),
        )
    except InvalidDetails as exc:
        renamed = {"phone_number": "support_phone", "email": "support_email"}
        raise InvalidDetails({renamed[f]: code for f, code in exc.problems.items()}) from None
    name = " ".join(support_name.split())[:200] or None
    office.changes_need_review = changes_need_review
    office.support_name = name
    office.support_phone = cleaned["phone_number"]
    office.support_email = cleaned["email"]
    session.flush()
    record_event(
        session, action="office.settings_changed", actor=actor,
        detail={"office_id": office.id, "changes_need_review": changes_need_review,
                "support": [name, office.support_phone, office.support_email]},
    )  # fmt: skip


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
