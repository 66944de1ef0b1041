"""Issue 17 in casemodel, on both backends: rights per membership read on every call, what an
administrator may and may not do with them, proposals reviewed by the office (both ways) or
applied at once, a new mobile number waiting for its confirmation, deactivated accounts, and
two offices kept apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemodel.filestore import StoredFile
from casemodel.models import (
    AccountToken,
    AuditEvent,
    ChangeProposal,
    DocumentKind,
    Membership,
    Notification,
    OutboxMessage,
    User,
)
from casemodel.queries.actions import client_actions
from casemodel.queries.dossiers import dossiers_for
from casemodel.queries.people import pending_proposal_count, proposal_queue
from casemodel.services import sessions
from casemodel.services.account_links import request_password_link
from casemodel.services.account_status import (
    StatusRefused,
    deactivate_account,
    reactivate_account,
)
from casemodel.services.accounts import add_membership, authenticate, create_user, hash_password
from casemodel.services.documents import publish_document
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.invitations import decline_invitation, give_access, open_invitations
from casemodel.services.memberships import RightsRefused, remove_member, set_rights
from casemodel.services.messages import send_message
from casemodel.services.proposals import (
    EmailTaken,
    NotReviewer,
    RemarkRequired,
    email_clash,
    pending_changes,
    propose_organisation_changes,
    propose_person_changes,
    review_proposal,
)
from casemodel.services.rights import Rights, may_approve_document, require_approval_right
from casemodel.services.second_factor import CodeCheck, check_sms_code, send_sms_code
from casemodel.services.uploads import archive_upload, stage_file
from tests.concurrency import two_at_once
from tests.fixtures.domain import make_firm

PDF = StoredFile(sha256="a" * 64, size=10, content_type="application/pdf")
PASSWORD = "paardenbloem zonnig fietspad"
EVERYTHING = Rights(view=True, upload=True, fill=True, approve=True, administer=True)


@pytest.fixture
def dossier(session, firm, transfer_template):
    return open_dossier(session, template=transfer_template, organisation_id=firm.organisation.id,
                        description="Levering", actor=firm.staff)  # fmt: skip


@pytest.fixture
def admin(session, firm):
    """An administrator of the firm's client organisation, holding every right."""
    user = create_user(session, email="admin-a@example.nl", name="Beheerder")
    add_membership(session, user=user, organisation=firm.organisation, rights=EVERYTHING)
    return user


def membership(session, user, firm) -> Membership:
    return session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == firm.organisation.id
        )
    )


def give(session, user, firm, **rights) -> None:
    """Set the client's rights directly (as the office would), every other right on."""
    Rights(**{"view": True, "upload": True, "fill": True} | rights).put_on(
        membership(session, user, firm)
    )
    session.flush()


# --- rights, read on every call ----------------------------------------------------------------


def test_each_right_is_read_by_the_services_at_every_call(session, firm, dossier):
    client = firm.client
    assert session.scalars(dossiers_for(client)).all() == [dossier]
    give(session, client, firm, view=False)
    assert session.scalars(dossiers_for(client)).all() == []  # the very next query
    give(session, client, firm, upload=False)
    with pytest.raises(NotAllowed):
        send_message(session, dossier=dossier, author=client, subject="x", body="y")
    with pytest.raises(NotAllowed):
        stage_file(session, dossier=dossier, user=client, stored=PDF, filename="a.pdf")
    with pytest.raises(NotAllowed):
        archive_upload(session, organisation=firm.organisation, user=client, stored=PDF,
                       filename="a.pdf")  # fmt: skip
    give(session, client, firm)
    assert send_message(session, dossier=dossier, author=client, subject="x", body="y")


def test_another_organisations_client_gets_not_found_not_forbidden(session, firm, other_firm,
                                                                  dossier):  # fmt: skip
    with pytest.raises(NotFound):
        archive_upload(session, organisation=firm.organisation, user=other_firm.client,
                       stored=PDF, filename="a.pdf")  # fmt: skip
    with pytest.raises(NotFound):
        stage_file(session, dossier=dossier, user=other_firm.client, stored=PDF, filename="a")


