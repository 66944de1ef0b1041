"""E-mail notifications, batched: what happens is noted per user, and one mail per user tells of
everything noted within the batch window (twenty documents published at once make one mail).
The mail never holds the content itself, only that there is something, where, and a link.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel import config
from casemodel.db import utcnow
from casemodel.links import archive_link, dossier_link, inbox_link
from casemodel.models import Dossier, Notification, Organisation, User
from casemodel.services.outbox import enqueue

#: The preference (Mijn gegevens) that lets a client switch each kind off. Staff are told of
#: what clients send them always: it is their work.
PREFERENCES = {
    "document": "notify_documents",
    "message": "notify_messages",
    "questionnaire": "notify_questionnaires",
}
#: A batch's digest goes out this long after the window closes, so that a transaction still
#: committing rows of that window is in it.
GRACE_SECONDS = 5


def notify(
    session: Session,
    *,
    users: Iterable[User],
    kind: str,
    dossier_id: int | None = None,
    organisation_id: int | None = None,
) -> int:
    """Note something each user is to be told of, as their preferences allow, and make sure a
    digest mail is queued for the end of the current batch window. Returns how many users were
    noted."""
    now = utcnow()
    noted = 0
    for user in {u.id: u for u in users}.values():
        preference = PREFERENCES.get(kind)
        if not user.is_active or (preference and not getattr(user, preference)):
            continue
        session.add(
            Notification(
                user_id=user.id, kind=kind, dossier_id=dossier_id,
                organisation_id=organisation_id, created_at=now,
            )
        )  # fmt: skip
        window_end = _window_end(now)
        enqueue(
            session,
            kind="send_digest",
            dedupe_key=f"digest:{user.id}:{window_end.isoformat()}",
            payload={"user_id": user.id},
            due_at=window_end + dt.timedelta(seconds=GRACE_SECONDS),
        )
        noted += 1
    session.flush()
    return noted


def client_users(session: Session, dossier: Dossier) -> list[User]:
    """The people of the dossier's organisation, who are told of what the office does."""
    organisation = session.get(Organisation, dossier.organisation_id)
    return [membership.user for membership in organisation.memberships]


def send_digest(session: Session, user_id: int) -> bool:
    """Compose and queue the one mail that tells the user of everything noted and not yet told,
    and mark it told. Idempotent: with nothing waiting it does nothing. Returns whether a mail
    was queued."""
    from casemodel.services.account_links import queue_mail  # mail composing lives there

    query = select(Notification).where(
        Notification.user_id == user_id, Notification.sent_at.is_(None)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    pending = list(session.scalars(query.order_by(Notification.id)))
    user = session.get(User, user_id)
    if not pending or user is None:
        return False
    now = utcnow()
    for notification in pending:
        notification.sent_at = now
    if not user.is_active:
        return False
    queue_mail(
        session,
        template="digest",
        user=user,
        dedupe=f"digest:{user_id}:{pending[-1].id}",
        items=_digest_items(session, user, pending),
    )
    session.flush()
    return True


def _digest_items(session: Session, user: User, pending: list[Notification]) -> list[dict]:
    """One line per place and kind: {kind, count, number (dossier) or client_number, link}."""
    counts = Counter((n.kind, n.dossier_id, n.organisation_id) for n in pending)
    items = []
    for (kind, dossier_id, organisation_id), count in counts.items():
        item = {"kind": kind, "count": count}
        if dossier_id is not None:
            dossier = session.get(Dossier, dossier_id)
            item |= {"number": dossier.number,
                     "link": dossier_link(dossier_id, for_staff=user.is_staff,
                                          tab=_TABS.get(kind))}  # fmt: skip
        elif organisation_id is not None:
            organisation = session.get(Organisation, organisation_id)
            item |= {"client_number": organisation.client_number,
                     "link": archive_link(for_staff=user.is_staff)}  # fmt: skip
        else:
            item |= {"link": inbox_link() if user.is_staff else config.base_url() + "/home"}
        items.append(item)
    return sorted(items, key=lambda i: (str(i.get("number", "")), i["kind"]))


_TABS = {"message": "messages", "client_message": "messages", "document": None}


def _window_end(moment: dt.datetime) -> dt.datetime:
    window = max(config.digest_delay_seconds(), 1)
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % window + window, tz=dt.UTC)
