"""The office's news as its clients see it (accountancy manual, "Actueel"): the items for the
organisation one works in, newest first, and one item in full; the Home page shows the newest.
casemodel.services.news decides what a member sees."""

from __future__ import annotations

from flask import g, render_template, request
from flask_login import current_user

from casemodel.services.news import get_news_for, news_for
from webapp.extensions import db
from webapp.paging import paginate
from webapp.portal import bp


def _organisation_id() -> int | None:
    return g.organisation.id if g.organisation else None


@bp.app_template_global("latest_news")
def latest_news(count: int = 3) -> list:
    """The newest items for the organisation the client works in (the Home page's tile)."""
    query = news_for(db.session, current_user, _organisation_id()).limit(count)
    return list(db.session.scalars(query))


@bp.route("/news")
def list_news():
    page = paginate(db.session, news_for(db.session, current_user, _organisation_id()),
                    request.args.get("page", 1, type=int))  # fmt: skip
    return render_template("portal/news.html", page=page)


@bp.route("/news/<int:news_item_id>")
def show_news(news_item_id: int):
    item = get_news_for(db.session, news_item_id, current_user, _organisation_id())
    return render_template("portal/news_item.html", item=item)