def test_the_actions_count_follows_the_rights(session, firm, dossier):
    from casemodel.services.questionnaires import send_questionnaire

    send_questionnaire(session, dossier=dossier, definition_key="testament", actor=firm.staff)
    assert len(client_actions(session, firm.client, firm.organisation.id)) == 1
    give(session, firm.client, firm, fill=False)
    assert len(client_actions(session, firm.client, firm.organisation.id)) == 0


def test_notification_mails_follow_modules_and_rights(session, firm, dossier, admin):
    def told(user):
        return session.scalars(select(Notification.kind).where(
            Notification.user_id == user.id)).all()  # fmt: skip

    membership(session, admin, firm).notify_documents = False
    give(session, firm.client, firm, view=False)
    publish_document(session, dossier=dossier, folder="documents", title="Akte", stored=PDF,
                     filename="akte.pdf", actor=firm.staff)  # fmt: skip
    assert told(admin) == [] and told(firm.client) == []
    send_message(session, dossier=dossier, author=firm.staff, subject="x", body="y")
    assert told(admin) == ["message"] and told(firm.client) == []  # no view: not told


def test_approving_may_be_limited_to_kinds_of_document(session, firm, dossier, admin):
    kinds = [DocumentKind(office_id=firm.office.id, name_nl=n, name_en=n)
             for n in ("Jaarrekening", "Offerte")]  # fmt: skip
    session.add_all(kinds)
    session.flush()
    annual = publish_document(session, dossier=dossier, folder="documents", title="JR",
                              stored=PDF, filename="jr.pdf", actor=firm.staff,
                              kind_id=kinds[0].id)  # fmt: skip
    quote = publish_document(session, dossier=dossier, folder="documents", title="Offerte",
                             stored=PDF, filename="o.pdf", actor=firm.staff,
                             kind_id=kinds[1].id)  # fmt: skip
    untyped = publish_document(session, dossier=dossier, folder="documents", title="Brief",
                               stored=PDF, filename="b.pdf", actor=firm.staff)  # fmt: skip
    assert not may_approve_document(session, firm.client, annual)  # no approve right
    give(session, firm.client, firm, approve=True, approve_kinds=frozenset({kinds[0].id}))
    assert may_approve_document(session, firm.client, annual)
    assert not may_approve_document(session, firm.client, quote)
    assert not may_approve_document(session, firm.client, untyped)
    with pytest.raises(NotAllowed):
        require_approval_right(session, firm.client, quote)
    assert all(may_approve_document(session, admin, d) for d in (annual, quote, untyped))
    assert not may_approve_document(session, firm.staff, annual)
    with pytest.raises(NotFound):
        require_approval_right(session, firm.staff, annual)


def test_a_document_kind_of_another_office_is_refused(session, firm, other_firm, dossier):
    theirs = DocumentKind(office_id=other_firm.office.id, name_nl="X", name_en="X")
    session.add(theirs)
    session.flush()
    with pytest.raises(NotFound):
        publish_document(session, dossier=dossier, folder="documents", title="T", stored=PDF,
                         filename="t.pdf", actor=firm.staff, kind_id=theirs.id)  # fmt: skip


# --- administrators: what they may and may not do ----------------------------------------------


def test_an_administrator_cannot_grant_a_right_they_lack(session, firm, admin):
    colleague = membership(session, firm.client, firm)
    give(session, admin, firm, administer=True)  # no approve right any more
    with pytest.raises(RightsRefused) as refused:
        set_rights(session, membership=colleague, rights=Rights(approve=True), actor=admin)
    assert refused.value.reason == "grant_lacking"
    assert not membership(session, firm.client, firm).can_approve
    # Taking a right away that they lack themselves is fine.
    give(session, firm.client, firm, approve=True)
    set_rights(session, membership=colleague, rights=Rights(), actor=admin)
    assert not membership(session, firm.client, firm).can_approve


