"""Upload requests as the client's dossier page shows them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from casemodel.models import Document, Dossier, HumanTask, User
from casemodel.queries.dossiers import get_dossier_for
from casemodel.services.errors import NotFound
from casemodel.stepkinds.upload_request import RequestedFile, requested_files, supplied_per_step


@dataclass(frozen=True)
class RequestItem:
    file: RequestedFile
    supplied: list[Document]


@dataclass(frozen=True)
class UploadRequest:
    task: HumanTask
    items: list[RequestItem]

    @property
    def ready(self) -> bool:
        """Every required item has a file: the client may send."""
        return all(item.supplied for item in self.items if item.file.required)


def open_upload_requests(session: Session, dossier_id: int) -> list[UploadRequest]:
    """The dossier's open upload requests, oldest first, each item with its supplied files."""
    tasks = session.scalars(
        select(HumanTask)
        .options(joinedload(HumanTask.step))
        .where(
            HumanTask.dossier_id == dossier_id,
            HumanTask.kind == "upload_request",
            HumanTask.state == "open",
        )
        .order_by(HumanTask.id)
    )
    tasks = list(tasks)
    supplied = supplied_per_step(session, dossier_id, [task.step.key for task in tasks])
    requests = []
    for task in tasks:
        documents = supplied.get(task.step.key, [])
        items = [
            RequestItem(file, [d for d in documents if d.request_item == file.key])
            for file in requested_files(task.step)
        ]
        requests.append(UploadRequest(task, items))
    return requests


def get_upload_request_for(
    session: Session, *, dossier_id: int, task_id: int, user: User
) -> tuple[Dossier, HumanTask]:
    """Load and authorise: a dossier the user may see, and an upload request of it; anything
    else answers NotFound, like a request that does not exist."""
    dossier = get_dossier_for(session, dossier_id, user)
    task = session.get(HumanTask, task_id)
    if task is None or task.dossier_id != dossier.id or task.kind != "upload_request":
        raise NotFound(f"upload request {task_id}")
    return dossier, task
