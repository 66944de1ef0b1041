"""The SMS gateways: the demo's sink writes files that read back, MessageBird's REST API is
spoken correctly to a real local HTTP server, and typed numbers become E.164 or are refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from casemodel.sms import (
    InvalidNumber,
    MessageBirdGateway,
    SinkGateway,
    SmsError,
    gateway_from_environment,
    normalise_mobile_number,
    read_sms,
    send_queued_sms,
)
from webapp import create_app
from webapp.extensions import db

CODE_TEXT = "Uw inlogcode voor Dossierflow is 482913. Deel deze code met niemand."


# --- the sink ---------------------------------------------------------------------------------


def test_a_sent_sms_reads_back_from_the_sink(tmp_path):
    gateway = SinkGateway(tmp_path / "sms")

    message_id = gateway.send("+31612345678", "Code 123456 voor Zoë", reference="outbox-7")

    [sms] = read_sms(tmp_path / "sms")
    assert sms["id"] == message_id
    assert sms["to"] == "+31612345678"
    assert sms["text"] == "Code 123456 voor Zoë"
    assert sms["reference"] == "outbox-7"
    assert sms["sent_at"].endswith("+00:00")


def test_the_sink_lists_newest_first_and_ignores_unfinished_files(tmp_path):
    gateway = SinkGateway(tmp_path)
    for text in ("first", "second", "third"):
        gateway.send("+31612345678", text, reference=text)
    (tmp_path / ".half-written.tmp").write_text("{")

    assert [sms["text"] for sms in read_sms(tmp_path)] == ["third", "second", "first"]


def test_an_absent_sink_folder_holds_no_sms(tmp_path):
    assert read_sms(tmp_path / "never-created") == []


def test_the_outbox_handler_sends_with_the_configured_sink(tmp_path, monkeypatch):
    monkeypatch.delenv("DOSSIERFLOW_SMS_GATEWAY", raising=False)
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DOSSIERFLOW_SMS_FOLDER", raising=False)

    send_queued_sms({"to": "+31612345678", "text": CODE_TEXT, "reference": "login:1"})

    [sms] = read_sms(tmp_path / "instance" / "sms")
    assert (sms["to"], sms["text"], sms["reference"]) == ("+31612345678", CODE_TEXT, "login:1")


def test_an_sms_whose_code_expired_in_the_queue_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv("DOSSIERFLOW_SMS_FOLDER", str(tmp_path))
    payload = {"to": "+31612345678", "text": CODE_TEXT, "reference": "login:2"}

    send_queued_sms({**payload, "not_after": "2020-01-01T00:00:00+00:00"})
    send_queued_sms({**payload, "not_after": "2999-01-01T00:00:00"})

    assert len(read_sms(tmp_path)) == 1


# --- choosing a gateway -----------------------------------------------------------------------


@pytest.fixture
def sms_environment(monkeypatch):
    for name in (
        "DOSSIERFLOW_SMS_GATEWAY",
        "DOSSIERFLOW_SMS_ORIGINATOR",
        "DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY",
        "DOSSIERFLOW_MESSAGEBIRD_URL",
        "DOSSIERFLOW_SMS_FOLDER",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_environment_chooses_messagebird_with_its_settings(sms_environment):
    sms_environment.setenv("DOSSIERFLOW_SMS_GATEWAY", "messagebird")
    sms_environment.setenv("DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY", "live_secret")
    sms_environment.setenv("DOSSIERFLOW_MESSAGEBIRD_URL", "http://127.0.0.1:9")
    sms_environment.setenv("DOSSIERFLOW_SMS_ORIGINATOR", "VanDam")

    gateway = gateway_from_environment()

    assert isinstance(gateway, MessageBirdGateway)
    assert (gateway.base_url, gateway.originator) == ("http://127.0.0.1:9", "VanDam")
    assert "live_secret" not in repr(gateway)


def test_the_default_is_the_sink_under_instance(sms_environment, tmp_path):
    sms_environment.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path))

    gateway = gateway_from_environment()

    assert isinstance(gateway, SinkGateway)
    assert gateway.folder == tmp_path.resolve() / "sms"


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"DOSSIERFLOW_SMS_GATEWAY": "messagebird"}, "DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY"),
        ({"DOSSIERFLOW_SMS_GATEWAY": "carrier-pigeon"}, "expected 'sink' or 'messagebird'"),
        (
            {
                "DOSSIERFLOW_SMS_GATEWAY": "messagebird",
                "DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY": "key",
                "DOSSIERFLOW_SMS_ORIGINATOR": "Notariaat Van Dam",
            },
            "at most 11 letters and digits",
        ),
    ],
)
def test_a_gateway_that_cannot_work_refuses_to_start(sms_environment, settings, complaint):
    for name, value in settings.items():
        sms_environment.setenv(name, value)

    with pytest.raises(ValueError, match=complaint):
        gateway_from_environment()


# --- MessageBird against a real HTTP server ---------------------------------------------------


class FakeMessageBird:
    """A local HTTP server that records each request and answers what the test set."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 201
        self.answer: dict[str, Any] = {"id": "e8077d803532c0b5937c639b60216938"}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(body),
                    }
                )
                content = json.dumps(fake.answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def messagebird() -> Iterator[FakeMessageBird]:
    fake = FakeMessageBird()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def test_messagebird_gets_a_well_formed_request(messagebird):
    gateway = MessageBirdGateway("test_AccessKey1", originator="VanDam", base_url=messagebird.url)

    message_id = gateway.send("+31612345678", CODE_TEXT, reference="outbox-42")

    assert message_id == "e8077d803532c0b5937c639b60216938"
    [request] = messagebird.requests
    assert (request["method"], request["path"]) == ("POST", "/messages")
    assert request["headers"]["Authorization"] == "AccessKey test_AccessKey1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "originator": "VanDam",
        "recipients": ["31612345678"],
        "body": CODE_TEXT,
        "reference": "outbox-42",
        "datacoding": "auto",
    }


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (
            401,
            {
                "errors": [
                    {
                        "code": 2,
                        "description": "Request not allowed (incorrect access_key)",
                        "parameter": "access_key",
                    }
                ]
            },
            "Request not allowed (incorrect access_key) (code 2, parameter access_key)",
        ),
        (
            422,
            {
                "errors": [
                    {
                        "code": 9,
                        "description": "no (correct) recipients found",
                        "parameter": "recipients",
                    }
                ]
            },
            "no (correct) recipients found",
        ),
        (503, {"errors": [{"code": 99, "description": "Internal error"}]}, "Internal error"),
        # A provider or proxy that echoes the request must not leak the code into the outbox.
        (500, {"echo": CODE_TEXT}, "[text]"),
    ],
)
def test_a_refusal_becomes_an_sms_error_without_the_text(messagebird, status, answer, expected):
    messagebird.status, messagebird.answer = status, answer
    gateway = MessageBirdGateway("key", base_url=messagebird.url)

    with pytest.raises(SmsError) as raised:
        gateway.send("+31612345678", CODE_TEXT, reference="outbox-43")

    assert raised.value.status_code == status
    assert expected in str(raised.value)
    assert str(status) in str(raised.value)
    assert "482913" not in repr(raised.value)