def test_approving_no_wider_than_the_administrators_own(session, firm, admin):
    kinds = [DocumentKind(office_id=firm.office.id, name_nl=n, name_en=n) for n in "AB"]
    session.add_all(kinds)
    session.flush()
    a, b = kinds[0].id, kinds[1].id
    give(session, admin, firm, administer=True, approve=True, approve_kinds=frozenset({a}))
    colleague = membership(session, firm.client, firm)
    with pytest.raises(RightsRefused):  # every kind is wider than {a}
        set_rights(session, membership=colleague, rights=Rights(approve=True), actor=admin)
    with pytest.raises(RightsRefused):
        set_rights(session, membership=colleague, actor=admin,
                   rights=Rights(approve=True, approve_kinds=frozenset({b})))  # fmt: skip
    set_rights(session, membership=colleague, actor=admin,
               rights=Rights(approve=True, approve_kinds=frozenset({a})))  # fmt: skip
    assert membership(session, firm.client, firm).approve_kind_ids == [a]


def test_an_administrator_cannot_raise_their_own_rights(session, firm, admin):
    give(session, admin, firm, administer=True, fill=False)
    own = membership(session, admin, firm)
    with pytest.raises(RightsRefused) as refused:
        set_rights(session, membership=own, rights=Rights(administer=True), actor=admin)
    assert refused.value.reason == "raise_own"
    # Lowering one's own is allowed (another administrator stays: the office's client).
    give(session, firm.client, firm, administer=True)
    set_rights(session, membership=own, rights=Rights(fill=False, upload=False, administer=True),
               actor=admin)  # fmt: skip
    assert not membership(session, admin, firm).can_upload


def test_the_last_administrator_cannot_be_demoted_or_removed(session, firm, admin):
    own = membership(session, admin, firm)
    with pytest.raises(RightsRefused) as refused:
        set_rights(session, membership=own, rights=Rights(), actor=admin)
    assert refused.value.reason == "last_administrator"
    with pytest.raises(RightsRefused):
        remove_member(session, membership=own, actor=admin)
    # The office may: it manages the organisation anyway.
    set_rights(session, membership=own, rights=Rights(), actor=firm.staff)
    assert not membership(session, admin, firm).is_admin


def test_an_administrator_acts_on_their_own_organisation_only(session, firm, other_firm, admin):
    theirs = membership(session, other_firm.client, other_firm)
    with pytest.raises(NotFound):
        set_rights(session, membership=theirs, rights=Rights(), actor=admin)
    with pytest.raises(NotFound):
        remove_member(session, membership=theirs, actor=admin)
    with pytest.raises(NotAllowed):  # a member who is not an administrator
        set_rights(session, membership=membership(session, admin, firm), rights=Rights(),
                   actor=firm.client)  # fmt: skip
    with pytest.raises(NotFound):  # staff of another office
        set_rights(session, membership=theirs, rights=Rights(), actor=firm.staff)


def test_two_administrators_demoting_each_other_at_once_leave_one(own_session_factory):
    with own_session_factory() as session:
        firm = make_firm(session, "race")
        first, second = (create_user(session, email=f"{n}@example.nl", name=n) for n in "pq")
        for user in (first, second):
            add_membership(session, user=user, organisation=firm.organisation,
                           rights=EVERYTHING)  # fmt: skip
        ids = (first.id, second.id, firm.organisation.id)
        session.commit()

    def demote(actor_id, target_id):
        def request(session):
            actor, target = session.get(User, actor_id), session.get(User, target_id)
            member = session.scalar(select(Membership).where(
                Membership.user_id == target.id, Membership.organisation_id == ids[2]))  # fmt: skip
            try:
                set_rights(session, membership=member, rights=Rights(), actor=actor)
            except RightsRefused as exc:
                return exc.reason
            return "demoted"

        return request

    outcomes = two_at_once(own_session_factory, demote(ids[0], ids[1]), demote(ids[1], ids[0]))
    assert sorted(outcomes) == ["demoted", "last_administrator"]
    with own_session_factory() as session:
        admins = session.scalars(select(Membership).where(
            Membership.organisation_id == ids[2], Membership.is_admin.is_(True))).all()  # fmt: skip
        assert len(admins) == 1


