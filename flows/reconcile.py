"""The reconciler: dossier runs that stopped without a sign are found and set going again.

Prefect covers one part itself: every flow run sends heartbeats (PREFECT_FLOWS_HEARTBEAT_FREQUENCY)
and an automation (flows/automations.py) marks a run Crashed when they stop, which is what a run
whose process died with its worker looks like (a machine or container gone). Prefect does not
put a Crashed run back to work, nor a run a worker claimed and then died with (Pending for
good), nor tell the portal that a run failed or was cancelled from its UI. This does, in rounds
from the outbox relay (`flask outbox relay`, every DOSSIERFLOW_RECONCILE_SECONDS):

- Crashed, or Pending for longer than DOSSIERFLOW_PENDING_SECONDS: the run goes back in the work
  pool (AwaitingRetry) and continues from its first unfinished step; finished steps come back
  from the task cache. At most casemodel.services.failures.MAX_RECOVERIES times an hour, then
  the dossier fails instead, for staff to look at.
- Failed (the flow could not write that itself): the dossier fails with the run's message.
- Cancelled, or Cancelling with no worker finishing it: the dossier is cancelled.
- Running with no heartbeat kept for twice DOSSIERFLOW_ZOMBIE_SECONDS, or none at all since it
  started running that long ago: marked Crashed, as the automation would have. The automation
  opens its window on a run's first heartbeat, so a process killed before that heartbeat got
  out (a second after a resume) is never marked; and it works on events as they arrive, so those
  in flight when the server stopped are lost. This looks at the heartbeats the server kept.

Only runs of the dossier deployment, of dossiers that are open, are touched. Each round reads
the runs that ended since the previous round (and, after a start, those of the last week), and
those Pending or Cancelling now.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterEndTime,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.states import AwaitingRetry, Cancelled, Crashed
from sqlalchemy.orm import Session, sessionmaker

from casemodel.db import session_scope, utcnow
from casemodel.models import Dossier
from casemodel.services.dossiers import cancel_dossier
from casemodel.services.failures import fail_step, may_reschedule
from flows.automations import zombie_seconds
from flows.nudge import nudge
from flows.relay import DEPLOYMENT, prefect_client

log = logging.getLogger(__name__)

#: How far back the first round after a start looks for runs that ended.
FIRST_LOOK_BACK = dt.timedelta(days=7)
#: Rounds overlap by this much, so a run that ended while a round ran is not missed.
OVERLAP = dt.timedelta(minutes=5)
PAGE = 200


def reconcile_seconds() -> float:
    return float(os.environ.get("DOSSIERFLOW_RECONCILE_SECONDS", "15"))


def pending_seconds() -> float:
    """A claimed run starts within seconds; one Pending this long lost its worker."""
    return float(os.environ.get("DOSSIERFLOW_PENDING_SECONDS", "60"))


@dataclass
class Reconciler:
    factory: sessionmaker[Session]
    pending_after: float = field(default_factory=pending_seconds)
    since: dt.datetime = field(default_factory=lambda: utcnow() - FIRST_LOOK_BACK)

    def run_once(self) -> dict[str, int]:
        """One round; returns what it did, by action. Prefect not answering raises (the relay
        logs it and tries again next round)."""
        started = utcnow()
        done: dict[str, int] = {}
        with prefect_client() as client:
            flow_name, _, deployment_name = DEPLOYMENT.partition("/")
            ours = dict(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[deployment_name])
                ),
                limit=PAGE,
            )
            ended = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(
                            any_=[StateType.CRASHED, StateType.FAILED, StateType.CANCELLED]
                        )
                    ),
                    end_time=FlowRunFilterEndTime(after_=self.since - OVERLAP),
                ),
                **ours,
            )
            stuck = (
                client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(
                            type=FlowRunFilterStateType(any_=[StateType.PENDING]),
                        )
                    ),
                    **ours,
                )
                + self._silent(
                    client,
                    client.read_flow_runs(
                        flow_run_filter=FlowRunFilter(
                            state=FlowRunFilterState(
                                type=FlowRunFilterStateType(any_=[StateType.RUNNING]),
                            )
                        ),
                        **ours,
                    ),
                )
                + client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Cancelling"]))
                    ),
                    **ours,
                )
            )
            for run in [*ended, *stuck]:
                action = self._reconcile(client, run)
                if action:
                    done[action] = done.get(action, 0) + 1
                    log.info("reconciler: %s flow run %s (%s)", action, run.id, run.state.name)
        if len(ended) < PAGE:
            self.since = started
        return done

    def _silent(self, client: Any, running: list) -> list:
        """The running runs whose process is gone though the automation did not say so: none
        of their heartbeats kept for twice the automation's wait, or none at all since they
        started running that long ago (a process killed before its first heartbeat got out
        never opens the automation's window). Each is marked Crashed now, and so rescheduled
        below, in this same round."""
        wait = dt.timedelta(seconds=zombie_seconds())
        silent = []
        for run in running:
            if run.state is None or utcnow() - run.state.timestamp < wait:
                continue
            since = max(run.state.timestamp, utcnow() - 2 * wait)
            heartbeats = client.read_events(
                filter=EventFilter(
                    event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                    resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
                    occurred=EventOccurredFilter(since=since),
                ),
                limit=1,
            )
            if heartbeats.events:
                continue
            quiet = (utcnow() - since).seconds
            crashed = Crashed(message=f"No heartbeat for {quiet} s (reconciler).")
            result = client.set_flow_run_state(run.id, crashed, force=True)
            silent.append(run.model_copy(update={"state": result.state or crashed}))
        return silent

    def _reconcile(self, client: Any, run: Any) -> str | None:
        state = run.state
        dossier_id = (run.parameters or {}).get("dossier_id")
        if state is None or not isinstance(dossier_id, int):
            return None
        age = (utcnow() - state.timestamp).total_seconds()
        message = state.message or state.name
        with session_scope(self.factory) as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None or dossier.flow_run_id != str(run.id):
                return None
            if state.name == "Cancelling" and age < 2 * self.pending_after:
                return None  # its worker is stopping it
            if state.type == StateType.CANCELLED or state.name == "Cancelling":
                if not cancel_dossier(session, dossier_id=dossier_id, reason=message):
                    return None
                then = "cancel" if state.name == "Cancelling" else None
            elif dossier.status != "open":
                return None  # failed (staff decide), completed or cancelled
            elif state.type == StateType.FAILED:
                fail_step(session, dossier_id=dossier_id, error=f"The run failed: {message}")
                return "failed"
            elif state.type == StateType.CRASHED or (
                state.type == StateType.PENDING and age >= self.pending_after
            ):
                if not may_reschedule(session, dossier_id=dossier_id, run_state=state.name,
                                      message=message):  # fmt: skip
                    return "failed"
                then = "reschedule"
            else:
                return None
        # The portal's record is committed before Prefect is told: if telling fails, the next
        # round finds the run in the same state and tries again.
        if then == "reschedule":
            client.set_flow_run_state(
                run.id, AwaitingRetry(message=f"Rescheduled after {state.name}: {message}"),
                force=True,
            )  # fmt: skip
            nudge()
            return "rescheduled"
        if then == "cancel":
            client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
        return "cancelled"
