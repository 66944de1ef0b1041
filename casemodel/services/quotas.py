"""Limits on what one account, and one organisation, may create in an hour: messages, uploaded
files and their bytes, invitations, and (for the features that call them) questionnaire saves
and approval codes. Anti-automation: a person never comes near them; a script does.

Each limit is named and has settings with defaults (`DOSSIERFLOW_LIMIT_<NAME>_<FIELD>`, e.g.
`DOSSIERFLOW_LIMIT_MESSAGES_PER_USER=30`; 0 switches that part off). A feature adds one call:
`charge(session, "messages", actor=..., organisation_id=...)` before it writes anything, and a
refusal raises QuotaExceeded, which says until when, so the web layer can tell the person when
they can go on while keeping what they typed.

The counts live in the portal database (models.QuotaUsage), which every portal process, the CLI
and the flow workers share whatever the deployment: no second store to configure, and a count
belongs to the transaction of what it counts (a refused or failed request counts nothing).
docs/DESIGN-notes.md, "Limits per account", says why not Flask-Limiter's storage.

A window is a sliding hour, estimated from the counts of the current clock hour and the one
before (weighted by the share of it still within the last sixty minutes), as Cloudflare's and
the `limits` library's "sliding window counter" do: no burst of twice the limit across the turn
of an hour, and one row per subject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemodel.db import insert_for, utcnow
from casemodel.models import QuotaUsage, User
from casemodel.services.audit import record_event
from casemodel.services.errors import DomainError

WINDOW = dt.timedelta(hours=1)
MB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    """What may be created per hour, per account and per organisation; None: no limit."""

    name: str
    per_user: int | None = None
    per_organisation: int | None = None
    mb_per_user: int | None = None
    mb_per_organisation: int | None = None
    #: Whether staff accounts count too (they do for what staff create: invitations; what
    #: clients send is limited for clients).
    staff: bool = False


#: The defaults: far above what a person does in an hour, far below what a script does.
DEFAULT_LIMITS = {
    limit.name: limit
    for limit in (
        Limit("messages", per_user=30, per_organisation=100),
        # Message attachments, files for the Upload folder and for an upload request alike.
        Limit("uploads", per_user=100, per_organisation=300, mb_per_user=1000,
              mb_per_organisation=3000),  # fmt: skip
        Limit("questionnaire_saves", per_user=300, per_organisation=600),
        Limit("approval_codes", per_user=10, per_organisation=30),
        Limit("invitations", per_user=50, per_organisation=20, staff=True),
    )
}


def limit_for(name: str) -> Limit:
    """The limit with its settings from the environment: DOSSIERFLOW_LIMIT_MESSAGES_PER_USER,
    ..._PER_ORGANISATION, ..._MB_PER_USER, ..._MB_PER_ORGANISATION; 0 is no limit."""
    limit = DEFAULT_LIMITS[name]
    changes = {}
    for field in ("per_user", "per_organisation", "mb_per_user", "mb_per_organisation"):
        value = os.environ.get(f"DOSSIERFLOW_LIMIT_{name.upper()}_{field.upper()}")
        if value is not None and value.strip():
            number = int(value)
            changes[field] = number if number > 0 else None
    return dataclasses.replace(limit, **changes)


class QuotaExceeded(DomainError):
    """The limit refuses what was asked; nothing of it was created.

    Attributes:
        limit: the limit's name ("messages", ...).
        scope: "user" (the account's own limit) or "organisation" (what its organisation as a
            whole created).
        retry_at: from when it will be accepted again (UTC); None when it never will be (more
            at once than the limit allows in an hour).
        allowed: how many (or MB, for bytes) the limit allows an hour.
        unit: "count" or "mb".
    """

    def __init__(self, limit: str, scope: str, retry_at: dt.datetime | None, allowed: int,
                 unit: str):  # fmt: skip
        super().__init__(f"{limit} limit of the {scope} until {retry_at}")
        self.limit, self.scope, self.retry_at = limit, scope, retry_at
        self.allowed, self.unit = allowed, unit


def charge(
    session: Session,
    name: str,
    *,
    actor: User,
    organisation_id: int | None,
    count: int = 1,
    size: int = 0,
    now: dt.datetime | None = None,
) -> None:
    """Count `count` new things of `size` bytes in all against the named limit, for the actor
    and their organisation, or refuse them all: call before writing anything of them.

    A refusal is recorded for the office (an audit event `quota.exceeded`, once an hour per
    account and limit) and raised; the caller's transaction should still commit, so that the
    event stays (a web request that answers 4xx does).

    Raises:
        QuotaExceeded: no room left for them; it says until when.
    """
    _take(session, name, actor=actor, organisation_id=organisation_id, count=count, size=size,
          now=now or utcnow(), dry_run=False)  # fmt: skip


def check_room(session: Session, name: str, *, actor: User, now: dt.datetime | None = None) -> None:
    """Whether the actor's own limit has room left for one more, without counting it: before a
    large upload is read, so that a refused one is not streamed first. Takes no lock until it
    refuses (then as charge, so the refusal is recorded).

    Raises:
        QuotaExceeded: as charge.
    """
    limit = limit_for(name)
    if actor.is_staff and not limit.staff:
        return
    now = now or utcnow()
    row = session.scalar(
        select(QuotaUsage).where(QuotaUsage.name == name, QuotaUsage.subject == f"user:{actor.id}")
    )
    if row is None:
        return
    estimate = _Estimate.of(row, now)
    if _has_room(estimate.count, 1, limit.per_user) and _has_room(
        estimate.bytes, 0, limit.mb_per_user and limit.mb_per_user * MB
    ):
        return
    # Refused, as far as this unlocked read can tell: decide again under the lock, and record.
    _take(session, name, actor=actor, organisation_id=None, count=1, size=1, now=now,
          dry_run=True)  # fmt: skip


def _take(session, name, *, actor, organisation_id, count, size, now, dry_run) -> None:
    """charge(), and check_room()'s locked second look (dry_run: nothing is counted)."""
    limit = limit_for(name)
    if actor.is_staff and not limit.staff:
        return
    refusals = []
    rows = []
    for scope, subject, per_hour, mb_per_hour in _subjects(limit, actor, organisation_id):
        row = _locked_row(session, name, subject, scope, actor, organisation_id, now)
        rows.append(row)
        retry = _refusal(row, now, count, size, per_hour, mb_per_hour)
        if retry is not None:
            refusals.append((scope, row, *retry))
    if refusals:
        _record_refusals(session, name, actor, organisation_id, refusals, now)
        # The one that holds out longest is the one the person waits for.
        scope, _row, retry_at, allowed, unit = max(
            refusals, key=lambda r: r[2] or dt.datetime.max.replace(tzinfo=dt.UTC)
        )
        raise QuotaExceeded(name, scope, retry_at, allowed, unit)
    if not dry_run:
        for row in rows:
            row.count += count
            row.bytes += size
    session.flush()


