"""The SMS sink of the demo and the tests: each SMS becomes a JSON file instead of a text message.

The dev mailbox page (webapp/devmail/) and the tests read the folder back with read_sms().
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

from casemodel.atomic_write import write_atomically
from casemodel.config import instance_path


def sink_folder() -> Path:
    """Where the sink stores SMS: DOSSIERFLOW_SMS_FOLDER, or instance/sms/."""
    folder = os.environ.get("DOSSIERFLOW_SMS_FOLDER")
    return Path(folder).resolve() if folder else instance_path() / "sms"


class SinkGateway:
    """An SmsGateway that delivers to a folder (default sink_folder()), one file per SMS, named
    so that names sort by arrival."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else sink_folder()

    def send(self, to: str, text: str, *, reference: str) -> str:
        """Store the SMS as {id, to, text, reference, sent_at}. Returns the id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        message_id = uuid.uuid4().hex
        record = {
            "id": message_id,
            "to": to,
            "text": text,
            "reference": reference,
            "sent_at": now.isoformat(),
        }
        path = self.folder / f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{message_id}.json"
        write_atomically(path, json.dumps(record, ensure_ascii=False, indent=2).encode())
        return message_id


def read_sms(folder: Path | str | None = None) -> list[dict[str, Any]]:
    """Every SMS the sink stored in folder (default sink_folder()), newest first; an absent
    folder holds none."""
    folder = Path(folder) if folder is not None else sink_folder()
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("[!.]*.json"), key=lambda path: path.name, reverse=True)
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]