def test_removing_someone_with_no_other_organisation_closes_their_account(session, firm, admin):
    firm.client.password_hash = hash_password(PASSWORD)
    token = sessions.start_session(session, user=firm.client, stage="full", ip=None,
                                   user_agent=None)  # fmt: skip
    remove_member(session, membership=membership(session, firm.client, firm), actor=admin)
    assert sessions.find_session(session, token) is None
    closed = session.get(User, firm.client.id)  # the row stays, with its name
    assert (closed.is_active, closed.closed_reason) == (False, "no_organisation")
    assert authenticate(session, email=firm.client.email, password=PASSWORD) is None
    assert request_password_link(session, email=firm.client.email,
                                 link_for=lambda token, purpose: token) is None  # fmt: skip
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_mail")).all()
    told = [m.payload for m in mail if "Cliënt a" in m.payload["subject"]]
    assert told and "uw account is daarom gesloten" in told[0]["text"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.removed"))
    event = event.one()
    assert event.actor_id == admin.id and event.detail["user_id"] == firm.client.id
    assert event.detail["account_closed"] is True

    # Access given again reopens it: the person logs in and accepts the invitation.
    give_access(session, organisation_id=firm.organisation.id, email=firm.client.email,
                name="x", actor=admin, start_link="https://portal.example/activate")  # fmt: skip
    assert closed.is_active and closed.closed_reason is None
    assert authenticate(session, email=firm.client.email, password=PASSWORD) is not None
    assert [i.organisation_id for i in open_invitations(session, closed)] == [firm.organisation.id]


def test_declining_the_invitation_that_reopened_an_account_closes_it_again(
    session, firm, other_firm, admin
):
    firm.client.password_hash = hash_password(PASSWORD)
    remove_member(session, membership=membership(session, firm.client, firm), actor=admin)
    for office in (firm, other_firm):  # two offers, from two offices
        give_access(session, organisation_id=office.organisation.id, email=firm.client.email,
                    name="x", actor=office.staff, start_link="https://portal.example/activate")
    first, second = open_invitations(session, firm.client)
    token = sessions.start_session(session, user=firm.client, stage="full", ip=None,
                                   user_agent=None)  # fmt: skip

    # Another offer is still open: the account stays, to accept that one.
    assert decline_invitation(session, invitation_id=first.id, user=firm.client) is False
    assert firm.client.is_active and sessions.find_session(session, token) is not None
    # The last one declined: it belongs nowhere and nothing is offered, so it is closed again.
    assert decline_invitation(session, invitation_id=second.id, user=firm.client) is True
    assert (firm.client.is_active, firm.client.closed_reason) == (False, "no_organisation")
    assert sessions.find_session(session, token) is None
    assert authenticate(session, email=firm.client.email, password=PASSWORD) is None
    events = session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "membership.invitation_declined")
        .order_by(AuditEvent.id)
    ).all()
    assert [e["account_closed"] for e in events] == [False, True]


def test_declining_an_invitation_keeps_an_account_that_belongs_somewhere(
    session, firm, other_firm
):
    give_access(session, organisation_id=other_firm.organisation.id, email=firm.client.email,
                name="x", actor=other_firm.staff, start_link="https://portal.example/activate")
    (offer,) = open_invitations(session, firm.client)
    assert decline_invitation(session, invitation_id=offer.id, user=firm.client) is False
    assert firm.client.is_active


def test_an_account_the_office_closed_stays_closed_when_removed_and_invited(session, firm, admin):
    deactivate_account(session, person=firm.client, actor=firm.staff)
    remove_member(session, membership=membership(session, firm.client, firm), actor=admin)
    assert firm.client.closed_reason == "office"
    give_access(session, organisation_id=firm.organisation.id, email=firm.client.email,
                name="x", actor=admin, start_link="https://portal.example/activate")  # fmt: skip
    assert not firm.client.is_active and open_invitations(session, firm.client) == []


def test_removal_from_one_organisation_keeps_the_session_for_the_other(
    session, firm, other_firm, admin
):
    add_membership(session, user=firm.client, organisation=other_firm.organisation)
    token = sessions.start_session(session, user=firm.client, stage="full", ip=None,
                                   user_agent=None)  # fmt: skip
    remove_member(session, membership=membership(session, firm.client, firm), actor=admin)
    assert sessions.find_session(session, token) is not None


