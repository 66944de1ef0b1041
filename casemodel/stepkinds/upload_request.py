"""The `upload_request` step kind: the office asks the client for specific files and waits.

    - key: records
      title: {nl: Stukken aanleveren, en: Supply your records}
      kind: upload_request
      settings:
        files:
          - {key: salary, title: {nl: Jaaropgave, en: Annual statement}}
          - {key: other, title: {nl: Overig, en: Other}, required: false}
        instructions: {nl: .., en: ..}   # optional

The step opens a client task (the client's "Acties" count follows) and tells the client by mail.
The client supplies files per requested item (they land under "Door mij aangeleverd"), may
remove one again while the request is open, and sends the request once every required item has
a file: that finishes the step, queues the flow run's resumption and tells the handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from casemodel.filestore import StoredFile
from casemodel.models import Document, DocumentRead, HumanTask, Step, User
from casemodel.services.audit import record_event
from casemodel.services.documents import supply_document
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.notifications import client_users, notify
from casemodel.services.quotas import charge
from casemodel.services.rights import require_right
from casemodel.services.steps import close_task, open_human_task
from casemodel.stepkinds.base import Settings, StepKind, bilingual, key, only


def check_settings(settings: Settings, office_kind: str) -> None:
    only(settings, {"files", "instructions"})
    files = settings.get("files")
    if not isinstance(files, list) or not files:
        raise ValueError("settings.files must be a list of the files asked for")
    seen = set()
    for number, item in enumerate(files, start=1):
        where = f"settings.files[{number}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a mapping with key and title")
        unknown = set(item) - {"key", "title", "required"}
        if unknown:
            raise ValueError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
        item_key = key(item.get("key"), f"{where}.key")
        if item_key in seen:
            raise ValueError(f"{where}: the key {item_key!r} is used twice")
        seen.add(item_key)
        bilingual(item.get("title"), f"{where}.title")
        if not isinstance(item.get("required", True), bool):
            raise ValueError(f"{where}.required must be true or false")
    if "instructions" in settings:
        bilingual(settings["instructions"], "settings.instructions")


@dataclass(frozen=True)
class RequestedFile:
    """One file the step asks for, as the template names it."""

    key: str
    title_nl: str
    title_en: str
    required: bool

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_nl


class MissingFiles(InvalidState):
    """The request is sent before every required file is there; `keys` names the missing."""

    def __init__(self, keys: list[str]):
        super().__init__(f"missing: {', '.join(keys)}")
        self.keys = keys


def requested_files(step: Step) -> list[RequestedFile]:
    """The items of an upload_request step, in the template's order."""
    return [
        RequestedFile(item["key"], item["title"]["nl"].strip(), item["title"]["en"].strip(),
                      item.get("required", True))
        for item in step.settings["files"]
    ]  # fmt: skip


def open_upload_request(session: Session, *, dossier_id: int, step_key: str) -> HumanTask:
    """Open the client's task for the step, once, and tell the client's people (by the batched
    mail; there is no preference to switch it off: the dossier waits for them)."""
    existing = session.scalar(
        select(HumanTask).join(HumanTask.step).where(
            Step.dossier_id == dossier_id, Step.key == step_key
        )
    )  # fmt: skip
    task = open_human_task(session, dossier_id=dossier_id, step_key=step_key)
    if existing is None and task.state == "open":
        notify(session, users=client_users(session, task.dossier), kind="request",
               dossier_id=dossier_id)  # fmt: skip
    return task


def supplied_files(session: Session, task: HumanTask) -> list[Document]:
    """What the client supplied for the request so far, oldest first."""
    return supplied_per_step(session, task.dossier_id, [task.step.key]).get(task.step.key, [])


def supplied_per_step(
    session: Session, dossier_id: int, step_keys: list[str]
) -> dict[str, list[Document]]:
    """What the client supplied for these requests of the dossier, by step, oldest first: one
    read for all of them (the dossier page shows every open request)."""
    found: dict[str, list[Document]] = {}
    if not step_keys:
        return found
    documents = session.scalars(
        select(Document)
        .options(selectinload(Document.versions))  # the page names each file's newest
        .where(
            Document.dossier_id == dossier_id,
            Document.folder == "supplied",
            Document.step_key.in_(step_keys),
            Document.request_item.is_not(None),
        )
        .order_by(Document.id)
    )
    for document in documents:
        found.setdefault(document.step_key, []).append(document)
    return found


def missing_items(session: Session, task: HumanTask) -> list[str]:
    """The keys of the required items that have no file yet."""
    supplied = {document.request_item for document in supplied_files(session, task)}
    return [f.key for f in requested_files(task.step) if f.required and f.key not in supplied]


