"""The demo is usable when it says it is (issue 13, section 4): until `flask demo seed` has
committed, every page of the demo answers that the demo is being prepared; then the portal as
usual. Outside the demo nothing waits."""

from __future__ import annotations

from pathlib import Path

from casemodel import migrate
from casemodel.db import make_engine, make_session_factory, session_scope
from casemodel.filestore import FileStore
from devtools.seed import seed_demo
from webapp import create_app
from webapp.extensions import db


def app_on(url: str, translations: Path, *, demo: bool):
    return create_app({"DATABASE_URL": url, "DEMO": demo, "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                       "BABEL_TRANSLATION_DIRECTORIES": str(translations)})  # fmt: skip


def test_the_demo_says_it_is_being_prepared_until_the_seed_is_done(
    tmp_path, compiled_translations, monkeypatch
):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path / "instance"))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate.upgrade(url)  # `make demo` migrates first and seeds later
    app = app_on(url, compiled_translations, demo=True)
    client = app.test_client()
    for path in ("/login", "/", "/home"):
        waiting = client.get(path)
        assert waiting.status_code == 503, path
        assert waiting.headers["Retry-After"] == "2"
        assert "De demo wordt nog voorbereid" in waiting.text
        assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert client.get("/static/portal.css").status_code == 200  # the waiting page's own style

    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        seed_demo(session, files=FileStore(tmp_path / "files"))
    engine.dispose()

    ready = client.get("/login")
    assert ready.status_code == 200 and 'name="password"' in ready.text
    db.engine.dispose()


def test_outside_the_demo_nothing_waits(tmp_path, compiled_translations, monkeypatch):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path / "instance"))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    client = app_on(url, compiled_translations, demo=False).test_client()
    assert client.get("/login").status_code == 200
    db.engine.dispose()