# --- proposals ---------------------------------------------------------------------------------


def test_a_proposal_keeps_the_old_values_until_the_office_accepts(session, firm):
    firm.organisation.contact_person_id = firm.staff.id
    proposal = propose_person_changes(
        session, person=firm.client, organisation_id=firm.organisation.id, actor=firm.client,
        values={"name": "Client a", "address_postcode": "1015cs", "address_city": "Amsterdam"},
        fields=("name", "address_postcode", "address_city"),
    )  # fmt: skip
    assert proposal.state == "pending"
    assert firm.client.address_postcode is None  # the old value is in force
    assert pending_changes(session, person=firm.client) == {
        "address_postcode": "1015 CS", "address_city": "Amsterdam"}  # fmt: skip
    assert pending_proposal_count(session, firm.staff) == 1
    told = session.scalars(select(Notification.kind).where(
        Notification.user_id == firm.staff.id)).all()  # fmt: skip
    assert told == ["proposal"]

    review_proposal(session, proposal_id=proposal.id, accept=True, remark="", actor=firm.staff)
    assert (firm.client.address_postcode, firm.client.address_city) == ("1015 CS", "Amsterdam")
    applied = session.scalars(select(AuditEvent).where(AuditEvent.action == "details.applied"))
    applied = applied.one()
    assert applied.detail["proposed_by_id"] == firm.client.id
    assert applied.detail["reviewed_by_id"] == firm.staff.id and applied.actor_id == firm.staff.id
    assert "proposal_reviewed" in session.scalars(select(Notification.kind).where(
        Notification.user_id == firm.client.id)).all()  # fmt: skip
    with pytest.raises(InvalidState):
        review_proposal(session, proposal_id=proposal.id, accept=False, remark="x",
                        actor=firm.staff)  # fmt: skip


def _city_proposal(session, firm) -> ChangeProposal:
    return propose_person_changes(
        session,
        person=firm.client,
        actor=firm.client,
        organisation_id=firm.organisation.id,
        values={"address_city": "Zwolle"},
        fields=("address_city",),
    )


def _told_of_proposals(session) -> set[int]:
    return set(session.scalars(select(Notification.user_id).where(Notification.kind == "proposal")))


def test_only_the_contact_person_or_a_manager_reviews_a_proposal(session, firm):
    colleague = create_user(session, email="collega-a@example.nl", name="Collega", role="staff",
                            office_ids=[firm.office.id])  # fmt: skip
    firm.organisation.contact_person_id = firm.staff.id
    proposal = _city_proposal(session, firm)
    assert _told_of_proposals(session) == {firm.staff.id}
    assert session.scalars(proposal_queue(colleague)).all() == []
    assert pending_proposal_count(session, colleague) == 0
    assert pending_proposal_count(session, firm.manager) == 1  # managers stand in
    with pytest.raises(NotReviewer) as refused:
        review_proposal(session, proposal_id=proposal.id, accept=True, remark="", actor=colleague)
    assert refused.value.contact_person is firm.staff
    assert proposal.state == "pending" and firm.client.address_city is None
    review_proposal(session, proposal_id=proposal.id, accept=True, remark="", actor=firm.manager)
    assert firm.client.address_city == "Zwolle"


def test_without_a_contact_person_the_managers_review(session, firm):
    proposal = _city_proposal(session, firm)
    assert _told_of_proposals(session) == {firm.manager.id}
    assert pending_proposal_count(session, firm.staff) == 0
    assert session.scalars(proposal_queue(firm.manager)).all() == [proposal]
    with pytest.raises(NotReviewer) as refused:
        review_proposal(session, proposal_id=proposal.id, accept=True, remark="",
                        actor=firm.staff)  # fmt: skip
    assert refused.value.contact_person is None
    review_proposal(session, proposal_id=proposal.id, accept=False, remark="Graag bellen.",
                    actor=firm.manager)  # fmt: skip
    assert proposal.state == "rejected"


