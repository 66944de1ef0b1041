"""Settings that exist for the demo's plain http on this machine and must never reach a
deployment: the portal refuses to start with one of them on unless its public address (BASE_URL)
is on the loopback, and says at start which of them are on.

- `DOSSIERFLOW_INSECURE_COOKIES=1`: the session cookie without `Secure`, for http://127.0.0.1.
  On a public address it would send the session over plain http to anyone on the way.
- `DOSSIERFLOW_DEV_MAILBOX=1`: /dev/mailbox shows every mail and SMS the sinks received, codes
  and links included, to whoever asks.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class UnsafeSettings(RuntimeError):
    """A demo-only setting on a portal whose public address is not on the loopback."""


def demo_settings_on(config: dict[str, Any]) -> list[str]:
    """The demo-only settings the app's configuration has on, by their environment names."""
    on = []
    if not config["SESSION_COOKIE_SECURE"]:
        on.append("DOSSIERFLOW_INSECURE_COOKIES")
    if config["DEV_MAILBOX"]:
        on.append("DOSSIERFLOW_DEV_MAILBOX")
    return on


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is this machine only: localhost, 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: anything but "localhost" may resolve elsewhere
        return False


def check_demo_settings(config: dict[str, Any]) -> None:
    """Refuse a demo-only setting on a public address, and log those that are on.

    Raises:
        UnsafeSettings: naming the settings and the address.
    """
    on = demo_settings_on(config)
    if not on:
        return
    base_url = config["BASE_URL"]
    if not is_loopback_url(base_url):
        raise UnsafeSettings(
            f"{', '.join(on)} may only be used with a loopback DOSSIERFLOW_BASE_URL "
            f"(http://127.0.0.1:...), not {base_url}: they are for the demo on this machine. "
            "Remove them from the environment of a deployment."
        )
    log.warning("demo-only settings on (loopback %s): %s", base_url, ", ".join(on))
