"""Uploads into the file store, for the views: a form's files all or none, or a raw request body
(the upload dialog), and why the store refused one, in the user's language."""

from __future__ import annotations

from urllib.parse import unquote

from flask import current_app, flash, jsonify, request, session
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from casemodel.filestore import FileRejected, StoredFile
from casemodel.services.stored_files import store_upload as store_in
from webapp.extensions import db, file_store


def store_upload(upload: FileStorage) -> StoredFile:
    """Stream an uploaded file into the store (raises casemodel.filestore.FileRejected)."""
    return store_in(db.session, file_store(), upload.stream, actor=current_user,
                    max_bytes=current_app.config["MAX_FILE_BYTES"],
                    filename=upload.filename or "")  # fmt: skip


#: Why a file of a plain form (no upload dialog) was refused, kept in the session for the page
#: the form leads back to, which shows it next to that form's file field (refused_file).
REFUSED_FILES = "refused_files"


def store_all_or_none(uploads: list[tuple[str, FileStorage]]) -> list[StoredFile] | None:
    """Every chosen file (with the name of the form field it came in) into the store before the
    caller records any, so that a refused file leaves none of the others half-done: None when
    one is refused, with the reason flashed and kept for its field (refused_file)."""
    stored = []
    for field, upload in uploads:
        try:
            stored.append(store_upload(upload))
        except FileRejected as refused:
            message = _("%(name)s: %(reason)s Er is niets geplaatst.", name=upload.filename,
                        reason=file_refused_message(refused.reason))  # fmt: skip
            flash(message, "error")
            kept = dict(session.get(REFUSED_FILES, {}))
            kept[f"{request.path}#{field}"] = message
            session[REFUSED_FILES] = kept
            return None
    return stored


def refused_file(action: str, field: str) -> str | None:
    """Why the file last posted to this form (its action) in this field was refused, once
    (a template global: the file field shows it); None when it was not."""
    kept = session.get(REFUSED_FILES)
    key = f"{action}#{field}"
    if not kept or key not in kept:
        return None
    kept = dict(kept)
    message = kept.pop(key)
    if kept:
        session[REFUSED_FILES] = kept
    else:
        session.pop(REFUSED_FILES)
    return message


def store_form_file(field: str = "file") -> tuple[StoredFile, str] | None:
    """The one file of a form's file field, stored, with the name it was given; None, with
    the reason flashed, when none was chosen or it is refused."""
    upload = request.files.get(field)
    if not upload or not upload.filename:
        flash(_("Kies een bestand."), "error")
        return None
    stored = store_all_or_none([(field, upload)])
    return (stored[0], upload.filename) if stored else None


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
