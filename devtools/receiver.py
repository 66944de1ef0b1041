"""A receiving authority for the demo, the tests and the benchmarks: an HTTP server on the
loopback that takes approved documents as the HTTP connector sends them (a multipart POST with
an `Idempotency-Key`), keeps each once, and answers a receipt id: the same receipt for the same
key, however often it comes.

    python -m devtools.receiver --port 8026 --folder instance/received [--delay S] [--fail N]

What it received is in <folder>/ledger.jsonl (one line per first receipt) and at GET /ledger
(JSON: the receipts, and every POST with its key, including repeats). `--delay` waits that long
after keeping a document before answering (a sender killed meanwhile sends again); `--fail`
answers 503 to the first N posts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: A document and its certificate, with room to spare; a post over it is refused.
MAX_BODY = 200 * 1024 * 1024


class Ledger:
    """What was received, kept once per idempotency key."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.receipts: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        ledger = self.folder / "ledger.jsonl"
        if ledger.exists():
            for line in ledger.read_text().splitlines():
                entry = json.loads(line)
                self.receipts[entry["idempotency_key"]] = entry

    def take(self, key: str, path: str, parts: dict[str, tuple[str, bytes]]) -> tuple[dict, bool]:
        """The receipt for the key, and whether it is new (the parts were kept now)."""
        with self.lock:
            self.posts.append({"idempotency_key": key, "path": path, "at": time.time()})
            if key in self.receipts:
                return self.receipts[key], False
            receipt = f"R-{secrets.token_hex(6).upper()}"
            place = self.folder / receipt
            place.mkdir()
            files = {}
            for name, (filename, content) in parts.items():
                if name == "metadata":
                    continue
                (place / f"{name}-{Path(filename).name or name}").write_bytes(content)
                files[name] = {"filename": filename, "size": len(content),
                               "sha256": hashlib.sha256(content).hexdigest()}  # fmt: skip
            metadata = json.loads(parts["metadata"][1]) if "metadata" in parts else {}
            entry = {"receipt_id": receipt, "idempotency_key": key, "path": path,
                     "files": files, "metadata": metadata, "received_at": time.time()}  # fmt: skip
            with (self.folder / "ledger.jsonl").open("a") as ledger:
                ledger.write(json.dumps(entry) + "\n")
            self.receipts[key] = entry
            return entry, True


def make_server(port: int, folder: Path, *, delay: float = 0.0, fail: int = 0):
    ledger = Ledger(folder)
    failures = {"left": fail}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path != "/ledger":
                return self._answer(404, {"error": "not found"})
            with ledger.lock:
                body = {"receipts": list(ledger.receipts.values()), "posts": list(ledger.posts)}
            self._answer(200, body)

        def do_POST(self) -> None:  # noqa: N802
            key = self.headers.get("Idempotency-Key")
            length = int(self.headers.get("Content-Length") or 0)
            if not key or not self.path.startswith("/receive/"):
                return self._answer(400, {"error": "an Idempotency-Key and /receive/<name>"})
            if length > MAX_BODY:
                return self._answer(413, {"error": "too large"})
            body = self.rfile.read(length)
            with ledger.lock:
                if failures["left"] > 0:
                    failures["left"] -= 1
                    refuse = True
                else:
                    refuse = False
            if refuse:
                return self._answer(503, {"error": "try again later"})
            parts = _parts(self.headers.get("Content-Type", ""), body)
            entry, new = ledger.take(key, self.path, parts)
            if delay:
                time.sleep(delay)
            self._answer(201 if new else 200, {"receipt_id": entry["receipt_id"]})

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the ledger is the record

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.ledger = ledger  # type: ignore[attr-defined]
    return server


def _parts(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, content)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--folder", type=Path, default=Path("instance/received"))
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--fail", type=int, default=0)
    arguments = parser.parse_args()
    server = make_server(arguments.port, arguments.folder, delay=arguments.delay,
                         fail=arguments.fail)  # fmt: skip
    print(f"receiver on http://127.0.0.1:{arguments.port}/receive/<name>", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
