"""What the client is asked to do, in one list: open questionnaires, upload requests and
approvals of the organisation they act for that this person may do. "Acties" lists them, and
the dossier pages say from them who acts next ("Uw actie" or "Kantoor is bezig").

Every client page shows them (the menu's count), so they are one statement of the columns
shown, not entities: a SELECT per kind, UNION ALL, in the column order of ACTION_COLUMNS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    false,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from casemodel.definitions import questionnaire_definitions
from casemodel.models import (
    ApprovalRequest,
    Document,
    Dossier,
    HumanTask,
    Questionnaire,
    Step,
    User,
)
from casemodel.queries.approvals import waiting_in
from casemodel.queries.dossiers import visible_dossiers
from casemodel.services.approvals.rights import may_approve_each
from casemodel.services.rights import organisations_where
from casemodel.stepkinds import kind_of


class ActionDossier(NamedTuple):
    """What an action shows of its dossier."""

    id: int
    number: str
    description: str


@dataclass(frozen=True)
class Action:
    """One thing the client organisation is asked to do."""

    #: "questionnaire", "upload_request" or "approval"
    kind: str
    #: The questionnaire's id, the upload request's task id, or the approval request's id.
    id: int
    dossier: ActionDossier
    title_nl: str
    title_en: str
    due_date: dt.date | None
    sent_at: dt.datetime
    #: The office's remark when it sent a questionnaire back for rework.
    remark: str | None = None
    #: Some of it is done already (a questionnaire with saved pages).
    started: bool = False
    #: The dossier's step it belongs to (None: a questionnaire staff sent ad hoc).
    step_id: int | None = None

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_nl


#: The columns of each kind's SELECT, in this order (None where a kind has no such thing).
ACTION_COLUMNS = (
    "kind", "id", "dossier_id", "number", "description", "title_nl", "title_en",
    "definition_key", "version", "due_date", "sent_at", "remark", "started", "step_id",
    "organisation_id", "document_kind_id",
)  # fmt: skip

#: The dossier of an action under its own name: the IN (the visible dossiers) of each kind
#: must not correlate with it. Made once: an alias adapts each column it is asked for anew.
_dossier = aliased(Dossier, name="action_dossier")


def client_actions(session: Session, user: User, organisation_id: int | None) -> list[Action]:
    """Every open action of the organisation this person may do, the first due first (those
    without a due date after them, oldest first)."""
    rows = session.execute(
        union_all(
            _questionnaires(user, organisation_id),
            _upload_requests(user, organisation_id),
            _approvals(user, organisation_id),
        )
    )
    may_approve = may_approve_each(session, user)
    actions = []
    for row in rows:
        fields = dict(zip(ACTION_COLUMNS, row, strict=True))
        title_nl, title_en = fields["title_nl"], fields["title_en"]
        if row.kind == "questionnaire":
            definitions = questionnaire_definitions()
            title = definitions.get(fields["definition_key"], fields["version"]).title
            title_nl, title_en = title.nl, title.en
        elif row.kind == "approval":
            if not may_approve(fields["organisation_id"], fields["document_kind_id"]):
                continue
            title_nl = title_en = f"{fields['title_nl']} (v{fields['version']})"
        actions.append(
            Action(
                row.kind, fields["id"],
                ActionDossier(fields["dossier_id"], fields["number"], fields["description"]),
                title_nl, title_en, fields["due_date"], fields["sent_at"],
                remark=fields["remark"], started=bool(fields["started"]),
                step_id=fields["step_id"],
            )
        )  # fmt: skip
    return sorted(actions, key=action_order)


def action_order(action: Action) -> tuple:
    """The first due first; those without a due date after them, oldest first."""
    return (action.due_date is None, action.due_date or dt.date.min, action.sent_at, action.id)


def actions_per_dossier(actions: list[Action]) -> dict[int, list[Action]]:
    """The actions by dossier id, each dossier's in the order given."""
    found: dict[int, list[Action]] = {}
    for action in actions:
        found.setdefault(action.dossier.id, []).append(action)
    return found


def _none(type_) -> ColumnElement:
    """A NULL of a type: PostgreSQL matches a UNION's columns by type, and an untyped NULL is
    text to it."""
    return cast(null(), type_)


def _may_do(user: User, kind: str) -> Select:
    """The organisations where the person holds every right the step kind asks of a client."""
    return organisations_where(user, *kind_of(kind).client_rights, every=True)


def _questionnaires(user: User, organisation_id: int | None) -> Select:
    """The open questionnaires sent to the organisation, if the person may fill them in. The
    first SELECT of the UNION: its columns give the result its types."""
    return (
        select(
            literal("questionnaire").label("kind"), Questionnaire.id, _dossier.id,
            _dossier.number, _dossier.description, _none(String).label("title_nl"),
            _none(String).label("title_en"), Questionnaire.definition_key,
            Questionnaire.definition_version, Questionnaire.due_date, Questionnaire.sent_at,
            case((Questionnaire.rework_requested_at.is_not(None), Questionnaire.rework_remark),
                 else_=_none(Text)).label("remark"),
            Questionnaire.current_page.is_not(None).label("started"), Questionnaire.step_id,
            Questionnaire.organisation_id, _none(Integer).label("document_kind_id"),
        )
        .join(_dossier, Questionnaire.dossier_id == _dossier.id)
        .where(
            Questionnaire.state == "open",
            Questionnaire.organisation_id == organisation_id,
            Questionnaire.organisation_id.in_(_may_do(user, "questionnaire")),
        )
    )  # fmt: skip


def _upload_requests(user: User, organisation_id: int | None) -> Select:
    """The open upload requests to the client in the organisation's dossiers the person sees,
    if they may upload."""
    visible = (
        visible_dossiers(user, organisation_id)
        .where(Dossier.organisation_id.in_(_may_do(user, "upload_request")))
        .with_only_columns(Dossier.id)
    )
    return (
        select(
            literal("upload_request"), HumanTask.id, _dossier.id, _dossier.number,
            _dossier.description, Step.title_nl, Step.title_en, _none(String),
            _none(Integer), _none(Date), HumanTask.created_at, _none(Text), false(),
            HumanTask.step_id, _dossier.organisation_id, _none(Integer),
        )
        .join(_dossier, HumanTask.dossier_id == _dossier.id)
        .join(Step, HumanTask.step_id == Step.id)
        .where(
            HumanTask.kind == "upload_request",
            HumanTask.audience == "client",
            HumanTask.state == "open",
            HumanTask.dossier_id.in_(visible),
        )
    )  # fmt: skip


def _approvals(user: User, organisation_id: int | None) -> Select:
    """The open approval requests of the organisation (queries.approvals.waiting_in); whether
    this person may approve each is decided after (may_approve_each, by the document's kind)."""
    return (
        select(
            literal("approval"), ApprovalRequest.id, _dossier.id, _dossier.number,
            _dossier.description, Document.title, _none(String), _none(String),
            ApprovalRequest.version, ApprovalRequest.due_date, ApprovalRequest.created_at,
            _none(Text), false(),
            ApprovalRequest.step_id, ApprovalRequest.organisation_id, Document.kind_id,
        )
        .join(_dossier, ApprovalRequest.dossier_id == _dossier.id)
        .join(Document, ApprovalRequest.document_id == Document.id)
        .where(*waiting_in(user, organisation_id))
    )  # fmt: skip
