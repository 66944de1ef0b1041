"""No secret in a log line: a whole activation and a reset through the demo's server (werkzeug,
as `flask run` serves the portal), with every log record and everything written to the
terminal captured, hold none of the links' tokens, codes or session ids; and gunicorn's access
log with the repository's configuration masks a token in a request line as well."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyotp
import pytest
from werkzeug.serving import make_server

from casemodel.config import PROJECT_ROOT
from tests.web import test_account_journeys as journeys
from tests.web.test_account_journeys import (
    GOOD_PASSWORD,
    NEW_CLIENT,
    create_account,
    link_in,
    mails_to,
    relay,
)

mailbox = journeys.mailbox  # the fixture: mails over real SMTP into a sink

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def served(web_app):
    """The app behind werkzeug's own server on a free port, as `flask run` runs it."""
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def local(link: str, base: str) -> str:
    return base + link.removeprefix("http://127.0.0.1:5000")


def test_an_activation_and_a_reset_leave_no_secret_in_the_logs(
    served, web_app, login, web_session, mailbox, caplog, capfd
):
    for client_side in ("httpx", "httpcore"):  # the test's own HTTP client: not the portal
        caplog.set_level("WARNING", logger=client_side)
    caplog.set_level("DEBUG")  # last: it sets the capturing handler's level too
    secrets: list[str] = []
    create_account(web_app.test_client(), login, web_session)
    relay(web_app)
    browser = httpx.Client(base_url=served, follow_redirects=False, timeout=10)

    # Activation: the start page, the link, the password, an authenticator, the code.
    start = local(link_in(mails_to(mailbox, NEW_CLIENT)[0]), served)
    browser.post(start, data={"email": NEW_CLIENT})
    relay(web_app)
    link = local(link_in(mails_to(mailbox, NEW_CLIENT)[1]), served)
    secrets.append(link.rsplit("/", 1)[1])
    form = browser.get(link).headers["Location"]
    assert secrets[-1] not in form
    done = browser.post(form, data={"password": GOOD_PASSWORD, "repeat": GOOD_PASSWORD})
    assert done.headers["Location"] == "/login/setup"
    setup = browser.get("/login/setup?method=totp").text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', setup)[1]
    code = pyotp.TOTP(secret).now()
    secrets += [secret, code, browser.cookies["dossierflow_session"]]
    codes = browser.post("/login/setup",
                         data={"method": "totp", "step": "totp_code", "code": code}).text
    secrets += re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", codes)
    assert browser.get("/details").status_code == 200
    browser.post("/logout")

    # Reset: ask for a link, follow it, set a new password, log in with the next code.
    browser.post("/password/forgot", data={"email": NEW_CLIENT})
    relay(web_app)
    link = local(link_in(mails_to(mailbox, NEW_CLIENT)[-1]), served)
    secrets.append(link.rsplit("/", 1)[1])
    form = browser.get(link).headers["Location"]
    new_password = GOOD_PASSWORD + " en nog wat"
    browser.post(form, data={"password": new_password, "repeat": new_password})
    browser.post("/login", data={"email": NEW_CLIENT, "password": new_password})
    # The enrolment used this time step's code; the next step's is accepted too.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    secrets += [code, browser.cookies["dossierflow_session"]]
    assert browser.post("/login/code", data={"code": code}).status_code == 302
    secrets.append(browser.cookies["dossierflow_session"])
    assert browser.get("/details").status_code == 200

    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "/account/activate/[masked]" in logged  # the request log was written, masked
    assert "/password/reset/[masked]" in logged
    for secret_value in secrets:
        assert secret_value not in logged, f"{secret_value!r} is in the log"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorns_access_log_masks_a_token(web_database_url, tmp_path):
    port, access_log = free_port(), tmp_path / "access.log"
    token = "Q2x1ZSBmb3IgYSByZXNldCBsaW5rIGhlcmUgYW5kIG5vdw"
    environment = os.environ | {
        "DOSSIERFLOW_DATABASE_URL": web_database_url,
        "DOSSIERFLOW_INSTANCE": str(tmp_path / "instance"),
        "DOSSIERFLOW_INSECURE_COOKIES": "1",
    }
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", str(access_log), "webapp:create_app()"],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                if gunicorn.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(gunicorn.stderr.read().decode()) from None
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/password/reset/{token}").status_code == 410
        httpx.get(f"http://127.0.0.1:{port}/login?next=/x&token={token}")
    finally:
        gunicorn.terminate()
        gunicorn.wait(20)
    logged = Path(access_log).read_text()
    assert "GET /password/reset/[masked] HTTP/1.1" in logged
    assert "token=[masked]" in logged
    assert token not in logged
