"""An SMTP server that delivers nowhere: every message it receives becomes an .eml file.

    python -m devtools.mailsink --host 127.0.0.1 --port 8025 --maildir instance/mailbox

The portal's dev mailbox page and the tests read the folder back with read_mailbox().
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.policy
import signal
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from casemodel.atomic_write import write_atomically


class MaildirHandler:
    """aiosmtpd handler that writes each message to folder, named so that names sort by arrival.

    The envelope's sender and recipients are added as X-Envelope-From and X-Envelope-To
    headers, so that Bcc recipients show."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        headers = (
            f"X-Envelope-From: <{envelope.mail_from}>\n"
            f"X-Envelope-To: {', '.join(f'<{to}>' for to in envelope.rcpt_tos)}\n"
        ).encode()
        # Stored with local line ends, as a mail server delivering to a local maildir does:
        # otherwise every text part reads back with "\r\n".
        store_message(self.folder, headers + envelope.original_content.replace(b"\r\n", b"\n"))
        return "250 Message accepted for delivery"


def store_message(folder: Path, content: bytes) -> Path:
    """Write one message to folder atomically: readers never see half a file."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex}.eml"
    write_atomically(path, content)
    return path


def read_mailbox(folder: Path | str) -> list[EmailMessage]:
    """Every message in folder, newest first; an absent folder is an empty mailbox."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    parser = BytesParser(policy=email.policy.default)
    paths = sorted(folder.glob("[!.]*.eml"), key=lambda path: path.name, reverse=True)
    return [parser.parsebytes(path.read_bytes()) for path in paths]


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # With port 0 the system chose the port; learn which before aiosmtpd connects to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """The sink in a background thread, on a free port of 127.0.0.1 unless told otherwise.

    with MailSink(tmp_path / "mailbox") as sink:
        send_mail(host=sink.host, port=sink.port, ...)
        [message] = sink.messages()
    """

    def __init__(self, maildir: Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.maildir = Path(maildir)
        self.host = host
        self._controller = _Controller(
            MaildirHandler(self.maildir), hostname=host, port=port, enable_SMTPUTF8=True
        )

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        """What has arrived so far, newest first."""
        return read_mailbox(self.maildir)

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SMTP server that stores mail as .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", default="instance/mailbox", type=Path)
    args = parser.parse_args(argv)

    # SIGTERM (the demo's supervisor, systemd) ends the sink as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with MailSink(args.maildir, host=args.host, port=args.port) as sink:
        print(f"mailsink on {sink.host}:{sink.port}, storing in {args.maildir}", flush=True)
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
