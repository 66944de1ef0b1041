"""Uploads into and downloads out of the file store, for the views."""

from __future__ import annotations

from urllib.parse import unquote

from flask import current_app, flash, jsonify, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from casemodel.filestore import FileRejected, FileStore, StoredFile, content_disposition
from casemodel.malware import ClamdScanner
from casemodel.models import ArchivedFile, Document, DocumentVersion
from casemodel.services.documents import record_download
from casemodel.services.files import store_upload as store_in
from casemodel.services.uploads import record_archive_download
from webapp.extensions import db


def file_store() -> FileStore:
    """The store, with the malware scanner when one is configured (CLAMD_ADDRESS)."""
    clamd = current_app.config.get("CLAMD_ADDRESS")
    return FileStore(current_app.config["FILES_PATH"],
                     scanner=ClamdScanner(clamd) if clamd else None)  # fmt: skip


def store_upload(upload: FileStorage) -> StoredFile:
    """Stream an uploaded file into the store (raises casemodel.filestore.FileRejected)."""
    return store_in(db.session, file_store(), upload.stream, actor=current_user,
                    max_bytes=current_app.config["MAX_FILE_BYTES"],
                    filename=upload.filename or "")  # fmt: skip


def store_all_or_none(uploads: list[FileStorage]) -> list[StoredFile] | None:
    """Every chosen file into the store before the caller records any, so that a refused file
    leaves none of the others half-done: None, with the reason flashed, when one is refused."""
    stored = []
    for upload in uploads:
        try:
            stored.append(store_upload(upload))
        except FileRejected as refused:
            flash(_("%(name)s: %(reason)s Er is niets geplaatst.", name=upload.filename,
                    reason=file_refused_message(refused.reason)), "error")  # fmt: skip
            return None
    return stored


def store_request_body() -> tuple[StoredFile, str]:
    """Stream a raw request body (one file, as the portal's upload dialog sends it: Uppy with
    formData off) into the store, in one pass and constant memory. The name comes percent-encoded
    in the X-File-Name header. Returns the stored file and its name as the browser gave it.

    A body announced larger than the limit is refused (FileRejected("too_large")) before a byte
    is read; one that turns out larger (no or a false Content-Length) too, with nothing kept.
    """
    limit = current_app.config["MAX_FILE_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise FileRejected("too_large")
    name = unquote(request.headers.get("X-File-Name", ""))[:500]
    stored = store_in(db.session, file_store(), request.stream, max_bytes=limit,
                      actor=current_user, filename=name)  # fmt: skip
    return stored, name


def upload_refused(reason: str):
    """The JSON answer to the upload dialog for a refused file: 413 when too large, else 422."""
    return jsonify(error=file_refused_message(reason)), 413 if reason == "too_large" else 422


def download(document: Document, version: DocumentVersion):
    """Send a document's version to the current user: audited, and marked read up to it. The
    caller has authorised it (casemodel.queries.documents.get_version_for)."""
    record_download(
        db.session, document=document, version=version, user=current_user,
        ip=request.remote_addr,
    )  # fmt: skip
    return send_version(version)


def download_archived(archived: ArchivedFile):
    """Send a file of an organisation's archive to the current user, audited. The caller has
    authorised it (casemodel.queries.archive.get_archived_file_for)."""
    record_archive_download(db.session, archived=archived, user=current_user,
                            ip=request.remote_addr)  # fmt: skip
    return send_stored(archived.sha256, archived.content_type, archived.filename)


def file_refused_message(reason: str) -> str:
    """Why the store refused an upload, in the user's language."""
    if reason == "too_large":
        return _("Het bestand is te groot.")
    if reason == "empty":
        return _("Het bestand is leeg.")
    if reason == "too_complex":
        return _("Dit bestand is te groot of te ingewikkeld om te controleren (uitgepakt is het "
                 "te groot, of het bevat te veel onderdelen). Sla het op een eenvoudiger "
                 "manier op, bijvoorbeeld als PDF.")  # fmt: skip
    if reason == "malware":
        return _("In dit bestand is een virus of ander schadelijk programma gevonden. Het is "
                 "niet geplaatst. Neem contact op met het kantoor als u denkt dat dit niet "
                 "klopt.")  # fmt: skip
    if reason == "scanner_unavailable":
        return _("Het bestand kan nu niet op virussen worden gecontroleerd en is daarom niet "
                 "geplaatst. Probeer het later opnieuw.")  # fmt: skip
    return _("Dit soort bestand kan niet worden geplaatst. Gebruik PDF, JPEG, PNG, Word, Excel "
             "of OpenDocument.")  # fmt: skip


def send_version(version: DocumentVersion):
    """A document version's bytes as a download (see send_stored)."""
    return send_stored(version.sha256, version.content_type, version.filename)


def send_stored(sha256: str, content_type: str, filename: str):
    """Stored bytes as an attachment that no browser renders in place or keeps."""
    response = send_file(
        file_store().path(sha256),
        mimetype=content_type,
        conditional=True,
        etag=sha256,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
