"""The office's news for its clients (accountancy manual, "Actueel"): staff publish an item for
all the office's clients or for chosen organisations, see what was published, and withdraw an
item. casemodel.services.news decides who sees it and who is told by mail."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from casemodel.models import Office, Organisation
from casemodel.news_topics import NEWS_TOPICS
from casemodel.services.news import (
    MAX_BODY,
    MAX_TITLE,
    InvalidNews,
    news_of_office,
    publish_news,
    withdraw_news,
)
from webapp.extensions import db
from webapp.form_base import Form
from webapp.office import bp
from webapp.paging import paginate


class NewsForm(Form):
    title = StringField(_l("Titel"))
    body = TextAreaField(_l("Tekst"))
    audience = RadioField(
        _l("Voor wie"), default="all",
        choices=[SelectChoice("all", _l("Alle cliënten van het kantoor")),
                 SelectChoice("chosen", _l("Alleen de cliënten die ik hieronder kies"))],
    )  # fmt: skip
    # validate_choice off: casemodel refuses an unknown topic, with our own message.
    topic = SelectField(
        _l("Onderwerp"), default="", validate_choice=False,
        choices=[SelectChoice("", _l("Algemeen (voor iedereen)"))]
        + [SelectChoice(topic.key, _l(topic.label)) for topic in NEWS_TOPICS],
    )  # fmt: skip
    organisations = SelectMultipleField(
        _l("Cliënten"), coerce=int, validate_choice=False,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
    )  # fmt: skip


def _office() -> Office:
    """The office asked for (?office_id=), or the staff member's first."""
    office_id = request.args.get("office_id", type=int)
    if office_id is None:
        if not current_user.offices:
            abort(404)
        office_id = current_user.offices[0].id
    office = db.session.get(Office, office_id)
    if office is None or not current_user.works_for(office_id):
        abort(404)
    return office


def _page(office: Office, form: NewsForm, status: int = 200):
    form.organisations.choices = [
        SelectChoice(o.id, f"{o.name} ({o.client_number})")
        for o in db.session.scalars(
            select(Organisation).where(Organisation.office_id == office.id)
            .order_by(Organisation.name)
        )
    ]  # fmt: skip
    page = paginate(db.session, news_of_office(select(Office.id).where(Office.id == office.id)),
                    request.args.get("page", 1, type=int))  # fmt: skip
    return render_template(
        "office/news.html", office=office, form=form, page=page, offices=current_user.offices,
        max_title=MAX_TITLE, max_body=MAX_BODY,
    ), status  # fmt: skip


@bp.route("/news")
def list_news():
    return _page(_office(), NewsForm(formdata=None))


@bp.route("/news", methods=["POST"])
def publish():
    office = _office()
    form = NewsForm()
    if not form.validate_on_submit():
        return _page(office, form, 422)
    chosen = (form.organisations.data or []) if form.audience.data == "chosen" else None
    try:
        publish_news(db.session, office_id=office.id, title=form.title.data or "",
                     body=form.body.data or "", organisation_ids=chosen,
                     topic=form.topic.data or None, actor=current_user)  # fmt: skip
    except InvalidNews as refused:
        for field, problem in refused.problems.items():
            form[field if field != "audience" else "organisations"].errors.append(
                _problem(problem)
            )
        return _page(office, form, 422)
    flash(_("Het nieuwsbericht is gepubliceerd."), "success")
    return redirect(url_for("office.list_news", office_id=office.id))


@bp.route("/news/<int:news_item_id>/withdraw", methods=["POST"])
def withdraw(news_item_id: int):
    withdraw_news(db.session, news_item_id=news_item_id, actor=current_user)
    flash(_("Het nieuwsbericht is ingetrokken; cliënten zien het niet meer."), "success")
    return redirect(url_for("office.list_news", office_id=request.args.get("office_id")))


def _problem(code: str) -> str:
    return {
        "title_required": _("Geef het bericht een titel."),
        "title_too_long": _("De titel is te lang: ten hoogste %(max)s tekens.", max=MAX_TITLE),
        "body_required": _("Schrijf de tekst van het bericht."),
        "body_too_long": _("De tekst is te lang: ten hoogste %(max)s tekens.", max=MAX_BODY),
        "audience_required": _("Kies ten minste één cliënt, of kies alle cliënten."),
        "topic_unknown": _("Kies een onderwerp uit de lijst, of Algemeen."),
    }[code]

