"""The outbox under two transactions queueing the same effect at once (both backends): one row,
and neither transaction fails (two clients writing to the same handler, say)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from casemodel.db import make_engine, make_session_factory
from casemodel.models import OutboxMessage
from casemodel.services.outbox import enqueue
from tests.concurrency import two_at_once


@pytest.fixture
def factory(database_url):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_the_same_effect_queued_twice_at_once_is_one_row_and_no_error(factory):
    key = f"digest:race:{uuid.uuid4().hex}"

    def queue(session):
        return enqueue(session, kind="send_digest", dedupe_key=key, payload={"user_id": 1}).id

    first, second = two_at_once(factory, queue)
    assert first == second
    with factory() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key == key)
        )
    assert count == 1
