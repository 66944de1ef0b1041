""""Mijn gebruikers" (accountancy manual, "Beheer"; notary manual, extra accounts for a
company): the organisation's people with their rights and last login, for its administrators.
Adding a user is an invitation (services.invitations.give_access: a new address gets the
activation with its three mails, an existing account an invitation to accept); rights,
notification modules and personal details are changed per user; a user can be taken out. An
e-mail address or mobile number is changed only after the administrator confirmed their
password and second factor again."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from casemodel.queries.people import document_kinds_of, members_of, open_invitations_of
from casemodel.services.invitations import give_access
from casemodel.services.memberships import (
    RightsRefused,
    administers_all_of,
    get_member_for,
    notification_modules,
    remove_member,
    set_notifications,
    set_rights,
)
from casemodel.services.proposals import pending_changes, propose_person_changes
from casemodel.services.quotas import QuotaExceeded
from casemodel.services.rights import Rights, require_right
from webapp.auth.accounts import external_url
from webapp.auth.settings import requires_recent_factor
from webapp.beheer import bp
from webapp.beheer.views import contact_page, submitted, typed
from webapp.extensions import answer_no_sooner_than, db
from webapp.people_forms import ModulesForm, NewUserForm, PersonDetailsForm, RightsForm
from webapp.quota_messages import limit_message

#: As the office's Accounts page: the answer comes this long after the request, whatever the
#: address belongs to.
ACCESS_ANSWER_SECONDS = 0.3


def refused_message(reason: str) -> str:
    """Why an administrator's change of rights was refused."""
    return {
        "raise_own": _("U kunt uw eigen rechten niet uitbreiden; vraag dat aan een andere "
                       "beheerder of aan het kantoor."),
        "grant_lacking": _("U kunt geen recht geven dat u zelf niet heeft, en niet laten "
                           "accorderen wat u zelf niet mag accorderen."),
        "last_administrator": _("Er moet ten minste één beheerder blijven. Maak eerst iemand "
                                "anders beheerder; daarna kunt u dit wijzigen."),
    }[reason]  # fmt: skip


def _administrator():
    """The administrator's own membership (NotAllowed, 403, for anyone else)."""
    return require_right(db.session, current_user, g.organisation.id, "administer")


def _kind_choices(form: RightsForm) -> None:
    form.approve_kinds.choices = [
        SelectChoice(kind.id, kind.name(current_user.locale))
        for kind in document_kinds_of(db.session, g.organisation.office_id)
    ]


