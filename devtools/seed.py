"""Demo data: one notary office, one accountancy firm, their clients, staff and dossiers.

Idempotent: everything is looked up by its natural key first, so a second run adds nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.casetemplates import TemplateRegistry
from casemodel.db import utcnow
from casemodel.models import Dossier, Office, Organisation, User
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.dossiers import open_dossier

DEMO_PASSWORD = "Dossierflow-demo-2026"

OFFICES = [
    ("Notariskantoor Lont & Lalmahomed", "notary"),
    ("Accountantskantoor Tamek", "accountancy"),
]

#: (client number, name, kind, office name, [(template, description), ...])
CLIENTS = [
    (
        "N-10231",
        "J. de Vries",
        "person",
        "Notariskantoor Lont & Lalmahomed",
        [
            ("levering-woning", "Levering Keizersgracht 12, Amsterdam"),
            ("levering-woning", "Levering garagebox Prinsengracht 3a, Amsterdam"),
        ],
    ),
    (
        "A-2044",
        "Bakkerij Van Dam B.V.",
        "company",
        "Accountantskantoor Tamek",
        [
            ("jaarrekening-ib", "Jaarrekening 2025 en IB-aangifte directeur"),
            ("jaarrekening-ib", "Jaarrekening 2024 en IB-aangifte directeur"),
            ("jaarrekening-ib", "Jaarrekening 2025 Van Dam Holding B.V."),
        ],
    ),
]

#: (e-mail, name, role, client number or None, mobile number). Every demo user logs in with a
#: code by SMS; the demo's SMS sink shows the codes at /dev/mailbox.
USERS = [
    ("klant@example.nl", "Jan de Vries", "client", "N-10231", "+31612340001"),
    ("directeur@example.nl", "Annelies van Dam", "client", "A-2044", "+31612340002"),
    ("medewerker@example.nl", "Sanne Jansen", "staff", None, "+31612340003"),
    ("manager@example.nl", "Pieter Bakker", "manager", None, "+31612340004"),
]


def seed_demo(session: Session, registry: TemplateRegistry | None = None) -> int:
    """Create whatever of the demo data is missing. Returns how many dossiers it opened."""
    registry = registry or TemplateRegistry.from_folder()
    offices = {name: _office(session, name, kind) for name, kind in OFFICES}
    organisations = {
        number: _organisation(session, number, name, kind, offices[office])
        for number, name, kind, office, _dossiers in CLIENTS
    }
    users = {}
    for email, name, role, client_number, mobile in USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD)
            user.mobile_number, user.second_factor = mobile, "sms"
        if client_number:
            add_membership(
                session,
                user=user,
                organisation=organisations[client_number],
                can_approve=True,
                is_admin=True,
            )
        users[email] = user
    opened = 0
    for number, *_details, dossiers in CLIENTS:
        organisation = organisations[number]
        for template_key, description in dossiers:
            exists = session.scalar(
                select(Dossier.id).where(
                    Dossier.organisation_id == organisation.id,
                    Dossier.description == description,
                )
            )
            if exists:
                continue
            open_dossier(
                session,
                template=registry.latest(template_key),
                organisation_id=organisation.id,
                description=description,
                actor=users["medewerker@example.nl"],
            )
            opened += 1
    return opened


def _office(session: Session, name: str, kind: str) -> Office:
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        office = Office(name=name, kind=kind)
        session.add(office)
        session.flush()
    return office


def _organisation(
    session: Session, number: str, name: str, kind: str, office: Office
) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.client_number == number))
    if organisation is None:
        organisation = Organisation(
            client_number=number, name=name, kind=kind, office_id=office.id, created_at=utcnow()
        )
        session.add(organisation)
        session.flush()
    return organisation