def test_a_contact_person_who_left_the_office_leaves_review_to_the_managers(session, firm):
    firm.organisation.contact_person_id = firm.staff.id
    deactivate_account(session, person=firm.staff, actor=firm.manager)
    _city_proposal(session, firm)
    assert _told_of_proposals(session) == {firm.manager.id}


def test_a_rejected_proposal_changes_nothing_and_says_why(session, firm, admin):
    proposal = propose_organisation_changes(
        session, organisation=firm.organisation, actor=admin,
        values={"iban": "NL91 ABNA 0417 1643 00", "kvk_number": "12345678"},
    )  # fmt: skip
    with pytest.raises(RemarkRequired):
        review_proposal(session, proposal_id=proposal.id, accept=False, remark=" ",
                        actor=firm.manager)  # fmt: skip
    remark = "Dit rekeningnummer staat niet op naam van de bv."
    review_proposal(session, proposal_id=proposal.id, accept=False, remark=remark,
                    actor=firm.manager)  # fmt: skip
    assert firm.organisation.iban is None and firm.organisation.kvk_number is None
    assert proposal.state == "rejected" and proposal.remark.startswith("Dit rekeningnummer")


def test_a_new_proposal_replaces_the_pending_one_with_both_changes(session, firm):
    first = propose_person_changes(
        session,
        person=firm.client,
        actor=firm.client,
        organisation_id=firm.organisation.id,
        values={"address_city": "Zwolle"},
        fields=("address_city",),
    )
    second = propose_person_changes(session, person=firm.client, actor=firm.client,
                                    organisation_id=firm.organisation.id,
                                    values={"phone_number": "038 331 5422"},
                                    fields=("phone_number",))  # fmt: skip
    assert first.state == "replaced" and second.state == "pending"
    assert second.changes == {"address_city": "Zwolle", "phone_number": "+31383315422"}


def test_an_office_without_review_applies_changes_at_once(session, firm, admin):
    firm.office.changes_need_review = False
    proposal = propose_organisation_changes(session, organisation=firm.organisation, actor=admin,
                                            values={"vat_number": "NL004495445B01"})  # fmt: skip
    assert proposal.state == "accepted" and proposal.reviewed_by_id is None
    assert firm.organisation.vat_number == "NL004495445B01"
    assert pending_proposal_count(session, firm.staff) == 0


def test_only_administrators_change_an_e_mail_address_or_mobile_number(session, firm, admin):
    with pytest.raises(NotAllowed):
        propose_person_changes(session, person=firm.client, organisation_id=firm.organisation.id,
                               actor=firm.client, values={"email": "nieuw@example.nl"},
                               fields=("email",))  # fmt: skip
    with pytest.raises(NotFound):  # another member's details are not theirs at all
        propose_person_changes(
            session,
            person=admin,
            organisation_id=firm.organisation.id,
            actor=firm.client,
            values={"name": "X"},
            fields=("name",),
        )
    proposal = propose_person_changes(
        session, person=firm.client, organisation_id=firm.organisation.id, actor=admin,
        values={"email": "Nieuw@Example.nl"}, fields=("email",),
    )  # fmt: skip
    assert proposal.changes == {"email": "nieuw@example.nl"} and proposal.state == "pending"


@pytest.mark.parametrize("review", [True, False], ids=["reviewed", "at-once-office"])
def test_a_taken_address_is_a_proposal_like_any_other_and_cannot_be_accepted(
    session, firm, other_firm, admin, review
):
    firm.office.changes_need_review = review
    firm.organisation.contact_person_id = firm.staff.id
    proposals = [
        propose_person_changes(
            session,
            person=firm.client,
            actor=admin,
            organisation_id=firm.organisation.id,
            values={"email": email},
            fields=("email",),
        )  # fmt: skip
        for email in ("nog-vrij@example.nl", other_firm.client.email)
    ]
    free, taken = proposals
    assert (free.state, taken.state) == ("replaced", "pending")  # both went to review
    assert pending_changes(session, person=firm.client) == {"email": other_firm.client.email}
    assert email_clash(session, taken) and not email_clash(session, free)
    with pytest.raises(EmailTaken):
        review_proposal(session, proposal_id=taken.id, accept=True, remark="", actor=firm.staff)
    assert taken.state == "pending" and firm.client.email == "client-a@example.nl"
    # The office is told at once when it types such an address itself.
    with pytest.raises(EmailTaken):
        propose_person_changes(
            session,
            person=firm.client,
            actor=firm.staff,
            organisation_id=firm.organisation.id,
            values={"email": other_firm.client.email},
            fields=("email",),
        )


