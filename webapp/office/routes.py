from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from casemodel.casetemplates import TemplateRegistry
from casemodel.models import AuditEvent, Dossier, HumanTask, Organisation
from casemodel.queries.documents import documents_in
from casemodel.queries.dossiers import (
    current_steps,
    dossiers_for,
    get_dossier_for,
    progress_in,
    progress_of,
)
from casemodel.queries.offices import organisations_of
from casemodel.queries.tasks import open_staff_tasks
from casemodel.services.documents import may_publish
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidState, MissingDate, NotAllowed
from casemodel.services.invitations import give_access
from casemodel.services.quotas import QuotaExceeded
from casemodel.services.rights import Rights
from casemodel.stepkinds.staff_task import complete_staff_task
from webapp.approvals.office import place_for_task
from webapp.auth.accounts import external_url
from webapp.documents.forms import PublishDocumentForm
from webapp.extensions import answer_no_sooner_than, db
from webapp.messages.drafts import Draft, messages_page
from webapp.office import bp
from webapp.office.forms import ClientAccountForm, CompleteTaskForm, OpenDossierForm
from webapp.office.logbook import logbook
from webapp.office.publishing import publish_for_task
from webapp.paging import paginate
from webapp.quota_messages import limit_message
from webapp.theming import show_office


def _templates() -> TemplateRegistry:
    return TemplateRegistry.from_folder(current_app.config.get("TEMPLATES_PATH"))


@bp.route("/")
def list_dossiers():
    search = request.args.get("q", "")[:100]
    status = request.args.get("status", "open")
    statuses = [status] if status in ("open", "failed", "completed", "cancelled") else []
    query = dossiers_for(current_user, search=search, statuses=statuses).options(
        joinedload(Dossier.organisation)  # each row names its client: not a query per row
    )
    page = paginate(db.session, query, request.args.get("page", 1, type=int))
    ids = [d.id for d in page.items]
    return render_template(
        "office/dossiers.html",
        page=page,
        search=search,
        status=status,
        progress=progress_of(db.session, ids),
        current=current_steps(db.session, ids),
    )


@bp.route("/dossiers/new", methods=["GET", "POST"])
def new_dossier():
    registry = _templates()
    form = OpenDossierForm()
    organisations = _organisations()
    form.organisation_id.choices = [
        SelectChoice(o.id, f"{o.name} ({o.client_number})") for o in organisations
    ]
    office_kinds = {o.office.kind for o in organisations}
    form.template_key.choices = [
        SelectChoice(t.key, f"{t.title(_locale())} (v{t.version})")
        for t in registry.all_latest()
        if t.office_kind in office_kinds
    ]
    if form.validate_on_submit():
        try:
            dossier = open_dossier(
                db.session,
                template=registry.latest(form.template_key.data),
                organisation_id=form.organisation_id.data,
                description=form.description.data,
                actor=current_user,
            )
        except NotAllowed:
            form.template_key.errors.append(
                _("Dit zaaktype hoort niet bij het kantoor van deze cliënt.")
            )
        else:
            flash(_("Dossier %(number)s is geopend.", number=dossier.number), "success")
            return redirect(url_for("office.show_dossier", dossier_id=dossier.id))
    return render_template("office/new_dossier.html", form=form)


@bp.route("/dossiers/<int:dossier_id>")
def show_dossier(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user, with_steps=True)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.dossier_id == dossier.id)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    tasks = {
        t.step_id: t
        for t in db.session.scalars(select(HumanTask).where(HumanTask.dossier_id == dossier.id))
    }
    show_office(dossier.office)
    return render_template(
        "office/dossier.html",
        may_publish=may_publish(current_user, dossier),
        publish_form=PublishDocumentForm(),
        documents={
            folder: documents_in(db.session, dossier.id, folder, current_user, drafts=True)
            for folder in ("correspondence", "documents", "supplied")
        },
        dossier=dossier,
        progress=progress_in(dossier),
        logbook=logbook(db.session, dossier, events, _locale()),
        tasks=tasks,
        form=CompleteTaskForm(),
        prefect_ui=current_app.config["PREFECT_UI_URL"],
        draft=Draft(),
        **messages_page(dossier),
    )


@bp.route("/tasks")
def my_tasks():
    mine_only = request.args.get("all") != "1"
    tasks = db.session.scalars(open_staff_tasks(current_user, mine_only=mine_only)).all()
    return render_template(
        "office/tasks.html", tasks=tasks, mine_only=mine_only, form=CompleteTaskForm()
    )


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
def complete_task(task_id: int):
    form = CompleteTaskForm()
    task = db.session.get(HumanTask, task_id)
    back = request.form.get("back") == "dossier" and task
    target = (
        url_for("office.show_dossier", dossier_id=task.dossier_id)
        if back
        else url_for("office.my_tasks")
    )
    if not form.validate():
        flash(_("Vul een geldige datum in."), "error")
        return redirect(target)
    if task is not None and task.kind == "publish":  # its form carries the document
        return publish_for_task(task_id, target)
    if task is not None and task.kind == "approval":  # the document to put up for approval
        return place_for_task(task_id, target)
    try:
        task = complete_staff_task(
            db.session, task_id=task_id, actor=current_user, key_date=form.key_date.data
        )
    except NotAllowed:
        flash(_("Deze stap is voor een manager."), "error")
    except MissingDate:
        flash(_("Deze stap vraagt om een datum."), "error")
    except InvalidState:
        flash(_("Deze stap was al afgerond."), "info")
    else:
        flash(_("Stap '%(step)s' is afgerond.", step=task.step.title(_locale())), "success")
    return redirect(target)


@bp.route("/accounts/new", methods=["GET", "POST"])
def new_client_account():
    """Give a person access to a client organisation (notary manual §1.1): a new account gets
    the first activation mail, an existing one an invitation to accept. The answer is the same
    whatever the address belongs to, and comes as late (services.invitations)."""
    form = ClientAccountForm()
    form.organisation_id.choices = [
        SelectChoice(o.id, f"{o.name} ({o.client_number})") for o in _organisations()
    ]
    if form.validate_on_submit():
        answer_no_sooner_than(ACCESS_ANSWER_SECONDS)
        try:
            give_access(
                db.session, organisation_id=form.organisation_id.data, email=form.email.data,
                name=form.name.data, locale=form.locale.data, actor=current_user,
                rights=Rights(approve=form.can_approve.data, administer=form.is_admin.data),
                start_link=external_url("auth.start_account"),
            )  # fmt: skip
        except QuotaExceeded as exc:  # the form again, as typed, with from when
            form.email.errors.append(limit_message(exc))
            return render_template("office/new_account.html", form=form), 429
        flash(_("%(email)s krijgt een e-mail. Is het een nieuw account, dan stelt de persoon "
                "het daarmee in; heeft de persoon al een account, dan krijgt die toegang zodra "
                "hij de uitnodiging na het inloggen aanneemt.", email=form.email.data),
              "success")  # fmt: skip
        return redirect(url_for("office.new_client_account"))
    return render_template("office/new_account.html", form=form)


#: The Accounts page answers this long after the request, whatever the address belongs to.
ACCESS_ANSWER_SECONDS = 0.3


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(organisations_of(current_user)))


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())
