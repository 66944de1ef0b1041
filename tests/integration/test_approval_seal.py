"""The approval certificate sealed with the office's signing certificate (pyHanko): a
self-signed one made here with `cryptography`, configured as README says; the seal validates
against it, covers the whole file, and the text under it is the evidence."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from casemodel.filestore import FileStore
from casemodel.services.approvals import Outcome
from tests.approvals import accountancy_case, approved_with_authenticator, own_file_store


def self_signed(tmp_path) -> tuple[str, str]:
    """A PKCS#12 file with a self-signed seal certificate, and the certificate as PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kantoor seal (test)"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kantoor seal")])  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    bundle = tmp_path / "seal.p12"
    bundle.write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", key, certificate, None,
        serialization.BestAvailableEncryption(b"geheim"),
    ))  # fmt: skip
    pem = tmp_path / "seal.pem"
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(bundle), str(pem)


@pytest.fixture
def store(tmp_path, monkeypatch) -> FileStore:
    return own_file_store(tmp_path, monkeypatch)


def test_a_configured_signing_certificate_seals_the_certificate(
    session, store, tmp_path, monkeypatch
):
    bundle, pem = self_signed(tmp_path)
    monkeypatch.setenv("DOSSIERFLOW_SEAL_PKCS12", bundle)
    monkeypatch.setenv("DOSSIERFLOW_SEAL_PASSWORD", "geheim")
    case = accountancy_case(session, store, "seal")
    result = approved_with_authenticator(session, case.request, case.firm.client, store)
    assert result.outcome is Outcome.APPROVED
    with store.open(result.request.certificate_sha256) as file:
        sealed = file.read()
    [signature] = PdfFileReader(io.BytesIO(sealed)).embedded_signatures
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(pem)])
    status = validate_pdf_signature(signature, trust)
    assert status.intact and status.valid and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert "Kantoor seal (test)" in status.signing_cert.subject.human_friendly
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sealed)).pages)
    assert result.request.document_sha256 in text


def test_without_a_signing_certificate_the_certificate_is_not_sealed(session, store, monkeypatch):
    monkeypatch.delenv("DOSSIERFLOW_SEAL_PKCS12", raising=False)
    monkeypatch.delenv("DOSSIERFLOW_SEAL_KEY", raising=False)
    case = accountancy_case(session, store, "plain")
    result = approved_with_authenticator(session, case.request, case.firm.client, store)
    with store.open(result.request.certificate_sha256) as file:
        assert PdfFileReader(io.BytesIO(file.read())).embedded_signatures == []
