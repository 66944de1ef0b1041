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
from casemodel.links import (
    archive_link,
    dossier_link,
    inbox_link,
    my_account_link,
    proposals_link,
)
from casemodel.models import Dossier, Notification, Organisation, User
from casemodel.services.outbox import enqueue
from casemodel.services.rights import Rights, membership_of

#: For a client, per kind: the module of their membership (Membership.notify_*) that switches
#: it off, set in Mijn gegevens or by the organisation's administrator, and the rights without
#: which it is not theirs to be told of (services.rights). Staff are told of what clients send
#: them always: it is their work. "approval" is the approvals' kind (issue 15).
CLIENT_KINDS = {
    "document": ("notify_documents", ("view",)),
    "message": ("notify_messages", ("view",)),
    "questionnaire": ("notify_questionnaires", ("fill",)),
    "request": ("notify_uploads", ("view", "upload")),
    "approval": ("notify_approvals", ("approve",)),
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
    """Note something each user is to be told of, as their preferences and rights allow, and
    make sure a digest mail is queued for the end of the current batch window. Returns how many
    users were noted."""
    now = utcnow()
    noted = 0
    if dossier_id is not None and kind in CLIENT_KINDS:
        organisation_id = organisation_id or session.get(Dossier, dossier_id).organisation_id
    for user in {u.id: u for u in users}.values():
        if not user.is_active or not _wants(session, user, kind, organisation_id):
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


def _wants(session: Session, user: User, kind: str, organisation_id: int | None) -> bool:
    """Whether a client is told of this kind for the organisation: a member whose rights let
    them see it and whose module for it is on."""
    if user.is_staff or kind not in CLIENT_KINDS:
        return True
    membership = membership_of(session, user, organisation_id) if organisation_id else None
    if membership is None:
        return False
    module, needed = CLIENT_KINDS[kind]
    rights = Rights.of(membership)
    return getattr(membership, module) and all(getattr(rights, right) for right in needed)


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
            link = _ORGANISATION_LINKS.get(kind, lambda: archive_link(for_staff=user.is_staff))
            item |= {"client_number": organisation.client_number, "link": link()}
        else:
            item |= {"link": inbox_link() if user.is_staff else config.base_url() + "/home"}
        items.append(item)
    return sorted(items, key=lambda i: (str(i.get("number", "")), i["kind"]))


_TABS = {"message": "messages", "client_message": "messages", "document": None}
#: Where an organisation's item leads, by kind (else its folders, or the office's archive).
_ORGANISATION_LINKS = {"proposal": proposals_link, "proposal_reviewed": my_account_link}


def _window_end(moment: dt.datetime) -> dt.datetime:
    window = max(config.digest_delay_seconds(), 1)
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % window + window, tz=dt.UTC)