@bp.route("/users")
def list_users():
    """The users, and who is invited. Someone invited shows by the address typed only, the same
    whether the address was new (an account waiting for its activation) or already had an
    account (an invitation waiting to be accepted): which of the two, and whose account it is,
    is not the administrator's to learn from this page."""
    _administrator()
    members = members_of(db.session, g.organisation.id)
    invited = [m.user.email for m in members if m.user.password_hash is None]
    invited += [i.user.email for i in open_invitations_of(db.session, g.organisation.id)]
    return render_template(
        "beheer/users.html",
        members=[m for m in members if m.user.password_hash is not None],
        invited=sorted(invited),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    own = _administrator()
    form = NewUserForm()
    _kind_choices(form)
    if not form.is_submitted():
        form.show(Rights())
    if form.validate_on_submit():
        answer_no_sooner_than(ACCESS_ANSWER_SECONDS)
        try:
            give_access(
                db.session, organisation_id=g.organisation.id, email=form.email.data,
                name=form.name.data, locale=form.locale.data, rights=form.rights(),
                actor=current_user, start_link=external_url("auth.start_account"),
            )  # fmt: skip
        except RightsRefused as exc:
            form.view.errors.append(refused_message(exc.reason))
        except QuotaExceeded as exc:
            form.email.errors.append(limit_message(exc))
            return render_template("beheer/new_user.html", form=form, own=Rights.of(own)), 429
        else:
            flash(_("%(email)s krijgt een e-mail. Een nieuw account stelt de persoon daarmee in; "
                    "heeft de persoon al een account, dan krijgt die toegang zodra hij de "
                    "uitnodiging na het inloggen aanneemt.", email=form.email.data),
                  "success")  # fmt: skip
            return redirect(url_for("beheer.list_users"))
    status = 422 if form.errors else 200
    return render_template("beheer/new_user.html", form=form, own=Rights.of(own)), status


def _member(user_id: int):
    membership, _manager = get_member_for(
        db.session, organisation_id=g.organisation.id, user_id=user_id, actor=current_user
    )
    return membership


def _user_page(membership, *, details_form=None, status: int = 200):
    person = membership.user
    rights_form = RightsForm(formdata=None)
    _kind_choices(rights_form)
    rights_form.show(Rights.of(membership))
    modules_form = ModulesForm(formdata=None, data=notification_modules(membership))
    manages_person = administers_all_of(db.session, current_user, person)
    return render_template(
        "beheer/user.html",
        membership=membership,
        person=person,
        rights_form=rights_form,
        modules_form=modules_form,
        details_form=details_form or PersonDetailsForm(formdata=None, obj=person),
        manages_person=manages_person,
        may_edit_details=manages_person or person.id == current_user.id,
        pending=pending_changes(db.session, person=person),
        own=Rights.of(_administrator()),
    ), status


@bp.route("/users/<int:user_id>")
def show_user(user_id: int):
    return _user_page(_member(user_id))


@bp.route("/users/<int:user_id>/rights", methods=["POST"])
def change_rights(user_id: int):
    membership = _member(user_id)
    form = RightsForm()
    _kind_choices(form)
    if form.validate_on_submit():
        try:
            set_rights(db.session, membership=membership, rights=form.rights(), actor=current_user)
        except RightsRefused as exc:
            flash(refused_message(exc.reason), "error")
        else:
            flash(_("De rechten van %(name)s zijn opgeslagen. Ze gelden vanaf de volgende klik "
                    "van %(name)s.", name=membership.user.name), "success")  # fmt: skip
    return redirect(url_for("beheer.show_user", user_id=user_id))


@bp.route("/users/<int:user_id>/notifications", methods=["POST"])
def change_notifications(user_id: int):
    membership = _member(user_id)
    form = ModulesForm()
    if form.validate_on_submit():
        set_notifications(db.session, membership=membership, modules=form.modules(),
                          actor=current_user)  # fmt: skip
        flash(_("De e-mailnotificaties zijn opgeslagen."), "success")
    return redirect(url_for("beheer.show_user", user_id=user_id))


@bp.route("/users/<int:user_id>/details", methods=["POST"])
def change_details(user_id: int):
    membership = _member(user_id)
    form = PersonDetailsForm()
    if not submitted(form, lambda: propose_person_changes(
        db.session, person=membership.user, organisation_id=g.organisation.id,
        values=typed(form, form.FIELDS), actor=current_user, fields=form.FIELDS,
    )) and form.errors:  # fmt: skip
        return _user_page(membership, details_form=form, status=422)
    return redirect(url_for("beheer.show_user", user_id=user_id))


@bp.route("/users/<int:user_id>/contact", methods=["GET", "POST"])
def change_contact(user_id: int):
    """The e-mail address and mobile number, by an administrator of every organisation the
    person belongs to, after confirming their own password and second factor again (asked
    only for a user of the organisation: another id answers 404 first)."""
    return _change_contact(_member(user_id), user_id=user_id)


@requires_recent_factor
def _change_contact(membership, *, user_id: int):
    return contact_page(membership.user, organisation_id=g.organisation.id,
                        back=url_for("beheer.show_user", user_id=user_id))  # fmt: skip


@bp.route("/users/<int:user_id>/remove", methods=["POST"])
def remove_user(user_id: int):
    membership = _member(user_id)
    name, leaving_myself = membership.user.name, membership.user_id == current_user.id
    try:
        remove_member(db.session, membership=membership, actor=current_user)
    except RightsRefused as exc:
        flash(refused_message(exc.reason), "error")
        return redirect(url_for("beheer.show_user", user_id=user_id))
    if leaving_myself:
        flash(_("U heeft geen toegang meer tot %(organisation)s.",
                organisation=g.organisation.name), "success")  # fmt: skip
        return redirect(url_for("portal.home"))
    flash(_("%(name)s heeft geen toegang meer tot %(organisation)s.", name=name,
            organisation=g.organisation.name), "success")  # fmt: skip
    return redirect(url_for("beheer.list_users"))