# --- the window ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Estimate:
    """A row's counts as of `now`: the hour now started, the one before, and the estimate."""

    window_start: dt.datetime
    count: float
    bytes: float
    current_count: int
    current_bytes: int
    previous_count: int
    previous_bytes: int

    @classmethod
    def of(cls, row: QuotaUsage, now: dt.datetime) -> _Estimate:
        start = _hour_of(now)
        if row.window_start == start:
            current, previous = (row.count, row.bytes), (row.previous_count, row.previous_bytes)
        elif row.window_start == start - WINDOW:
            current, previous = (0, 0), (row.count, row.bytes)
        else:
            current, previous = (0, 0), (0, 0)
        weight = 1 - (now - start) / WINDOW
        return cls(
            start,
            previous[0] * weight + current[0],
            previous[1] * weight + current[1],
            *current,
            *previous,
        )


def _hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _has_room(estimate: float, amount: int, allowed: int | None) -> bool:
    """Room for `amount` more (counts: each of them still below the limit; bytes, amount 0:
    any room left, so a file is never refused for being larger than what is left)."""
    return allowed is None or estimate + max(amount - 1, 0) < allowed


def _refusal(row, now, count, size, per_hour, mb_per_hour):
    """None when there is room; else (retry_at, allowed, unit) of the first part that refuses."""
    estimate = _Estimate.of(row, now)
    bytes_allowed = mb_per_hour * MB if mb_per_hour else None
    if not _has_room(estimate.count, count, per_hour):
        budget = per_hour - max(count - 1, 0)
        return _retry_at(estimate, budget, estimate.current_count, estimate.previous_count), \
            per_hour, "count"  # fmt: skip
    if size and not _has_room(estimate.bytes, 0, bytes_allowed):
        return _retry_at(estimate, bytes_allowed, estimate.current_bytes,
                         estimate.previous_bytes), mb_per_hour, "mb"  # fmt: skip
    return None