def test_an_accepted_e_mail_address_tells_the_old_one_and_ends_open_links(session, firm, admin):
    old = firm.client.email
    firm.client.password_hash = "x"
    request_password_link(session, email=old, link_for=lambda token, purpose: token)
    proposal = propose_person_changes(
        session,
        person=firm.client,
        actor=admin,
        organisation_id=firm.organisation.id,
        values={"email": "nieuw@example.nl"},
        fields=("email",),
    )
    review_proposal(session, proposal_id=proposal.id, accept=True, remark="", actor=firm.manager)
    assert firm.client.email == "nieuw@example.nl"
    told = [m.payload for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "send_mail")) if m.payload["to"] == old]  # fmt: skip
    assert any("n•••@example.nl" in mail["text"] for mail in told)
    from casemodel.services.account_links import _usable

    link = session.scalars(select(AccountToken).where(AccountToken.user_id == firm.client.id)).one()
    with pytest.raises(Exception, match="used"):
        _usable(link, link.purpose)  # the address changed: the link is dead


def test_a_new_mobile_number_waits_for_a_login_code_sent_to_it(session, firm, admin):
    firm.office.changes_need_review = False
    firm.client.mobile_number, firm.client.second_factor = "+31612340001", "sms"
    propose_person_changes(session, person=firm.client, organisation_id=firm.organisation.id,
                           actor=admin, values={"mobile_number": "06 4123 4567"},
                           fields=("mobile_number",))  # fmt: skip
    assert firm.client.mobile_number == "+31612340001"
    assert firm.client.pending_mobile_number == "+31641234567"
    sms = [m.payload for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "send_sms"))]  # fmt: skip
    assert [s["to"] for s in sms] == ["+31612340001"]  # the old number is told, no code
    assert not any(char.isdigit() for char in sms[0]["text"].split(":")[-1])
    with pytest.raises(InvalidState):  # no other code goes to an unconfirmed number
        send_sms_code(session, user=firm.client, purpose="enrol")
    code_row = send_sms_code(session, user=firm.client, purpose="login")
    assert code_row.sent_to == "+31641234567"
    text = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_sms")
                           .order_by(OutboxMessage.id.desc())).first().payload["text"]  # fmt: skip
    code = text.split(" is ")[1][:6]
    assert check_sms_code(session, user=firm.client, purpose="login", code=code) is CodeCheck.OK
    assert firm.client.mobile_number == "+31641234567"
    assert firm.client.pending_mobile_number is None


# --- deactivation ------------------------------------------------------------------------------


def test_deactivating_ends_sessions_logins_and_links_and_blocks_login(session, firm):
    from casemodel.services.accounts import hash_password

    client = firm.client
    client.password_hash = hash_password(PASSWORD)
    add_membership(session, user=client, organisation=firm.organisation)
    full = sessions.start_session(session, user=client, stage="full", ip=None, user_agent=None)
    pending = sessions.start_session(session, user=client, stage="password", ip=None,
                                     user_agent=None)  # fmt: skip
    request_password_link(session, email=client.email, link_for=lambda token, purpose: token)
    deactivate_account(session, person=client, actor=firm.staff)

    assert sessions.find_session(session, full) is None
    assert sessions.find_session(session, pending) is None
    assert all(t.used_at is not None for t in session.scalars(
        select(AccountToken).where(AccountToken.user_id == client.id)))  # fmt: skip
    assert authenticate(session, email=client.email, password=PASSWORD) is None
    links_before = session.scalar(select(AccountToken.id).order_by(AccountToken.id.desc()))
    request_password_link(session, email=client.email, link_for=lambda token, purpose: token)
    assert session.scalar(select(AccountToken.id).order_by(AccountToken.id.desc())) == links_before
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.deactivated"))
    event = event.one()
    assert event.actor_id == firm.staff.id
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "send_mail")) if m.payload["to"] == client.email]  # fmt: skip
    assert any("gedeactiveerd" in mail["subject"] for mail in mails)

    reactivate_account(session, person=client, actor=firm.staff)
    assert authenticate(session, email=client.email, password=PASSWORD) is client


