"""The Prefect automation that marks a dossier run Crashed when its heartbeats stop.

    python -m flows.automations      # create or update it on the server of PREFECT_API_URL

Prefect's documented answer to runs whose process died with its machine ("zombie" runs): the
flow engine sends a `prefect.flow-run.heartbeat` event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY
seconds (30 on our workers), and this automation marks a run Crashed when no heartbeat, and no
event that ends the wait, has come within DOSSIERFLOW_ZOMBIE_SECONDS (75) of the last one. The
reconciler (flows/reconcile.py) then puts the Crashed run back to work.

Suspending is one of the events that end the wait: a suspended run has no process and sends no
heartbeats while it waits for a person, for days.
"""

from __future__ import annotations

import datetime as dt
import os

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

NAME = "dossierflow: crash runs whose heartbeats stopped"
#: Events after which a run sends no heartbeats and is not a zombie: it ended, waits for a
#: person (suspended, paused), is being cancelled, or was put back in the pool by a worker that
#: stopped. Not "Resuming" or "Scheduled": the server reports those itself, sometimes after the
#: new process's first heartbeat, which they would then cancel (a run killed right after its
#: resume was never marked Crashed); a run that comes back to the pool after a suspension has
#: no heartbeat window open anyway.
QUIET_AFTER = [
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Cancelling",
    "prefect.flow-run.Crashed",
    "prefect.flow-run.Suspended",
    "prefect.flow-run.Paused",
    "prefect.flow-run.AwaitingRetry",
]


def zombie_seconds() -> int:
    """Longer than the heartbeat frequency (30 s), with room for a heartbeat 45 s late; short
    enough that a dead run is back at work within two minutes (docs/DESIGN-notes.md)."""
    return int(os.environ.get("DOSSIERFLOW_ZOMBIE_SECONDS", "75"))


def zombie_automation(within_seconds: int | None = None) -> Automation:
    return Automation(
        name=NAME,
        description="Dossierflow: a run whose process is gone is marked Crashed; the "
        "reconciler puts it back to work (flows/automations.py).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *QUIET_AFTER},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=within_seconds or zombie_seconds()),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message="No heartbeat: the run's process is gone.",
            )
        ],
    )


def ensure_zombie_automation(within_seconds: int | None = None) -> Automation:
    """Create the automation, or bring an existing one (by name) up to date."""
    wanted = zombie_automation(within_seconds)
    try:
        existing = Automation.read(name=NAME)
    except ValueError:  # Prefect's answer for "no automation of that name"
        return wanted.create()
    wanted.id = existing.id
    wanted.update()
    return wanted


if __name__ == "__main__":
    automation = ensure_zombie_automation()
    print(f"automation {automation.name!r} is in place ({automation.id})")