def _retry_at(estimate: _Estimate, budget: int, current: int, previous: int):
    """The first whole second from which the estimate is below the budget again, with nothing
    more counted; None when that never happens (the budget is not above zero)."""
    if budget <= 0:
        return None
    start = estimate.window_start
    if current < budget:
        # Within this hour, as the previous hour's weight falls:
        # previous * (1 - t) < budget - current.
        fraction = 1 - (budget - current) / previous
        moment = start + WINDOW * fraction
    else:
        # In the next hour this hour is the previous one: current * (1 - t) < budget.
        moment = start + WINDOW + WINDOW * (1 - budget / current)
    return dt.datetime.fromtimestamp(math.floor(moment.timestamp()) + 1, dt.UTC)


# --- rows ---------------------------------------------------------------------------------------


def _subjects(limit: Limit, actor: User, organisation_id: int | None):
    """(scope, subject, per hour, MB per hour) of each part of the limit that applies; the
    account before its organisation, always in this order, so charges never wait on each other
    in a circle."""
    if limit.per_user or limit.mb_per_user:
        yield "user", f"user:{actor.id}", limit.per_user, limit.mb_per_user
    if organisation_id is not None and (limit.per_organisation or limit.mb_per_organisation):
        yield "organisation", f"organisation:{organisation_id}", limit.per_organisation, \
            limit.mb_per_organisation  # fmt: skip


def _locked_row(session, name, subject, scope, actor, organisation_id, now) -> QuotaUsage:
    """The subject's row, locked until the transaction ends (an UPDATE first: a row lock on
    PostgreSQL, the write lock on SQLite), and rolled on to the hour of `now`."""
    lock = (
        update(QuotaUsage)
        .where(QuotaUsage.name == name, QuotaUsage.subject == subject)
        .values(count=QuotaUsage.count)
        .returning(QuotaUsage.id)
        .execution_options(synchronize_session=False)
    )
    row_id = session.execute(lock).scalar()
    if row_id is None:  # the subject's first; another transaction may be adding it too
        session.execute(
            insert_for(session, QuotaUsage)
            .values(name=name, subject=subject, window_start=_hour_of(now), count=0, bytes=0,
                    previous_count=0, previous_bytes=0,
                    user_id=actor.id if scope == "user" else None,
                    organisation_id=organisation_id if scope == "organisation" else None)
            .on_conflict_do_nothing()
        )  # fmt: skip
        row_id = session.execute(lock).scalar_one()
    row = session.get(QuotaUsage, row_id, populate_existing=True)
    estimate = _Estimate.of(row, now)
    if row.window_start != estimate.window_start:
        row.window_start = estimate.window_start
        row.count, row.bytes = estimate.current_count, estimate.current_bytes
        row.previous_count, row.previous_bytes = estimate.previous_count, estimate.previous_bytes
    return row


def _record_refusals(session, name, actor, organisation_id, refusals, now) -> None:
    """An audit event for the office, at most once an hour per subject and limit (a script that
    goes on knocking would otherwise write one per try)."""
    for scope, row, retry_at, allowed, unit in refusals:
        if row.refused_at is None or now - row.refused_at >= WINDOW:
            record_event(
                session, action="quota.exceeded", actor=actor,
                detail={"limit": name, "scope": scope, "user_id": actor.id,
                        "organisation_id": organisation_id, "allowed": allowed, "unit": unit,
                        "until": retry_at.isoformat() if retry_at else None},
            )  # fmt: skip
            row.refused_at = now
    session.flush()
