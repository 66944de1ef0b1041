"""Offices are closed by default: staff and managers see and do only what belongs to the offices
they have a membership of; without one, nothing. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import delete, insert, select, text

from casemodel import migrate
from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
from casemodel.filestore import StoredFile
from casemodel.models import HumanTask, OfficeMembership, Step
from casemodel.queries.archive import get_archived_file_for, office_archive
from casemodel.queries.dossiers import dossiers_for, get_dossier_for
from casemodel.queries.messages import inbox, unread_inbox_count
from casemodel.queries.offices import colleagues_in, organisations_of
from casemodel.queries.tasks import open_staff_tasks
from casemodel.services.accounts import add_office_membership, create_user
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidState, NotFound
from casemodel.services.invitations import give_access
from casemodel.services.messages import assign_message, send_message
from casemodel.services.steps import complete_staff_task
from casemodel.services.uploads import archive_upload

PDF = StoredFile(sha256="a" * 64, size=10, content_type="application/pdf")


def open_transfer(session, firm, template):
    return open_dossier(session, template=template, organisation_id=firm.organisation.id,
                        description="Dorpsstraat 1", actor=firm.staff)  # fmt: skip


def staff_task_of(session, dossier) -> HumanTask:
    step = session.scalar(select(Step).where(Step.dossier_id == dossier.id).limit(1))
    task = HumanTask(dossier_id=dossier.id, step_id=step.id, kind="staff_task", audience="staff")
    session.add(task)
    session.flush()
    return task


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_staff_and_managers_cannot_be_created_without_an_office(session, role):
    with pytest.raises(InvalidState):
        create_user(session, email=f"{role}@example.nl", name="Zonder kantoor", role=role)


def test_a_client_gets_no_office(session, firm):
    with pytest.raises(InvalidState):
        create_user(session, email="klant@example.nl", name="Klant", office_ids=[firm.office.id])
    with pytest.raises(InvalidState):
        add_office_membership(session, user=firm.client, office=firm.office, actor=None)


def test_staff_without_an_office_membership_see_and_do_nothing(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    message = send_message(session, dossier=dossier, author=firm.client, subject="Vraag",
                           body="Tekst")  # fmt: skip
    archived = archive_upload(session, organisation=firm.organisation, user=firm.client,
                              stored=PDF, filename="jaaropgave.pdf")  # fmt: skip
    task = staff_task_of(session, dossier)
    # A staff account whose office membership is gone (or that was migrated without an office):
    # it used to see every office.
    session.execute(delete(OfficeMembership).where(OfficeMembership.user_id == firm.staff.id))
    session.expire(firm.staff)
    nobody = firm.staff
    # The same calls with the office's manager show that each of them does see the data.
    for user, sees in ((firm.manager, True), (nobody, False)):
        assert bool(session.scalars(dossiers_for(user)).all()) is sees
        assert bool(session.scalars(open_staff_tasks(user, mine_only=False)).all()) is sees
        assert bool(session.scalars(office_archive(user)).all()) is sees
        assert bool(session.scalars(inbox(user)).all()) is sees
        assert (unread_inbox_count(session, user) > 0) is sees
        assert bool(session.scalars(organisations_of(user)).all()) is sees
    for load in (
        lambda: get_dossier_for(session, dossier.id, nobody),
        lambda: get_archived_file_for(session, archived.id, nobody),
        lambda: open_dossier(session, template=transfer_template, description="Dorpsstraat 2",
                             organisation_id=firm.organisation.id, actor=nobody),
        lambda: give_access(session, organisation_id=firm.organisation.id, actor=nobody,
                            email="nieuw@example.nl", name="Nieuw", start_link="/start"),
        lambda: complete_staff_task(session, task_id=task.id, actor=nobody),
        lambda: assign_message(session, message=message, assignee=firm.manager, actor=nobody),
        lambda: assign_message(session, message=message, assignee=nobody, actor=firm.manager),
    ):  # fmt: skip
        with pytest.raises(NotFound):
            load()
    assert nobody not in session.scalars(colleagues_in(firm.office.id)).all()


def test_staff_see_only_their_offices_and_a_second_membership_opens_the_second(
    session, firm, other_firm, transfer_template
):
    ours = open_transfer(session, firm, transfer_template)
    theirs = open_transfer(session, other_firm, transfer_template)
    assert session.scalars(dossiers_for(firm.staff)).all() == [ours]
    with pytest.raises(NotFound):
        get_dossier_for(session, theirs.id, firm.staff)
    message = send_message(session, dossier=theirs, author=other_firm.client, subject="Vraag",
                           body="Tekst")  # fmt: skip
    with pytest.raises(NotFound):  # not a colleague there (yet)
        assign_message(session, message=message, assignee=firm.staff, actor=other_firm.staff)

    assert add_office_membership(session, user=firm.staff, office=other_firm.office, actor=None)
    assert not add_office_membership(session, user=firm.staff, office=other_firm.office,
                                     actor=None)  # fmt: skip
    assert {d.id for d in session.scalars(dossiers_for(firm.staff))} == {ours.id, theirs.id}
    assert get_dossier_for(session, theirs.id, firm.staff) == theirs
    assign_message(session, message=message, assignee=firm.staff, actor=other_firm.staff)
    assert message.assignee_id == firm.staff.id
    assert firm.staff in session.scalars(colleagues_in(other_firm.office.id)).all()
    assert firm.staff.offices == sorted([firm.office, other_firm.office], key=lambda o: o.name)


def test_the_migration_keeps_an_office_and_gives_none_where_there_was_none(own_database_url):
    config = migrate.alembic_config(own_database_url)
    command.upgrade(config, "cbd047239b52")  # the revision before office_memberships
    engine = make_engine(own_database_url)
    try:
        with engine.begin() as connection:
            office_id = connection.execute(
                text("INSERT INTO offices (name, kind, require_second_factor) "
                     "VALUES ('Kantoor', 'notary', true) RETURNING id")
            ).scalar_one()  # fmt: skip
            for email, role, office in (("met@example.nl", "staff", office_id),
                                        ("zonder@example.nl", "manager", None),
                                        ("klant@example.nl", "client", None)):  # fmt: skip
                connection.execute(
                    text("INSERT INTO users (email, name, role, office_id, locale, is_active, "
                         "failed_logins, notify_documents, notify_questionnaires, "
                         "notify_messages, created_at) VALUES (:email, 'X', :role, :office, "
                         "'nl', true, 0, true, true, true, :now)"),
                    {"email": email, "role": role, "office": office, "now": utcnow()},
                )  # fmt: skip
            # The client's membership must outlive the rebuild of `users` (on SQLite, a DROP
            # TABLE with foreign keys on would cascade to it).
            connection.execute(text(
                "INSERT INTO organisations (office_id, client_number, name, kind, created_at) "
                "VALUES (:office, 'N-1', 'Klant', 'person', :now)"),
                {"office": office_id, "now": utcnow()})  # fmt: skip
            connection.execute(text(
                "INSERT INTO memberships (user_id, organisation_id, can_approve, is_admin, "
                "created_at) SELECT u.id, o.id, false, false, :now FROM users u, organisations o "
                "WHERE u.email = 'klant@example.nl'"), {"now": utcnow()})  # fmt: skip
        command.upgrade(config, "head")
        with session_scope(make_session_factory(engine)) as session:
            from casemodel.models import User

            users = {u.email: u for u in session.scalars(select(User))}
            assert [o.id for o in users["met@example.nl"].offices] == [office_id]
            assert users["zonder@example.nl"].offices == []
            assert session.scalars(dossiers_for(users["zonder@example.nl"])).all() == []
            assert users["klant@example.nl"].offices == []
            assert [m.organisation.name for m in users["klant@example.nl"].memberships] == [
                "Klant"
            ]
        command.downgrade(config, "cbd047239b52")
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT email, office_id FROM users")).all())
        assert rows == {"met@example.nl": office_id, "zonder@example.nl": None,
                        "klant@example.nl": None}  # fmt: skip
    finally:
        engine.dispose()


def test_an_office_membership_is_one_per_office(session, firm):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(insert(OfficeMembership).values(
            user_id=firm.staff.id, office_id=firm.office.id, created_at=utcnow()))  # fmt: skip
