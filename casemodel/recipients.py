"""The recipients an approved document may be sent on to, and the connector of each: read from
DOSSIERFLOW_RECIPIENTS (the shipped flows/recipients.yaml by default), checked on load, once per
process and file. An approval step names a recipient by its key; the portal, the relay and the
template check must agree on the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from casemodel import config

CONNECTORS = ("office", "email", "http")


class RecipientError(ValueError):
    """A recipients file that cannot be used, with where and why."""


@dataclass(frozen=True)
class Recipient:
    key: str
    name_nl: str
    name_en: str
    #: "office" (nothing is sent on), "email" or "http".
    connector: str
    #: The mail address (email) or URL (http); None for the office.
    target: str | None = None
    #: The environment variable with the bearer token for an http connector.
    token_env: str | None = None

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_nl

    @property
    def sends_on(self) -> bool:
        """Whether approved documents leave the portal for this recipient."""
        return self.connector != "office"

    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


def recipients_path() -> Path:
    return Path(
        os.environ.get("DOSSIERFLOW_RECIPIENTS", config.PROJECT_ROOT / "flows" / "recipients.yaml")
    ).resolve()


def recipients() -> dict[str, Recipient]:
    """Every recipient by key; raises RecipientError if the file is broken."""
    return _load(recipients_path())


def recipient(key: str) -> Recipient:
    """One recipient. Raises KeyError for a key the file does not have."""
    return recipients()[key]


@cache
def _load(path: Path) -> dict[str, Recipient]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RecipientError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("recipients"), list):
        raise RecipientError(f"{path}: a list 'recipients' is required")
    found: dict[str, Recipient] = {}
    for number, raw in enumerate(data["recipients"], start=1):
        try:
            item = _parse(raw)
        except RecipientError as exc:
            raise RecipientError(f"{path}: recipient {number}: {exc}") from None
        if item.key in found:
            raise RecipientError(f"{path}: recipient {number}: the key {item.key!r} is used twice")
        found[item.key] = item
    return found


def _parse(raw: Any) -> Recipient:
    if not isinstance(raw, dict):
        raise RecipientError("a recipient is a mapping with key, name and connector")
    unknown = set(raw) - {"key", "name", "connector", "address", "url", "token_env"}
    if unknown:
        raise RecipientError(f"unknown field(s): {', '.join(sorted(unknown))}")
    key = raw.get("key")
    if not isinstance(key, str) or not key.replace("-", "").isalnum() or not key.islower():
        raise RecipientError(f"key must be a lower-case key (got {key!r})")
    name = raw.get("name")
    if not isinstance(name, dict) or set(name) != {"nl", "en"} or not all(
        isinstance(value, str) and value.strip() for value in name.values()
    ):
        raise RecipientError("name must have a non-empty 'nl' and 'en'")
    connector = raw.get("connector")
    if connector not in CONNECTORS:
        raise RecipientError(f"connector must be one of {', '.join(CONNECTORS)}")
    target = None
    if connector == "email":
        target = raw.get("address")
        if not isinstance(target, str) or "@" not in target.strip("@"):
            raise RecipientError("an email connector needs an 'address'")
    elif connector == "http":
        target = raw.get("url")
        if not isinstance(target, str) or urlsplit(target).scheme not in ("http", "https"):
            raise RecipientError("an http connector needs a 'url' (http:// or https://)")
    elif {"address", "url"} & set(raw):
        raise RecipientError("the office connector sends nothing: no address or url")
    token_env = raw.get("token_env")
    if token_env is not None and (connector != "http" or not isinstance(token_env, str)):
        raise RecipientError("token_env is for an http connector: the name of a variable")
    return Recipient(key, name["nl"].strip(), name["en"].strip(), connector, target, token_env)