def test_an_unreachable_messagebird_becomes_an_sms_error(messagebird):
    url = messagebird.url
    messagebird.server.shutdown()
    messagebird.server.server_close()
    gateway = MessageBirdGateway("key", base_url=url, timeout=2)

    with pytest.raises(SmsError, match="not reached") as raised:
        gateway.send("+31612345678", CODE_TEXT, reference="outbox-44")

    assert raised.value.status_code is None
    assert "482913" not in repr(raised.value)


def test_an_answer_without_a_message_id_is_an_error(messagebird):
    messagebird.answer = {"unexpected": True}

    with pytest.raises(SmsError, match="without a message id"):
        MessageBirdGateway("key", base_url=messagebird.url).send(
            "+31612345678", CODE_TEXT, reference="outbox-45"
        )


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0612345678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("06 1234 5678", "+31612345678"),
        (" 06-1234-5678 ", "+31612345678"),
        ("+31612345678", "+31612345678"),
        ("+31 6 12 34 56 78", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("00 31 6 12345678", "+31612345678"),
        ("+31 (0)6 12345678", "+31612345678"),
        ("0687654321", "+31687654321"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+44 7700 900123", "+447700900123"),
        ("0049 151 23456789", "+4915123456789"),
    ],
)
def test_mobile_numbers_become_e164(typed, expected):
    assert normalise_mobile_number(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "06",
        "061234567",  # one digit short
        "06123456789",  # one digit long
        "0201234567",  # Amsterdam landline
        "+31201234567",  # the same, internationally
        "0661234567",  # paging
        "+310612345678",  # trunk 0 after the country code
        "612345678",  # no trunk prefix
        "+1234567",  # 7 digits
        "+1234567890123456",  # 16 digits
        "+0612345678",
        "06abcdefgh",
        "06.12.34.56.78",
        "+31 6 1234 5678 ext 2",
        "0612345678" + " " * 100,
        "061٢٣٤٥٦٧٨",  # Arabic-Indic digits, which a Unicode \d would take
        "+3161٢٣٤٥٦٧٨",
    ],
)
def test_anything_else_is_not_a_mobile_number(typed):
    with pytest.raises(InvalidNumber):
        normalise_mobile_number(typed)


def test_only_dutch_national_numbers_are_understood():
    with pytest.raises(ValueError, match="region 'BE'"):
        normalise_mobile_number("0470123456", default_region="BE")


# --- the dev mailbox page ---------------------------------------------------------------------


@pytest.fixture
def dev_app(web_database_url, compiled_translations, tmp_path, monkeypatch) -> Iterator[Flask]:
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DOSSIERFLOW_SMS_FOLDER", raising=False)
    monkeypatch.delenv("DOSSIERFLOW_SECRET_KEY", raising=False)
    app = create_app(
        {
            "DATABASE_URL": web_database_url,
            "DEV_MAILBOX": True,
            "SESSION_COOKIE_SECURE": False,
            "TESTING": True,
            "BABEL_TRANSLATION_DIRECTORIES": str(compiled_translations),
        }
    )
    yield app
    db.engine.dispose()


def test_the_dev_mailbox_shows_the_sms_as_text(dev_app, tmp_path):
    SinkGateway().send("+31612345678", "Code 482913 <b>nu</b>", reference="login:9")

    page = dev_app.test_client().get("/dev/mailbox").get_data(as_text=True)

    assert "+31612345678" in page
    assert "Code 482913 &lt;b&gt;nu&lt;/b&gt;" in page
    assert "Nog geen SMS-berichten" not in page


def test_the_dev_mailbox_says_when_there_is_no_sms(dev_app):
    page = dev_app.test_client().get("/dev/mailbox").get_data(as_text=True)

    assert "Nog geen SMS-berichten" in page
