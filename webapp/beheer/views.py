"""What the pages of "Beheer" and the office's pages about people and organisations share:
proposing details from a form, and saying what became of it."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from wtforms import Form

from casemodel.models import ChangeProposal
from casemodel.services.details import InvalidDetails, display
from casemodel.services.proposals import EmailTaken, NoChanges
from webapp.details_messages import show_problems


def typed(form: Form, fields: tuple[str, ...]) -> dict[str, str]:
    """The form's fields as typed, for casemodel.services.details."""
    return {field: form[field].data or "" for field in fields}


def submitted(form: Form, propose) -> bool:
    """Whether a posted details form was dealt with: proposed, applied, or nothing to change
    (propose_from said so), and the page goes on. False when nothing valid was posted, or
    with a problem next to a field: the form is shown again, as typed."""
    if not form.validate_on_submit():
        return False
    return propose_from(form, propose) is not None or not form.errors


def contact_page(person, *, organisation_id: int, back: str):
    """The e-mail address and mobile number of a person (services.proposals decides who may:
    an administrator of every organisation the person belongs to, or their office's staff),
    for "Mijn gebruikers" and the office's person page alike; the caller has asked for the
    password and second factor again (requires_recent_factor)."""
    from flask import redirect, render_template
    from flask_login import current_user

    from casemodel.services.memberships import administers_all_of
    from casemodel.services.proposals import pending_changes, propose_person_changes
    from webapp.extensions import db
    from webapp.outbox import deliver_after_commit
    from webapp.people_forms import ContactForm

    form = ContactForm(obj=person)
    if submitted(form, lambda: propose_person_changes(
        db.session, person=person, organisation_id=organisation_id,
        values=typed(form, form.FIELDS), actor=current_user, fields=form.FIELDS,
    )):  # fmt: skip
        deliver_after_commit()  # the mails to the old address and number
        return redirect(back)
    return render_template(
        "beheer/contact.html", form=form, person=person, back=back,
        manages_person=administers_all_of(db.session, current_user, person),
        pending=pending_changes(db.session, person=person),
    ), 422 if form.errors else 200  # fmt: skip


def propose_from(form: Form, propose) -> ChangeProposal | None:
    """Call `propose()` (a services.proposals call with the form's values) and tell the person
    what became of it; on bad input the problems go next to the fields and None comes back
    (the form is shown again as typed)."""
    try:
        proposal = propose()
    except InvalidDetails as problem:
        show_problems(form, problem)
        return None
    except EmailTaken:
        form["email"].errors = [
            *form["email"].errors,
            _("Dit e-mailadres hoort al bij een ander account; kies een ander adres."),
        ]
        return None
    except NoChanges:
        flash(_("Er is niets gewijzigd."), "info")
        return None
    if proposal.state == "pending":
        flash(
            _("De wijziging is voorgelegd aan uw contactpersoon bij het kantoor. Tot die de "
              "wijziging heeft verwerkt, blijven de huidige gegevens gelden."),
            "success",
        )  # fmt: skip
    else:
        flash(_("De gegevens zijn gewijzigd."), "success")
    return proposal


def show_value(value, field: str) -> str:
    """A stored value as the pages show it (the template filter `detail`)."""
    return display(field, value)


def field_label(field: str) -> str:
    """A details field's name as the pages (and the list of proposals) show it."""
    return {
        "name": _("Naam"),
        "email": _("E-mailadres"),
        "mobile_number": _("Mobiel nummer"),
        "phone_number": _("Telefoonnummer"),
        "address_street": _("Straat en huisnummer"),
        "address_postcode": _("Postcode"),
        "address_city": _("Plaats"),
        "address_country": _("Land"),
        "kvk_number": _("KvK-nummer"),
        "vat_number": _("Btw-nummer"),
        "iban": _("IBAN"),
    }.get(field, field)


def kind_name(kind_id: int) -> str:
    """A document kind's name in the page's language (the template filter `kind_name`)."""
    from flask_babel import get_locale

    from casemodel.models import DocumentKind
    from webapp.extensions import db

    kind = db.session.get(DocumentKind, kind_id)
    return kind.name(str(get_locale())) if kind is not None else str(kind_id)


def rights_summary(rights) -> str:
    """A membership's rights in a few words, for a table of people."""
    names = [
        label
        for right, label in (
            ("view", _("Inzien")),
            ("upload", _("Uploaden en berichten")),
            ("fill", _("Vragenlijsten")),
            ("approve", _("Accorderen")),
            ("administer", _("Beheerder")),
        )
        if getattr(rights, right)
    ]
    if rights.approve and rights.approve_kinds:
        kinds = ", ".join(sorted(kind_name(kind) for kind in rights.approve_kinds))
        names[names.index(_("Accorderen"))] += f" ({kinds})"
    return ", ".join(names) or _("Geen rechten")


def register(app) -> None:
    """The template helpers of these pages, for every blueprint that shows people."""
    from casemodel.services.rights import Rights

    app.add_template_filter(show_value, "detail")
    app.add_template_filter(kind_name, "kind_name")
    app.add_template_global(field_label, "field_label")
    app.add_template_global(lambda holder: rights_summary(Rights.of(holder)), "rights_summary")
