"""Files uploaded ahead of what they belong to: attachments staged for a message, and the
organisation's "Upload" folder (accountancy manual), whose files go straight to the office's
archive and whose contact person is told."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.filestore import StoredFile, safe_filename
from casemodel.models import ArchivedFile, Dossier, Organisation, StagedFile, User
from casemodel.services.audit import record_event
from casemodel.services.errors import NotFound
from casemodel.services.notifications import notify
from casemodel.services.quotas import charge
from casemodel.services.rights import require_right

#: A staged file never sent is dropped after this long (the bytes stay in the store only while
#: something else refers to them).
STAGED_FILE_LIFETIME = dt.timedelta(days=2)


def stage_file(
    session: Session, *, dossier: Dossier, user: User, stored: StoredFile, filename: str
) -> StagedFile:
    """Hold an accepted upload for the user until they send the message it belongs to.

    Raises:
        NotAllowed: a client without the right to upload and send messages.
        QuotaExceeded: the user (or their organisation) uploaded as much as an hour allows.
    """
    check_may_upload(session, user, dossier.organisation_id)
    charge(session, "uploads", actor=user, organisation_id=dossier.organisation_id,
           size=stored.size)  # fmt: skip
    staged = StagedFile(
        user_id=user.id, dossier_id=dossier.id, sha256=stored.sha256, size=stored.size,
        content_type=stored.content_type,
        filename=safe_filename(filename, stored.content_type), created_at=utcnow(),
    )  # fmt: skip
    session.add(staged)
    session.flush()
    return staged


def check_may_upload(session: Session, user: User, organisation_id: int) -> None:
    """That a client may upload for the organisation: their membership holds the right to
    upload and send messages (services.rights). Staff upload for their office's dossiers; the
    caller has authorised them.

    Raises:
        NotFound: not a member. NotAllowed: a member without the right.
    """
    if not user.is_staff:
        require_right(session, user, organisation_id, "upload")


def staged_files_of(
    session: Session, *, user: User, dossier_id: int, ids: list[int]
) -> list[StagedFile]:
    """The user's own staged files of this dossier among ids (anything else is not there)."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(StagedFile)
            .where(
                StagedFile.id.in_(ids),
                StagedFile.user_id == user.id,
                StagedFile.dossier_id == dossier_id,
            )
            .order_by(StagedFile.id)
        )
    )


def remove_staged_file(session: Session, *, user: User, dossier_id: int, staged_id: int) -> None:
    """The bin next to an uploaded attachment, before the message is sent (as uploading, with
    the right to upload: check_may_upload)."""
    dossier = session.get(Dossier, dossier_id)
    check_may_upload(session, user, dossier.organisation_id)
    found = staged_files_of(session, user=user, dossier_id=dossier_id, ids=[staged_id])
    if not found:
        raise NotFound(f"staged file {staged_id}")
    session.delete(found[0])
    session.flush()


def purge_staged_files(session: Session) -> int:
    """Drop staged files left behind longer than STAGED_FILE_LIFETIME; returns how many."""
    result = session.execute(
        delete(StagedFile).where(StagedFile.created_at < utcnow() - STAGED_FILE_LIFETIME)
    )
    return result.rowcount or 0


def archive_upload(
    session: Session, *, organisation: Organisation, user: User, stored: StoredFile, filename: str
) -> ArchivedFile:
    """One file for the "Upload" folder (archive_uploads)."""
    return archive_uploads(session, organisation=organisation, user=user,
                           files=[(stored, filename)])[0]  # fmt: skip


def archive_uploads(
    session: Session, *, organisation: Organisation, user: User,
    files: list[tuple[StoredFile, str]],
) -> list[ArchivedFile]:  # fmt: skip
    """A client's files (stored, and the name given) from the "Upload" folder: into the office's
    archive, audited, and the organisation's contact person is told (batched, so ten files make
    one mail). All or none.

    Raises:
        NotFound, NotAllowed: the user may not upload for the organisation (check_may_upload;
            staff never do: the Upload folder is the client's).
        QuotaExceeded: more than the user (or their organisation) may upload in the hour.
    """
    if user.is_staff:
        raise NotFound(f"the Upload folder of organisation {organisation.id}")
    check_may_upload(session, user, organisation.id)
    charge(session, "uploads", actor=user, organisation_id=organisation.id, count=len(files),
           size=sum(stored.size for stored, _name in files))  # fmt: skip
    archived = [_archive(session, organisation, user, stored, name) for stored, name in files]
    if organisation.contact_person is not None:
        for _file in archived:
            notify(session, users=[organisation.contact_person], kind="upload",
                   organisation_id=organisation.id)  # fmt: skip
    return archived


def _archive(session, organisation, user, stored: StoredFile, filename: str) -> ArchivedFile:
    archived = ArchivedFile(
        organisation_id=organisation.id, sha256=stored.sha256, size=stored.size,
        content_type=stored.content_type,
        filename=safe_filename(filename, stored.content_type),
        uploaded_by_id=user.id, created_at=utcnow(),
    )  # fmt: skip
    session.add(archived)
    session.flush()
    record_event(
        session, action="archive.uploaded", actor=user,
        detail={"organisation_id": organisation.id, "archived_file_id": archived.id,
                "sha256": stored.sha256, "size": stored.size},
    )  # fmt: skip
    return archived


def record_archive_download(
    session: Session, *, archived: ArchivedFile, user: User, ip: str | None
) -> None:
    """Audit a download from an organisation's archive (by the client or the office)."""
    record_event(
        session, action="archive.downloaded", actor=user,
        detail={"archived_file_id": archived.id, "organisation_id": archived.organisation_id,
                "sha256": archived.sha256, "ip": ip},
    )  # fmt: skip
