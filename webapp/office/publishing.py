"""Staff upload the document a waiting `publish` step asks for ("Mijn stappen", the dossier
page): the form of that task posts here through office.complete_task."""

from flask import flash, redirect
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.services.errors import InvalidState
from casemodel.services.publishing import complete_publish_task
from webapp.extensions import db
from webapp.outbox import deliver_after_commit
from webapp.uploads import store_form_file


def publish_for_task(task_id: int, target: str):
    """Store the uploaded file, publish it for the step and finish the step; then back."""
    upload = store_form_file()
    if upload is None:
        return redirect(target)
    try:
        document = complete_publish_task(
            db.session, task_id=task_id, actor=current_user, stored=upload[0],
            filename=upload[1],
        )  # fmt: skip
    except InvalidState:
        flash(_("Deze stap was al afgerond."), "info")
    else:
        deliver_after_commit()
        flash(_("'%(title)s' staat nu in het dossier; de stap is afgerond.",
                title=document.title), "success")  # fmt: skip
    return redirect(target)
