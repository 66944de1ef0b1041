"""The development mail sink receives real SMTP and stores what it got."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from devtools.mailsink import MailSink, read_mailbox


def compose(subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Notariaat Van Dam <kantoor@example.test>"
    message["To"] = "Zoë Çelik <zoe@example.test>"
    message["Subject"] = subject
    message.set_content(body)
    return message


def test_a_sent_mail_can_be_read_back(tmp_path):
    with MailSink(tmp_path / "mailbox") as sink, smtplib.SMTP(sink.host, sink.port) as smtp:
        smtp.send_message(
            compose("Uw akte is klaar — tekenen", "Beste Zoë,\n\nUw akte staat klaar.\n"),
            to_addrs=["zoe@example.test", "archief@example.test"],
        )

    [received] = read_mailbox(tmp_path / "mailbox")

    assert received["Subject"] == "Uw akte is klaar — tekenen"
    assert received["To"].addresses[0].display_name == "Zoë Çelik"
    assert received.get_content() == "Beste Zoë,\n\nUw akte staat klaar.\n"
    assert received["X-Envelope-To"] == "<zoe@example.test>, <archief@example.test>"


def test_mailbox_lists_newest_first_and_ignores_unfinished_files(tmp_path):
    with MailSink(tmp_path) as sink, smtplib.SMTP(sink.host, sink.port) as smtp:
        for subject in ("first", "second", "third"):
            smtp.send_message(compose(subject, "."))
        (tmp_path / ".half-written.tmp").write_bytes(b"Subject: broken")

        subjects = [message["Subject"] for message in sink.messages()]

    assert subjects == ["third", "second", "first"]
    assert len(list(tmp_path.iterdir())) == 4


def test_an_absent_mailbox_is_empty(tmp_path):
    assert read_mailbox(tmp_path / "never-created") == []
