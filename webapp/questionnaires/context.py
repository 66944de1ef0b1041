"""What other pages show of questionnaires: the "Acties" count in every client page's menu,
the questionnaire blocks of the dossier pages (portal and office)."""

from __future__ import annotations

from flask_babel import get_locale, get_translations
from wtforms import SelectChoice

from casemodel.definitions import questionnaire_definitions
from casemodel.queries.questionnaires import questionnaires_in
from casemodel.services.questionnaires import definition_of
from forms import Language
from webapp.client_actions import open_action_count
from webapp.extensions import db
from webapp.questionnaires import bp
from webapp.questionnaires.forms import ReworkForm, SendQuestionnaireForm


def page_language() -> Language:
    """The language of this request, for forms' texts and messages."""
    return Language(str(get_locale()), get_translations())


def send_form(dossier) -> SendQuestionnaireForm:
    """The office's form to send a questionnaire ad hoc: the newest version of each
    definition for this kind of office."""
    form = SendQuestionnaireForm()
    locale = str(get_locale())
    form.definition_key.choices = [
        SelectChoice(definition.key, f"{definition.title.get(locale)} (v{definition.version})")
        for definition in questionnaire_definitions().all_latest()
        if definition.office_kind == dossier.office.kind
    ]
    return form


@bp.app_context_processor
def _questionnaire_context():
    return {
        "open_action_count": open_action_count,
        "questionnaires_of": lambda dossier, withdrawn=False: questionnaires_in(
            db.session, dossier.id, withdrawn=withdrawn
        ),
        "questionnaire_title": lambda questionnaire: definition_of(questionnaire).title.get(
            str(get_locale())
        ),
        "send_questionnaire_form": send_form,
        "rework_form": ReworkForm,
    }
