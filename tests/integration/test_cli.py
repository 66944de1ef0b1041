"""The command line: migrate, seed (twice), open a dossier, relay, check templates, sweep the
file store."""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from casemodel.db import make_engine, make_session_factory
from casemodel.models import Dossier, OutboxMessage, User
from tests.files import PDF
from webapp import create_app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The command line on a database of its own, with Prefect unreachable (port 9) whatever
    Prefect stack the session's integration tests started before this one."""
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        yield _cli(tmp_path, monkeypatch)


def _cli(tmp_path, monkeypatch):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DOSSIERFLOW_DEMO", "1")  # what devtools/demo.py sets
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    app = create_app({"DATABASE_URL": url})
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        return result

    invoke.session = make_session_factory(make_engine(url))
    invoke.app = app
    return invoke


def test_seed_is_idempotent_and_a_dossier_opens_from_the_command_line(cli):
    assert "up to date" in cli("db", "upgrade").output
    first = cli("demo", "seed")
    assert "5 dossier(s) opened" in first.output
    assert "demo data already there" in cli("demo", "seed").output
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 5
        assert session.scalar(select(func.count()).select_from(User)) == 4

    result = cli(
        "dossier",
        "open",
        "--client",
        "N-10231",
        "--template",
        "levering-woning",
        "--description",
        "Levering Herengracht 1",
        "--by",
        "medewerker@example.nl",
    )
    assert result.exit_code == 0, result.output
    assert "opened dossier" in result.output
    with cli.session() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.description.like("%Herengracht%")))
        assert dossier is not None and dossier.flow_run_id is None
        # Prefect is unreachable: every start stays queued for the relay, the error is kept,
        # and a round stops at the first connection error instead of waiting for each message.
        starts = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert len(starts) == 6 and all(m.done_at is None for m in starts)
        assert starts[-1].payload == {"dossier_id": dossier.id}
        assert "ConnectError" in starts[0].last_error
        assert "6 flow run(s) will start once Prefect answers" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--client", "NOPE", "--template", "levering-woning"), "no client with number 'NOPE'"),
        (("--client", "N-10231", "--template", "nope"), "no case template 'nope'"),
        (
            ("--client", "A-2044", "--template", "levering-woning"),
            "template levering-woning is for a notary office",
        ),
    ],
)
def test_opening_refuses_bad_input_clearly(cli, args, message):
    cli("db", "upgrade")
    cli("demo", "seed")
    result = cli("dossier", "open", *args, "--description", "x", "--by", "medewerker@example.nl")
    assert result.exit_code != 0
    assert message in result.output


def test_templates_check_lists_the_templates(cli):
    result = cli("templates", "check")
    assert result.exit_code == 0
    assert "levering-woning v3: 16 steps" in result.output
    assert "jaarrekening-ib v3: 15 steps" in result.output
    assert "testament v1: 9 steps" in result.output


def test_the_office_decides_whether_clients_need_a_second_factor(cli):
    from casemodel.models import Office
    from casemodel.services.second_factor import second_factor_required

    cli("db", "upgrade")
    cli("demo", "seed")
    office = "Notariskantoor Lont & Lalmahomed"
    result = cli("office", "second-factor", office, "optional")
    assert result.exit_code == 0, result.output
    with cli.session() as session:
        client = session.scalar(select(User).where(User.email == "klant@example.nl"))
        staff = session.scalar(select(User).where(User.email == "medewerker@example.nl"))
        assert not session.scalar(select(Office).where(Office.name == office)).require_second_factor
        assert not second_factor_required(client)
        assert second_factor_required(staff)
    assert cli("office", "second-factor", "Nope", "optional").exit_code != 0


def test_files_sweep_removes_only_what_nothing_refers_to(cli, tmp_path):
    import io
    import os
    import time

    from casemodel.filestore import FileStore

    cli("db", "upgrade")
    cli("demo", "seed")
    store = FileStore(cli.app.config["FILES_PATH"])
    seeded = [path for path in store.root.rglob("*") if path.is_file()]
    orphan = store.put(io.BytesIO(PDF), max_bytes=1000).sha256
    for path in [*seeded, store.path(orphan)]:  # everything left alone for two hours
        os.utime(path, (time.time() - 7200,) * 2)

    result = cli("files", "sweep")
    assert result.exit_code == 0, result.output
    assert "removed 1 file(s)" in result.output
    assert not store.path(orphan).exists()
    assert seeded and all(path.exists() for path in seeded)


def test_audit_verify_names_the_chain_that_was_tampered_with(cli):
    from sqlalchemy import update

    from casemodel.models import AuditEvent

    cli("db", "upgrade")
    cli("demo", "seed")
    result = cli("audit", "verify")
    assert (result.exit_code, result.output.strip()) == (0, "every chain verifies")

    with cli.session() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.dossier_id.is_not(None)).order_by(AuditEvent.id)
        )
        session.execute(
            update(AuditEvent).where(AuditEvent.id == event.id).values(action="step.skipped")
        )
        session.commit()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert result.output.strip() == f"does not verify: dossier {event.dossier_id}"


def test_the_demo_commands_refuse_outside_the_demo(cli, monkeypatch):
    """`flask demo seed` would create staff accounts with the README's password: only where
    devtools/demo.py set DOSSIERFLOW_DEMO=1."""
    monkeypatch.delenv("DOSSIERFLOW_DEMO")
    app = create_app({"DATABASE_URL": cli.app.config["DATABASE_URL"]})
    assert not app.config["DEMO"]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "only in the demo's environment (DOSSIERFLOW_DEMO=1" in result.output
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_staff_get_their_offices_from_the_command_line(cli):
    from casemodel.models import Office

    cli("db", "upgrade")
    cli("demo", "seed")
    notary, accountancy = "Notariskantoor Lont & Lalmahomed", "Accountantskantoor Tamek"
    refused = cli("office", "add-staff", notary, "nieuw@example.nl")
    assert refused.exit_code != 0 and "give --name" in refused.output
    created = cli("office", "add-staff", notary, "Nieuw@example.nl", "--name", "Nieuwe Collega")
    assert created.exit_code == 0, created.output
    assert "created nieuw@example.nl (staff) for Notariskantoor" in created.output
    added = cli("office", "add-staff", accountancy, "nieuw@example.nl")
    assert "nieuw@example.nl now works for Accountantskantoor Tamek" in added.output
    again = cli("office", "add-staff", accountancy, "nieuw@example.nl")
    assert "already works for" in again.output
    assert cli("office", "add-staff", notary, "klant@example.nl").exit_code != 0
    assert cli("office", "add-staff", "Nope", "nieuw@example.nl").exit_code != 0
    with cli.session() as session:
        user = session.scalar(select(User).where(User.email == "nieuw@example.nl"))
        assert user.role == "staff" and user.password_hash is None  # activates by mail
        assert sorted(o.name for o in user.offices) == sorted([notary, accountancy])
        invitation = session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "send_mail", OutboxMessage.done_at.is_(None)))  # fmt: skip
        assert invitation is not None and invitation.payload["to"] == "nieuw@example.nl"
        assert session.scalar(select(Office).where(Office.name == notary)) is not None
