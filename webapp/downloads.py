"""Downloads out of the file store, for the views: audited, and sent as attachments that no
browser renders in place or keeps. The callers have authorised them (casemodel.queries)."""

from __future__ import annotations

from flask import request, send_file
from flask_login import current_user

from casemodel.models import ArchivedFile, Document, DocumentVersion
from casemodel.services.documents import record_download
from casemodel.services.uploads import record_archive_download
from webapp.extensions import db, file_store


def download_document(document: Document, version: DocumentVersion):
    """Send a document's version to the current user: audited, and marked read up to it. The
    caller has authorised it (casemodel.queries.documents.get_version_for)."""
    record_download(
        db.session, document=document, version=version, user=current_user,
        ip=request.remote_addr,
    )  # fmt: skip
    return send_stored(version.sha256, version.content_type, version.filename)


def download_archived(archived: ArchivedFile):
    """Send a file of an organisation's archive to the current user, audited. The caller has
    authorised it (casemodel.queries.archive.get_archived_file_for)."""
    record_archive_download(db.session, archived=archived, user=current_user,
                            ip=request.remote_addr)  # fmt: skip
    return send_stored(archived.sha256, archived.content_type, archived.filename)


def send_stored(sha256: str, content_type: str, filename: str):
    """Stored bytes as an attachment under their (sanitised) name: Werkzeug writes
    `attachment; filename="<ASCII>"` and, for a name beyond ASCII, `filename*=UTF-8''<name>`
    (RFC 6266, RFC 5987). Never cached: these are clients' passports and tax returns."""
    response = send_file(
        file_store().path(sha256),
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
        conditional=True,
        etag=sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
