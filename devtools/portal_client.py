"""A plain HTTP client of the portal, as a browser uses it (cookies, the forms' CSRF tokens, the
login with its second factor): for the benchmarks and for the tests that run the portal as in
production, under gunicorn."""

from __future__ import annotations

import http.client
import re
import urllib.parse

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise AssertionError("no csrf_token in the form")
    return match.group(1) or match.group(2)


class Browser:
    """One keep-alive connection with a cookie jar: the least a client can do per request.

    The client runs on the cores the portal is measured on; httpx spent 8-12 ms of CPU per
    login (four requests), a fifth of what the portal spends on it, and a browser on the
    user's own machine costs the portal nothing."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        """(status, Location header, body text) of one request; cookies kept."""
        headers = {"User-Agent": "dossierflow-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the idle keep-alive connection (gunicorn after 2 s) before it
            # read this request: a browser opens a new one and sends it again.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return answer.status, answer.headers.get("Location", ""), text

    def close(self) -> None:
        self.connection.close()


def log_in(browser: Browser, email: str, password: str, totp_secret: str) -> str:
    """The four requests of a login with an authenticator; where the last one sends the
    browser."""
    import pyotp

    status, _, page = browser.request("GET", "/login")
    assert status == 200, f"GET /login: {status}"
    status, location, _ = browser.request("POST", "/login", {
        "csrf_token": csrf_token(page), "email": email, "password": password})  # fmt: skip
    assert status == 302 and location.endswith("/login/code"), f"POST /login: {status} {location}"
    # The password step starts a new session, so the code form carries a new CSRF token.
    status, _, page = browser.request("GET", "/login/code")
    assert status == 200, f"GET /login/code: {status}"
    status, location, _ = browser.request("POST", "/login/code", {
        "csrf_token": csrf_token(page), "code": pyotp.TOTP(totp_secret).now()})  # fmt: skip
    assert status == 302 and "/login" not in location, f"POST /login/code: {status} {location}"
    return location