def supply_requested_file(
    session: Session,
    *,
    task: HumanTask,
    item_key: str,
    stored: StoredFile,
    filename: str,
    actor: User,
    locale: str = "nl",
) -> Document:
    """One file for one item of an open request (supply_requested_files)."""
    return supply_requested_files(
        session, task=task, files=[(item_key, stored, filename)], actor=actor, locale=locale
    )[0]


def supply_requested_files(
    session: Session,
    *,
    task: HumanTask,
    files: list[tuple[str, StoredFile, str]],
    actor: User,
    locale: str = "nl",
) -> list[Document]:
    """Add stored files (item key, file, the name given) to the items of an open request, all
    or none. The caller has authorised the actor for the task's dossier
    (casemodel.queries.upload_requests.get_upload_request_for).

    Raises:
        NotFound: no such item. InvalidState: the request was sent already.
        QuotaExceeded: more than the client (or their organisation) may upload in the hour.
    """
    check_open(session, task, actor)
    items = [_open_item(task, item_key) for item_key, _stored, _name in files]
    charge(session, "uploads", actor=actor, organisation_id=task.dossier.organisation_id,
           count=len(files), size=sum(stored.size for _key, stored, _name in files))  # fmt: skip
    return [
        supply_document(
            session, dossier=task.dossier, title=f"{item.title(locale)} – {filename}"[:200],
            stored=stored, filename=filename, actor=actor, step_key=task.step.key,
            request_item=item.key,
        )  # fmt: skip
        for item, (_key, stored, filename) in zip(items, files, strict=True)
    ]


def remove_requested_file(
    session: Session, *, task: HumanTask, document_id: int, actor: User
) -> None:
    """Take a supplied file off an open request again (the client picked the wrong one).

    Raises:
        NotFound: the document is not one supplied for this request. InvalidState: sent.
    """
    check_open(session, task, actor)
    document = session.get(Document, document_id)
    if document is None or document not in supplied_files(session, task):
        raise NotFound(f"document {document_id}")
    record_event(
        session, action="document.removed", actor=actor, dossier_id=task.dossier_id,
        detail={"document_id": document.id, "step": task.step.key,
                "item": document.request_item, "title": document.title},
    )  # fmt: skip
    # Its versions and read marks go with it (the store keeps the bytes, content-addressed).
    session.execute(delete(DocumentRead).where(DocumentRead.document_id == document.id))
    for version in document.versions:
        session.delete(version)
    session.delete(document)
    session.flush()


def complete_upload_request(session: Session, *, task: HumanTask, actor: User) -> HumanTask:
    """The client sends the request: the task and the step are done, the flow run's resumption
    is queued and the dossier's handler (else the client's contact person) is told.

    Raises:
        MissingFiles: a required item has no file. InvalidState: sent already.
    """
    check_open(session, task, actor)
    missing = missing_items(session, task)
    if missing:
        raise MissingFiles(missing)
    files = supplied_files(session, task)
    close_task(session, task=task, actor=actor, detail={"supplied": [d.id for d in files]})
    dossier = task.dossier
    staff = dossier.handler or dossier.organisation.contact_person
    if staff is not None:
        for _document in files:  # the digest counts them: "3 bestanden aangeleverd"
            notify(session, users=[staff], kind="upload", dossier_id=dossier.id)
    return task


def check_open(session: Session, task: HumanTask, actor: User) -> None:
    """That the actor may still supply, remove and send: one of the client's people with the
    right to upload (the caller authorised them to see the dossier), while the request is
    open.

    Raises:
        NotAllowed: the office (it asks; the client answers), or a client without the right to
            upload. InvalidState: sent already.
    """
    if actor.is_staff:
        raise NotAllowed("the client answers an upload request")
    require_right(session, actor, task.dossier.organisation_id, "upload")
    if task.state != "open":
        raise InvalidState("the request was sent already")


def _open_item(task: HumanTask, item_key: str) -> RequestedFile:
    for item in requested_files(task.step):
        if item.key == item_key:
            return item
    raise NotFound(f"requested file {item_key!r}")


def start(session: Session, *, dossier_id: int, step_key: str) -> None:
    open_upload_request(session, dossier_id=dossier_id, step_key=step_key)


# The client's own work: not in the engagement letter's list of what the office does.
KIND = StepKind(
    name="upload_request", check_settings=check_settings, start=start, audience="client",
    client_rights=("view", "upload"), in_engagement_letter=False,
)  # fmt: skip
