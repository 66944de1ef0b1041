"""The office's people: its clients (everyone with a membership of one of its organisations)
and, for managers, its staff. A person's page shows their details (changed at once by the
office; the e-mail address and mobile number after the staff member confirmed their password
and second factor again), their memberships of this office's organisations (never another
office's), and deactivating or reactivating the account: all sessions and logins waiting for a
code end at once, set-password links die, the person gets a mail (services.account_status)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.people import get_person_for, memberships_seen_by, people_for
from casemodel.services.account_status import (
    StatusRefused,
    check_may_change_status,
    deactivate_account,
    reactivate_account,
)
from casemodel.services.errors import InvalidState, NotFound
from casemodel.services.memberships import administers_all_of
from casemodel.services.proposals import pending_changes, propose_person_changes
from webapp.auth.settings import requires_recent_factor
from webapp.beheer.views import contact_page, submitted, typed
from webapp.extensions import db
from webapp.office import bp
from webapp.outbox import deliver_after_commit
from webapp.paging import paginate
from webapp.people_forms import PersonDetailsForm


def status_refused_message(reason: str) -> str:
    return {
        "own_account": _("Uw eigen account kunt u hier niet deactiveren."),
        "other_office": _("Deze persoon hoort ook bij een kantoor of organisatie waarvoor u niet "
                          "werkt. Beëindig de toegang tot uw eigen cliënten op de pagina van de "
                          "organisatie."),
        "last_manager": _("Dit is de laatste actieve manager van een kantoor. Maak eerst iemand "
                          "anders manager."),
        "not_a_manager": _("Accounts van medewerkers deactiveert een manager."),
    }[reason]  # fmt: skip


@bp.route("/people")
def list_people():
    search = request.args.get("q", "")[:100]
    staff = request.args.get("staff") == "1"
    page = paginate(
        db.session, people_for(current_user, search, staff=staff),
        request.args.get("page", 1, type=int),
    )  # fmt: skip
    return render_template("office/people.html", page=page, search=search, staff=staff)


def _status_refusal(person) -> str | None:
    try:
        check_may_change_status(db.session, person=person, actor=current_user)
    except StatusRefused as exc:
        return status_refused_message(exc.reason)
    except NotFound:
        return status_refused_message("other_office")
    return None


def _person_page(person, *, details_form=None, status: int = 200):
    memberships = memberships_seen_by(db.session, person, current_user)
    return render_template(
        "office/person.html",
        person=person,
        memberships=memberships,
        manages_person=administers_all_of(db.session, current_user, person),
        status_refusal=_status_refusal(person),
        details_form=details_form or PersonDetailsForm(formdata=None, obj=person),
        pending=pending_changes(db.session, person=person),
    ), status


@bp.route("/people/<int:user_id>")
def show_person(user_id: int):
    return _person_page(get_person_for(db.session, user_id, current_user))


def _organisation_of(person) -> int:
    """The organisation the office changes a person's details from: the first of its own."""
    memberships = memberships_seen_by(db.session, person, current_user)
    if not memberships:
        raise NotFound(f"user {person.id}")
    return memberships[0].organisation_id


@bp.route("/people/<int:user_id>/details", methods=["POST"])
def change_person_details(user_id: int):
    person = get_person_for(db.session, user_id, current_user)
    form = PersonDetailsForm()
    if not submitted(form, lambda: propose_person_changes(
        db.session, person=person, organisation_id=_organisation_of(person),
        values=typed(form, form.FIELDS), actor=current_user, fields=form.FIELDS,
    )) and form.errors:  # fmt: skip
        return _person_page(person, details_form=form, status=422)
    return redirect(url_for("office.show_person", user_id=user_id))


@bp.route("/people/<int:user_id>/contact", methods=["GET", "POST"])
def change_person_contact(user_id: int):
    """As for an organisation's administrator: after the password and second factor again,
    asked only for a person of the office's (another id answers 404 first)."""
    return _change_contact(get_person_for(db.session, user_id, current_user), user_id=user_id)


@requires_recent_factor
def _change_contact(person, *, user_id: int):
    return contact_page(person, organisation_id=_organisation_of(person),
                        back=url_for("office.show_person", user_id=user_id))  # fmt: skip


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    return _change_status(user_id, deactivate_account, done=_(
        "Het account van %(name)s is gedeactiveerd: de persoon is overal uitgelogd en kan niet "
        "meer inloggen."), already=_("Dit account was al gedeactiveerd."))  # fmt: skip


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    return _change_status(user_id, reactivate_account,
                          done=_("Het account van %(name)s is weer actief."),
                          already=_("Dit account was al actief."))  # fmt: skip


def _change_status(user_id: int, change, *, done: str, already: str):
    person = get_person_for(db.session, user_id, current_user)
    try:
        change(db.session, person=person, actor=current_user)
    except StatusRefused as exc:
        flash(status_refused_message(exc.reason), "error")
    except InvalidState:
        flash(already, "info")
    else:
        deliver_after_commit()  # the mail to the person
        flash(done % {"name": person.name}, "success")
    return redirect(url_for("office.show_person", user_id=user_id))
