"""The office's news as its clients see it (accountancy manual, "Actueel"): the items for the
organisation one works in, newest first, and one item in full; the Home page shows the newest.
On the same page the person chooses the topics they want ("voorkeuren"). casemodel.services.news
decides what a member sees."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from casemodel.news_topics import NEWS_TOPICS, TOPIC_LABELS
from casemodel.services.news import UnknownNewsTopics, get_news_for, news_for, set_news_interests
from webapp.audience import acting_organisation_id
from webapp.extensions import db
from webapp.form_base import Form
from webapp.paging import paginate
from webapp.portal import bp


class NewsInterestsForm(Form):
    # validate_choice off: casemodel refuses an unknown key, with our own message.
    topics = SelectMultipleField(
        _l("Onderwerpen"), validate_choice=False,
        choices=[SelectChoice(topic.key, _l(topic.label)) for topic in NEWS_TOPICS],
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
    )  # fmt: skip


@bp.app_template_global("news_topic_label")
def news_topic_label(key: str | None) -> str:
    """A topic's label in the reader's language; "" for general news (no topic)."""
    return _(TOPIC_LABELS[key]) if key in TOPIC_LABELS else ""


@bp.app_template_global("latest_news")
def latest_news(count: int = 3) -> list:
    """The newest items for the organisation the client works in (the Home page's tile)."""
    query = news_for(db.session, current_user, acting_organisation_id()).limit(count)
    return list(db.session.scalars(query))


def _page(form: NewsInterestsForm, status: int = 200):
    page = paginate(db.session, news_for(db.session, current_user, acting_organisation_id()),
                    request.args.get("page", 1, type=int))  # fmt: skip
    return render_template("portal/news.html", page=page, form=form), status


@bp.route("/news")
def list_news():
    return _page(NewsInterestsForm(formdata=None, topics=current_user.news_topics))


@bp.route("/news/interests", methods=["POST"])
def save_news_interests():
    form = NewsInterestsForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        set_news_interests(db.session, user=current_user, topics=form.topics.data or [])
    except UnknownNewsTopics:
        form.topics.errors.append(_("Kies alleen onderwerpen uit de lijst."))
        return _page(form, 422)
    if current_user.news_topics:
        flash(_("Uw voorkeuren zijn bewaard: u ziet het algemene nieuws en het nieuws over de "
                "onderwerpen die u koos."), "success")  # fmt: skip
    else:
        flash(_("Uw voorkeuren zijn bewaard: u ziet al het nieuws."), "success")
    return redirect(url_for("portal.list_news"))


@bp.route("/news/<int:news_item_id>")
def show_news(news_item_id: int):
    item = get_news_for(db.session, news_item_id, current_user, acting_organisation_id())
    return render_template("portal/news_item.html", item=item)
