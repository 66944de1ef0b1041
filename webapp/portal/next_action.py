"""Who acts next on a dossier, as the client's pages say it: "Uw actie" with a link to what
they must do, or "Kantoor is bezig". Which tasks wait for the client is casemodel's
(queries.tasks.open_client_tasks); where each kind of task is done is the portal's."""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

from casemodel.models import HumanTask

#: Where the client does a task of each kind. A feature that adds a kind of client task (a
#: questionnaire, an approval) adds its page here.
TASK_PAGES: dict[str, Callable[[HumanTask], str]] = {
    "upload_request": lambda task: url_for("portal.show_dossier", dossier_id=task.dossier_id)
    + "#requests",
}


def task_url(task: HumanTask) -> str:
    """The page where the client does the task (the dossier's page for a kind not listed)."""
    page = TASK_PAGES.get(task.kind)
    return page(task) if page else url_for("portal.show_dossier", dossier_id=task.dossier_id)
