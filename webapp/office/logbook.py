"""The office's logbook of a dossier in words ("Intake afgerond door S. Jansen") instead of the
audit trail's event codes. The events themselves stay as they are (hash-chained, append-only);
this only reads them. An event this does not know is shown by its code, so nothing is hidden."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from casemodel.models import AuditEvent, Document, Dossier, User


@dataclass(frozen=True)
class LogLine:
    event: AuditEvent
    text: str


def short_name(name: str) -> str:
    """"Sanne Jansen" -> "S. Jansen", "Annelies van Dam" -> "A. van Dam": how a logbook names
    people; a single word stays as it is."""
    first, _space, rest = name.strip().partition(" ")
    return f"{first[:1]}. {rest}" if rest else first


def logbook(session, dossier: Dossier, events: list[AuditEvent], locale: str) -> list[LogLine]:
    """The events as sentences, in the same order. One query for the people and one for the
    documents they name, whatever the number of events."""
    people_ids = {e.actor_id for e in events if e.actor_id}
    people_ids |= {e.detail.get("assignee_id") for e in events if e.detail.get("assignee_id")}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people_ids)))}
    document_ids = {e.detail.get("document_id") for e in events if e.detail.get("document_id")}
    titles = {
        row.id: row.title
        for row in session.execute(
            select(Document.id, Document.title).where(Document.id.in_(document_ids))
        )
    }
    steps = {step.key: step.title(locale) for step in dossier.steps}

    def person(user_id) -> str | None:
        user = people.get(user_id)
        return short_name(user.name) if user else None

    def describe(event: AuditEvent) -> str:
        detail = event.detail or {}
        who = person(event.actor_id)
        step = steps.get(detail.get("step"), detail.get("step", ""))
        title = titles.get(detail.get("document_id")) or detail.get("title") or _("een document")
        action = event.action
        if action == "dossier.opened":
            return _("Dossier geopend door %(who)s", who=who) if who else _("Dossier geopend")
        if action == "dossier.flow_run_created":
            return _("Dossier gestart")
        if action == "dossier.completed":
            return _("Dossier afgerond")
        if action == "dossier.date_set":
            return _("Datum ‘%(name)s’ gezet op %(date)s door %(who)s", name=detail.get("name", ""),
                     date=detail.get("date", ""), who=who or "—")  # fmt: skip
        if action == "step.done":
            return (_("%(step)s afgerond door %(who)s", step=step, who=who) if who
                    else _("%(step)s afgerond", step=step))  # fmt: skip
        if action == "step.failed":
            return _("%(step)s mislukt (zie Technische gegevens)", step=step)
        if action == "task.opened":
            return _("%(step)s: wacht op een actie", step=step)
        if action == "document.published":
            return _("‘%(title)s’ geplaatst door %(who)s", title=title, who=who or _("het kantoor"))
        if action == "document.drafted":
            return _("Concept ‘%(title)s’ klaargezet", title=title)
        if action == "document.new_version":
            return _("Nieuwe versie %(version)s van ‘%(title)s’ geplaatst door %(who)s",
                     version=detail.get("version", ""), title=title, who=who or "—")  # fmt: skip
        if action == "document.supplied":
            return _("‘%(title)s’ aangeleverd door %(who)s", title=title, who=who or "—")
        if action == "document.removed":
            return _("‘%(title)s’ verwijderd door %(who)s", title=title, who=who or "—")
        if action == "document.downloaded":
            return _("‘%(title)s’ gedownload door %(who)s", title=title, who=who or "—")
        if action == "message.sent":
            return _("Bericht verstuurd door %(who)s", who=who or "—")
        if action == "message.assigned":
            return _("Bericht toegewezen aan %(assignee)s door %(who)s",
                     assignee=person(detail.get("assignee_id")) or "—", who=who or "—")  # fmt: skip
        return action

    return [LogLine(event, describe(event)) for event in events]
