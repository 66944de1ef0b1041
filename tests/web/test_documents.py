"""Documents in a dossier: the office publishes, the client downloads; versions, read state,
the tabs' counts, the download's headers, and nobody else's documents."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from casemodel.models import AuditEvent, Dossier
from tests.files import PDF
from tests.fixtures.web import latest_sms_code  # noqa: F401  (the login fixture uses it)

STAFF = "medewerker@example.nl"
CLIENT = "klant@example.nl"
OTHER_CLIENT = "directeur@example.nl"


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def transfer(web_session) -> Dossier:
    return web_session.scalar(select(Dossier).where(Dossier.description.like("Levering Keizer%")))


def publish(client, dossier, *, title="Ontwerpakte Keizersgracht", content=PDF, name="akte.pdf",
            folder="documents"):  # fmt: skip
    return client.post(
        f"/dossiers/{dossier.id}/documents",
        data={"folder": folder, "title": title, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def document_id(client, dossier) -> int:
    page = client.get(f"/dossiers/{dossier.id}?tab=documents").text
    return int(re.search(r"/documents/(\d+)/download", page)[1])


def test_published_document_shows_unread_and_downloads_with_safe_headers(
    web_app, login, transfer, web_session
):
    office, client = web_app.test_client(), web_app.test_client()
    login(office, STAFF)
    response = publish(office, transfer, name="Akte – Keizersgracht.pdf")
    assert "staat nu in het dossier" in text(office.get(response.headers["Location"]))

    login(client, CLIENT)
    page = text(client.get(f"/dossiers/{transfer.id}?tab=documents"))
    assert "Documenten (1) 1 ongelezen" in page
    assert "Correspondentie (0)" in page
    assert "Ontwerpakte Keizersgracht" in page

    doc = document_id(client, transfer)
    download = client.get(f"/dossiers/{transfer.id}/documents/{doc}/download")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    # RFC 6266: an attachment, an ASCII fallback, and the name itself in UTF-8 (RFC 5987).
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="Akte  Keizersgracht.pdf"; '
        "filename*=UTF-8''Akte%20%E2%80%93%20Keizersgracht.pdf"
    )
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "Documenten (1)" in text(client.get(f"/dossiers/{transfer.id}?tab=documents"))
    assert "ongelezen" not in text(client.get(f"/dossiers/{transfer.id}?tab=documents"))
    event = web_session.scalar(select(AuditEvent).where(AuditEvent.action == "document.downloaded"))
    assert event.detail["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_new_version_keeps_the_old_one_and_is_unread_again(web_app, login, transfer):
    office, client = web_app.test_client(), web_app.test_client()
    login(office, STAFF)
    publish(office, transfer)
    login(client, CLIENT)
    doc = document_id(client, transfer)
    client.get(f"/dossiers/{transfer.id}/documents/{doc}/download")

    second = PDF.replace(b"1.7", b"2.0")
    office.post(
        f"/dossiers/{transfer.id}/documents/{doc}/versions",
        data={"file": (io.BytesIO(second), "akte-v2.pdf")},
        content_type="multipart/form-data",
    )
    page = text(client.get(f"/dossiers/{transfer.id}?tab=documents"))
    assert "1 ongelezen" in page and "nieuwe versie (2)" in page
    latest = client.get(f"/dossiers/{transfer.id}/documents/{doc}/download")
    first = client.get(f"/dossiers/{transfer.id}/documents/{doc}/download?version=1")
    assert (latest.data, first.data) == (second, PDF)


def test_another_organisation_gets_404_on_every_document_route(web_app, login, transfer):
    office, stranger = web_app.test_client(), web_app.test_client()
    login(office, STAFF)
    publish(office, transfer)
    login(stranger, OTHER_CLIENT)
    owner = web_app.test_client()
    login(owner, CLIENT)
    doc = document_id(owner, transfer)
    for path in (
        f"/dossiers/{transfer.id}/documents/{doc}/download",
        f"/dossiers/{transfer.id}/documents/{doc}/download?version=1",
        f"/dossiers/{transfer.id}?tab=documents",
    ):
        assert stranger.get(path).status_code == 404, path
    # A document id under another dossier's id: 404 too, even for its own client.
    other_dossier = transfer.id + 1
    assert owner.get(f"/dossiers/{other_dossier}/documents/{doc}/download").status_code == 404
    # Clients do not publish (services.documents.may_publish), nor add versions, and the file
    # they send is not even stored.
    files = Path(web_app.config["FILES_PATH"])
    before = {p for p in files.rglob("*") if p.is_file()}
    assert publish(owner, transfer, content=PDF + b"client").status_code == 403
    version = owner.post(f"/dossiers/{transfer.id}/documents/{doc}/versions",
                         data={"file": (io.BytesIO(PDF + b"v2"), "akte.pdf")},
                         content_type="multipart/form-data")  # fmt: skip
    assert version.status_code == 403
    assert {p for p in files.rglob("*") if p.is_file()} == before
    assert document_id(owner, transfer) == doc


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00rest of a program", "akte.pdf", "Dit soort bestand kan niet"),
        (b"<script>alert(1)</script>", "brief.html", "Dit soort bestand kan niet"),
        (b"", "leeg.pdf", "Het bestand is leeg"),
    ],
)
def test_refused_files_say_why_and_publish_nothing(web_app, login, transfer, content, name,
                                                   message):  # fmt: skip
    office = web_app.test_client()
    login(office, STAFF)
    response = publish(office, transfer, content=content, name=name)
    page = text(office.get(response.headers["Location"]))
    assert message in page
    assert "Ontwerpakte Keizersgracht" not in page


def test_an_upload_over_the_limit_is_refused_with_413(web_app, login, transfer, tmp_path):
    office = web_app.test_client()
    login(office, STAFF)
    web_app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = publish(office, transfer, content=PDF + b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    files = [p for p in (tmp_path / "instance" / "files").rglob("*") if p.is_file()]
    assert files == []


def test_markup_in_a_title_is_shown_as_text(web_app, login, transfer):
    office, client = web_app.test_client(), web_app.test_client()
    login(office, STAFF)
    publish(office, transfer, title="<b>Akte</b><script>alert(1)</script>")
    login(client, CLIENT)
    html = client.get(f"/dossiers/{transfer.id}?tab=documents").text
    assert "&lt;b&gt;Akte&lt;/b&gt;&lt;script&gt;" in html
    assert "<script>alert(1)</script>" not in html
