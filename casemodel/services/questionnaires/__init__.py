"""Questionnaires (notary manual "Acties" and §2.1.2): sent to a client organisation by a
`questionnaire` step or ad hoc by staff, filled in page by page with stop and resume, completed
into a PDF under "Door mij aangeleverd", and sent back for rework by the office.

One definition (forms/) drives the page, the checks, the PDF and the answers the flow gets.

    sending      send_questionnaire (ad hoc), withdraw_questionnaire, create_questionnaire
    filling      resume_at, page_state, save_page (NEXT / PREVIOUS), check_page, summary_state
    completing   complete_questionnaire, send_back, AnswersChanged, InvalidRemark
    step_kind    the `questionnaire` step kind: check_settings, open_for_step,
                 answers_for_step
    answers      definition_of, answers_of, known_files, SUMMARY
    uploads      PostedFiles (forms' UploadStore on the file store)
"""

from casemodel.services.questionnaires.answers import (
    SUMMARY,
    answers_of,
    definition_of,
    known_files,
)
from casemodel.services.questionnaires.completing import (
    MAX_REMARK,
    AnswersChanged,
    InvalidRemark,
    complete_questionnaire,
    send_back,
)
from casemodel.services.questionnaires.filling import (
    NEXT,
    PREVIOUS,
    PageConflict,
    PageOutcome,
    PageState,
    SummaryState,
    check_fillable,
    check_may_fill,
    check_page,
    page_state,
    resume_at,
    save_page,
    summary_state,
)
from casemodel.services.questionnaires.sending import send_questionnaire, withdraw_questionnaire
from casemodel.services.questionnaires.uploads import PostedFiles

__all__ = [
    "MAX_REMARK",
    "NEXT",
    "PREVIOUS",
    "SUMMARY",
    "AnswersChanged",
    "InvalidRemark",
    "PageConflict",
    "PageOutcome",
    "PageState",
    "PostedFiles",
    "SummaryState",
    "answers_of",
    "check_fillable",
    "check_may_fill",
    "check_page",
    "complete_questionnaire",
    "definition_of",
    "known_files",
    "page_state",
    "resume_at",
    "save_page",
    "send_back",
    "send_questionnaire",
    "summary_state",
    "withdraw_questionnaire",
]
