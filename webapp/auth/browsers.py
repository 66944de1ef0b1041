"""How a person names the browser a User-Agent header describes, for the list of signed-in
browsers and the mail about a login from a new one."""

from flask_babel import gettext as _

_BROWSERS = (
    ("Edg", "Edge"), ("OPR/", "Opera"), ("FxiOS/", "Firefox"), ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)  # fmt: skip
_SYSTEMS = (
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
)  # fmt: skip


def browser_label(user_agent: str | None) -> str:
    """A User-Agent header as a person names a browser ("Firefox op Windows"); an unknown one
    shortened."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return _("%(browser)s op %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system
    if not agent:
        return _("Onbekende browser")
    return agent if len(agent) <= 40 else agent[:40] + "…"
