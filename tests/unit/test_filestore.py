"""The file store: content-addressed, streamed, type from content, nothing left on failure."""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
import zipfile

import pytest

from casemodel.filestore import (
    FileRejected,
    FileStore,
    safe_filename,
)
from tests.files import PDF, docx_bytes, pdf_parts


def leftovers(store: FileStore) -> list:
    return list(store.incoming.iterdir()) if store.incoming.exists() else []


def test_a_file_is_stored_under_its_sha256_once(tmp_path):
    store = FileStore(tmp_path)
    first = store.put(io.BytesIO(PDF), max_bytes=1000)
    second = store.put(io.BytesIO(PDF), max_bytes=1000)
    assert first == second
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.size, first.content_type) == (len(PDF), "application/pdf")
    assert store.open(first.sha256).read() == PDF
    assert store.path(first.sha256).relative_to(tmp_path).parts[:2] == (
        first.sha256[:2],
        first.sha256[2:4],
    )
    assert leftovers(store) == []


def test_office_documents_are_recognised_by_their_contents(tmp_path):
    stored = FileStore(tmp_path).put(io.BytesIO(docx_bytes()), max_bytes=10_000)
    assert stored.content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "type_not_allowed"),  # a Windows program named .pdf
        (b"<html><script>alert(1)</script></html>", "type_not_allowed"),
        (b"", "empty"),
        (PDF * 100, "too_large"),
    ],
)
def test_refused_uploads_leave_nothing_behind(tmp_path, content, reason):
    store = FileStore(tmp_path)
    with pytest.raises(FileRejected) as refused:
        store.put(io.BytesIO(content), max_bytes=1000)
    assert refused.value.reason == reason
    assert leftovers(store) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_plain_zip_is_not_a_document(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("virus.exe", "MZ")
    with pytest.raises(FileRejected):
        FileStore(tmp_path).put(io.BytesIO(buffer.getvalue()), max_bytes=10_000)


def test_an_upload_that_breaks_off_leaves_nothing(tmp_path):
    class Broken(io.RawIOBase):
        sent = 0

        def read(self, size=-1):
            self.sent += 1
            if self.sent > 3:
                raise ConnectionResetError("client went away")
            return PDF if self.sent == 1 else b"x" * 1000

    store = FileStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.put(Broken(), max_bytes=10_000_000)
    assert leftovers(store) == []


def test_memory_stays_flat_whatever_the_size(tmp_path):
    padding = 40 * 1024 * 1024
    prefix, suffix = pdf_parts(padding)

    class Generated(io.RawIOBase):
        """A 40 MB PDF without holding 40 MB anywhere."""

        left = padding
        parts = [prefix]

        def read(self, size=-1):
            if self.parts:
                return self.parts.pop()
            if self.left <= 0:
                return b""
            if self.left <= 1024 * 1024:
                self.parts.append(suffix)
            chunk = b"x" * min(1024 * 1024, self.left)
            self.left -= len(chunk)
            return chunk

    tracemalloc.start()
    stored = FileStore(tmp_path).put(Generated(), max_bytes=100 * 1024 * 1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert stored.size == len(prefix) + padding + len(suffix)
    assert stored.content_type == "application/pdf"
    assert peak < 8 * 1024 * 1024


def test_display_names_are_made_safe():
    assert safe_filename("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert safe_filename("C:\\Users\\jan\\paspoort.exe", "image/jpeg") == "paspoort.jpg"
    assert safe_filename("\x00\x1b[31m.hidden.pdf", "application/pdf") == "[31m.hidden.pdf"
    assert safe_filename("", "application/pdf") == "document.pdf"
    assert len(safe_filename("a" * 500 + ".pdf", "application/pdf")) == 144


# --- the sweep's side: files left alone, and a put that crosses a removal ----------------------

HOUR = 3600


def age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_only_files_left_alone_long_enough_are_offered_and_removed(tmp_path):
    store = FileStore(tmp_path)
    old = store.put(io.BytesIO(PDF), max_bytes=1000).sha256
    new = store.put(io.BytesIO(PDF + b"%new"), max_bytes=1000).sha256
    age(store.path(old), 2 * HOUR)
    store.incoming.mkdir(exist_ok=True)
    (store.incoming / "killed-mid-upload").write_bytes(b"half")
    age(store.incoming / "killed-mid-upload", 2 * HOUR)
    (store.incoming / "uploading-now").write_bytes(b"half")

    assert list(store.untouched_since(HOUR)) == [old]
    assert [path.name for path in store.incoming.iterdir()] == ["uploading-now"]
    assert store.remove_if_untouched(old, HOUR) is True
    assert not store.path(old).exists() and store.path(new).exists()
    assert store.remove_if_untouched(new, HOUR) is False and store.path(new).exists()
    assert store.remove_if_untouched(old, HOUR) is False  # already gone


def test_storing_the_same_bytes_again_makes_the_file_fresh_and_keeps_it(tmp_path):
    store = FileStore(tmp_path)
    sha256 = store.put(io.BytesIO(PDF), max_bytes=1000).sha256
    age(store.path(sha256), 2 * HOUR)
    offered = list(store.untouched_since(HOUR))  # the sweep has seen it as old...
    store.put(io.BytesIO(PDF), max_bytes=1000)  # ...then an upload of the same bytes
    assert offered == [sha256]
    assert store.remove_if_untouched(sha256, HOUR) is False
    assert store.open(sha256).read() == PDF


def test_a_put_while_the_sweep_has_the_file_aside_stores_it_again(tmp_path, monkeypatch):
    store = FileStore(tmp_path)
    sha256 = store.put(io.BytesIO(PDF), max_bytes=1000).sha256
    age(store.path(sha256), 2 * HOUR)
    real_replace = os.replace

    def put_in_between(source, target):
        real_replace(source, target)
        if str(target).endswith(f".sweeping/{sha256}"):
            store.put(io.BytesIO(PDF), max_bytes=1000)  # finds nothing: stores anew

    monkeypatch.setattr(os, "replace", put_in_between)
    assert store.remove_if_untouched(sha256, HOUR) is True  # the old copy went
    assert store.open(sha256).read() == PDF  # the new one is there for its row


def test_a_file_a_stopped_sweep_left_aside_is_put_back(tmp_path):
    store = FileStore(tmp_path)
    sha256 = store.put(io.BytesIO(PDF), max_bytes=1000).sha256
    (tmp_path / ".sweeping").mkdir()
    os.replace(store.path(sha256), tmp_path / ".sweeping" / sha256)
    assert list(store.untouched_since(HOUR)) == []
    assert store.open(sha256).read() == PDF


@pytest.mark.parametrize("declared", ["application/pdf", "image/png", "image/jpeg"])
def test_a_zip_that_declares_itself_another_allowed_type_is_refused(tmp_path, declared):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", declared)
        archive.writestr("payload.exe", b"MZ\x90\x00")
    with pytest.raises(FileRejected) as refused:
        FileStore(tmp_path).put(io.BytesIO(buffer.getvalue()), max_bytes=10_000)
    assert refused.value.reason == "type_not_allowed"
