"""Command line: `flask --app webapp <group> <command>`."""

from __future__ import annotations

import signal
import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from casemodel import migrate
from casemodel.casetemplates import TemplateError, TemplateRegistry
from casemodel.db import session_scope
from casemodel.models import Organisation, OutboxMessage, User
from casemodel.services.accounts import normalise_email
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import DomainError
from webapp.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(dossier_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(templates_group)
    app.cli.add_command(user_group)
    app.cli.add_command(office_group)
    app.cli.add_command(files_group)
    app.cli.add_command(audit_group)


@click.group("db", cls=AppGroup, help="The portal database.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply every migration not yet applied.")
def db_upgrade() -> None:
    from flask import current_app

    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@click.group("demo", cls=AppGroup, help="Demo data; only in the demo's environment "
             "(DOSSIERFLOW_DEMO=1, which `make demo` sets).")  # fmt: skip
@with_appcontext
def demo_group() -> None:
    from flask import current_app

    # The demo creates staff and manager accounts with the README's password: never in an
    # installation that is not the demo, whatever command someone types there.
    if not current_app.config["DEMO"]:
        raise click.ClickException(
            "the demo commands run only in the demo's environment (DOSSIERFLOW_DEMO=1, set by "
            "`make demo`): they create staff accounts with the password the README publishes"
        )


@demo_group.command(
    "seed", help="Create the demo offices, clients, staff and dossiers (idempotent)."
)
def demo_seed() -> None:
    from devtools.seed import seed_demo

    with session_scope(db.session_factory) as session:
        created = seed_demo(session)
    click.echo(f"demo data: {created} dossier(s) opened" if created else "demo data already there")
    _start_flow_runs()


@click.group("dossier", cls=AppGroup, help="Dossiers.")
def dossier_group() -> None:
    pass


@dossier_group.command("open", help="Open a dossier from a case template.")
@click.option("--client", "client_number", required=True, help="The organisation's client number.")
@click.option("--template", "template_key", required=True, help="The case template's key.")
@click.option("--description", required=True, help="What the client sees as its name.")
@click.option("--by", "staff_email", required=True, help="E-mail address of the staff member.")
def dossier_open(client_number: str, template_key: str, description: str, staff_email: str) -> None:
    try:
        template = TemplateRegistry.from_folder().latest(template_key)
    except KeyError:
        raise click.ClickException(f"no case template {template_key!r}") from None
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    with session_scope(db.session_factory) as session:
        organisation, actor = _client_and_staff(session, client_number, staff_email)
        try:
            dossier = open_dossier(
                session,
                template=template,
                organisation_id=organisation.id,
                description=description,
                actor=actor,
            )
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        number = dossier.number
    click.echo(f"opened dossier {number}")
    _start_flow_runs()


@click.group("user", cls=AppGroup, help="Accounts.")
def user_group() -> None:
    pass


@user_group.command("invite", help="Give a person access to a client; new accounts get mail.")
@click.option("--client", "client_number", required=True, help="The organisation's client number.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--can-approve", is_flag=True, help="May approve documents.")
@click.option("--admin", is_flag=True, help="May manage the organisation's users.")
@click.option("--by", "staff_email", required=True, help="E-mail address of the staff member.")
def user_invite(client_number, email, name, locale, can_approve, admin, staff_email) -> None:
    from flask import current_app

    from casemodel.services.invitations import give_access
    from casemodel.services.rights import Rights
    from flows.relay import deliver_due
    from webapp.auth.accounts import external_url

    with session_scope(db.session_factory) as session:
        organisation, actor = _client_and_staff(session, client_number, staff_email)
        with current_app.test_request_context():
            start = external_url("auth.start_account")
        try:
            give_access(
                session, organisation_id=organisation.id, email=email, name=name,
                locale=locale, rights=Rights(approve=can_approve, administer=admin), actor=actor,
                start_link=start,
            )  # fmt: skip
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{normalise_email(email)} gets a mail: a new account to set up, or an "
                   "invitation to accept after logging in")  # fmt: skip
    deliver_due(db.session_factory)


@click.group("office", cls=AppGroup, help="Office settings.")
def office_group() -> None:
    pass


@office_group.command("second-factor", help="Whether clients must use two-step verification.")
@click.argument("office_name")
@click.argument("setting", type=click.Choice(["required", "optional"]))
def office_second_factor(office_name: str, setting: str) -> None:
    from casemodel.models import Office
    from casemodel.services.audit import record_event

    with session_scope(db.session_factory) as session:
        office = session.scalar(select(Office).where(Office.name == office_name))
        if office is None:
            raise click.ClickException(f"no office named {office_name!r}")
        office.require_second_factor = setting == "required"
        detail = {"office_id": office.id, "required": office.require_second_factor}
        record_event(session, action="office.second_factor_setting", actor=None, detail=detail)
    click.echo(f"{office_name}: two-step verification {setting} for clients (staff: always)")


@office_group.command(
    "add-staff",
    help="Let a person work for an office (staff see only the offices they work for): an "
    "existing staff account gets the office too, a new address a staff account with an "
    "activation mail.",
)
@click.argument("office_name")
@click.argument("email")
@click.option("--name", help="The person's name (for a new account).")
@click.option("--role", type=click.Choice(["staff", "manager"]), default="staff",
              show_default=True, help="For a new account.")  # fmt: skip