def test_who_may_deactivate_whom(session, firm, other_firm):
    with pytest.raises(StatusRefused) as refused:  # staff accounts are a manager's
        deactivate_account(session, person=firm.manager, actor=firm.staff)
    assert refused.value.reason == "not_a_manager"
    with pytest.raises(StatusRefused):
        deactivate_account(session, person=firm.manager, actor=firm.manager)  # not oneself
    deactivate_account(session, person=firm.staff, actor=firm.manager)
    assert not firm.staff.is_active
    with pytest.raises(NotFound):  # another office's people
        deactivate_account(session, person=other_firm.client, actor=firm.manager)
    with pytest.raises(NotFound):
        deactivate_account(session, person=other_firm.staff, actor=firm.manager)
    # A client of both offices is neither office's to close.
    add_membership(session, user=other_firm.client, organisation=firm.organisation)
    with pytest.raises(StatusRefused) as refused:
        deactivate_account(session, person=other_firm.client, actor=firm.manager)
    assert refused.value.reason == "other_office"
    with pytest.raises(NotFound):  # clients never
        deactivate_account(session, person=firm.staff, actor=firm.client)


def test_the_last_active_manager_of_an_office_stays(session, firm):
    second = create_user(session, email="m2@example.nl", name="M2", role="manager",
                         office_ids=[firm.office.id])  # fmt: skip
    deactivate_account(session, person=second, actor=firm.manager)
    with pytest.raises(StatusRefused) as refused:
        deactivate_account(session, person=firm.manager, actor=second)  # (inactive, but asks)
    assert refused.value.reason == "last_manager"


# --- two offices --------------------------------------------------------------------------------


def test_staff_of_one_office_never_reach_another_offices_proposals(session, firm, other_firm):
    proposal = propose_person_changes(
        session,
        person=firm.client,
        actor=firm.client,
        organisation_id=firm.organisation.id,
        values={"address_city": "Zwolle"},
        fields=("address_city",),
    )
    assert session.scalars(proposal_queue(other_firm.staff)).all() == []
    assert pending_proposal_count(session, other_firm.staff) == 0
    with pytest.raises(NotFound):
        review_proposal(session, proposal_id=proposal.id, accept=True, remark="",
                        actor=other_firm.staff)  # fmt: skip
    with pytest.raises(NotFound):
        propose_organisation_changes(
            session,
            organisation=firm.organisation,
            actor=other_firm.staff,
            values={"kvk_number": "12345678"},
        )
    assert session.get(ChangeProposal, proposal.id).state == "pending"


def test_audit_keeps_the_name_of_someone_removed(session, firm, dossier, admin):
    message = send_message(session, dossier=dossier, author=firm.client, subject="s", body="b")
    remove_member(session, membership=membership(session, firm.client, firm), actor=admin)
    session.expire_all()
    assert message.author.name == firm.client.name
    assert session.get(User, firm.client.id) is not None


def test_an_address_or_login_number_cannot_be_emptied_and_the_shown_country_is_no_change(
    session, firm, admin
):
    from casemodel.services.details import InvalidDetails
    from casemodel.services.proposals import NoChanges

    firm.client.mobile_number = "+31612340001"
    with pytest.raises(InvalidDetails) as refused:
        propose_person_changes(session, person=firm.client, organisation_id=firm.organisation.id,
                               actor=admin, values={"email": " ", "mobile_number": ""},
                               fields=("email", "mobile_number"))  # fmt: skip
    assert refused.value.problems == {"email": "required", "mobile_number": "required"}
    with pytest.raises(NoChanges):  # a form's first country, on a person without an address
        propose_person_changes(session, person=firm.client, actor=firm.client,
                               organisation_id=firm.organisation.id,
                               values={"name": firm.client.name, "address_country": "NL"},
                               fields=("name", "address_country"))  # fmt: skip
