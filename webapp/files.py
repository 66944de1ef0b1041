"""Uploads into and downloads out of the file store, for the views."""

from __future__ import annotations

from flask import current_app, send_file
from werkzeug.datastructures import FileStorage

from casemodel.filestore import FileStore, StoredFile, content_disposition
from casemodel.models import DocumentVersion


def file_store() -> FileStore:
    return FileStore(current_app.config["FILES_PATH"])


def store_upload(upload: FileStorage) -> StoredFile:
    """Stream an uploaded file into the store (raises casemodel.filestore.FileRejected)."""
    return file_store().put(upload.stream, max_bytes=current_app.config["MAX_FILE_BYTES"])


def send_version(version: DocumentVersion):
    """The stored bytes as an attachment that no browser renders in place or keeps."""
    response = send_file(
        file_store().path(version.sha256),
        mimetype=version.content_type,
        conditional=True,
        etag=version.sha256,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(version.filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