@click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
def office_add_staff(office_name: str, email: str, name: str | None, role: str,
                     locale: str) -> None:  # fmt: skip
    from flask import current_app

    from casemodel.models import Office
    from casemodel.services.account_links import invite
    from casemodel.services.accounts import add_office_membership, create_user
    from webapp.auth.accounts import external_url

    with session_scope(db.session_factory) as session:
        office = session.scalar(select(Office).where(Office.name == office_name))
        if office is None:
            raise click.ClickException(f"no office named {office_name!r}")
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            if not name:
                raise click.ClickException(f"{email} has no account yet: give --name")
            user = create_user(session, email=email, name=name, role=role, locale=locale,
                               office_ids=[office.id])  # fmt: skip
            with current_app.test_request_context():
                start = external_url("auth.start_account")
            invite(session, user=user, start_link=start, actor=None)
            click.echo(f"created {user.email} ({role}) for {office.name}; the activation mail "
                       "goes out with the outbox relay")  # fmt: skip
            return
        if not user.is_staff:
            raise click.ClickException(f"{user.email} is a client account, not staff")
        added = add_office_membership(session, user=user, office=office, actor=None)
        click.echo(f"{user.email} {'now works' if added else 'already works'} for {office.name}")


def _client_and_staff(session, client_number: str, staff_email: str):
    """The organisation with this client number and the staff member acting, or a clear error."""
    organisation = session.scalar(
        select(Organisation).where(Organisation.client_number == client_number)
    )
    actor = session.scalar(select(User).where(User.email == normalise_email(staff_email)))
    if organisation is None:
        raise click.ClickException(f"no client with number {client_number!r}")
    if actor is None or not actor.is_staff:
        raise click.ClickException(f"no staff member {staff_email!r}")
    return organisation, actor


def _start_flow_runs() -> None:
    """Deliver the queued flow run starts now, and say so when Prefect does not answer."""
    from flows.relay import deliver_due

    deliver_due(db.session_factory)
    with session_scope(db.session_factory) as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.kind == "start_flow_run",
                OutboxMessage.done_at.is_(None),
                OutboxMessage.claimed_until.is_(None),  # not those the relay starts right now
            )
        )
    if waiting:
        click.echo(f"{waiting} flow run(s) will start once Prefect answers (the relay retries)")


@click.group("outbox", cls=AppGroup, help="The transactional outbox.")
def outbox_group() -> None:
    pass


PURGE_EVERY_SECONDS = 3600


@outbox_group.command("relay", help="Deliver due outbox messages and look after the dossier "
                      "runs (the reconciler), for ever or once.")  # fmt: skip
@click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between rounds.")
def outbox_relay(once: bool, interval: float) -> None:
    from casemodel.services.stored_files import sweep_unreferenced_files
    from casemodel.services.uploads import purge_staged_files
    from flows.reconcile import Reconciler, reconcile_seconds
    from flows.relay import deliver_due
    from webapp.extensions import file_store

    # SIGTERM (a restart, a deploy) ends the loop after the round under way, not inside a
    # delivery; a message claimed but not finished would otherwise wait for its lease to end.
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    reconciler = Reconciler(db.session_factory)
    last_purge = last_reconcile = 0.0
    while not stopping:
        delivered = 0
        try:
            delivered = deliver_due(db.session_factory)
        except Exception as exc:  # keep relaying: the database or Prefect may come back
            click.echo(f"relay round failed: {exc!r}", err=True)
        try:
            if time.monotonic() - last_reconcile > reconcile_seconds():
                last_reconcile = time.monotonic()
                reconciler.run_once()
        except Exception as exc:
            click.echo(f"reconciler round failed: {exc!r}", err=True)
        try:
            if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                # Attachments uploaded for a message that was never sent, then the bytes
                # nothing refers to any more.
                with session_scope(db.session_factory) as session:
                    purge_staged_files(session)
                with session_scope(db.session_factory) as session:
                    sweep_unreferenced_files(session, file_store())
                last_purge = time.monotonic()
        except Exception as exc:
            click.echo(f"housekeeping failed: {exc!r}", err=True)
        if once:
            click.echo(f"delivered {delivered}")
            return
        time.sleep(interval)
    click.echo("relay stopped")


@click.group("files", cls=AppGroup, help="The file store.")
def files_group() -> None:
    pass


@files_group.command("sweep", help="Remove stored files nothing refers to (the relay does this "
                     "every hour).")  # fmt: skip
def files_sweep() -> None:
    from casemodel.services.stored_files import sweep_unreferenced_files
    from webapp.extensions import file_store

    with session_scope(db.session_factory) as session:
        removed = sweep_unreferenced_files(session, file_store())
    click.echo(f"removed {removed} file(s) nothing refers to")


@click.group("audit", cls=AppGroup, help="The audit trail.")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="Check every hash chain of the audit trail; exit 1 when one "
                     "does not verify (changed, removed or forked events).")  # fmt: skip
def audit_verify() -> None:
    from casemodel.services.audit import broken_chains

    with session_scope(db.session_factory) as session:
        broken = broken_chains(session)
    for chain in broken:
        name = "the global chain" if chain is None else f"dossier {chain}"
        click.echo(f"does not verify: {name}")
    if broken:
        raise SystemExit(1)
    click.echo("every chain verifies")


@click.group("templates", cls=AppGroup, help="Case templates.")
def templates_group() -> None:
    pass


@templates_group.command("check", help="Validate every case template.")
def templates_check() -> None:
    try:
        registry = TemplateRegistry.from_folder()
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    for template in registry.all_latest():
        click.echo(f"{template.key} v{template.version}: {len(template.steps)} steps")
