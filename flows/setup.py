"""What a Prefect server needs before dossiers run on it: the work pool and the automation.

    python -m flows.setup        # then: prefect --no-prompt deploy --all

- The `dossiers` work pool, of the dossier worker's type (flows/worker.py) with its job template
  (Prefect's process template: env, working directory). Prefect's stock process worker serves it
  too (it says the types differ, and works the same). An existing pool of another type, from
  before the dossier worker had a type of its own, is made again.
- The automation that marks runs whose heartbeats stopped Crashed (flows/automations.py).
Both may be run again at any time.
"""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.exceptions import ObjectNotFound

from flows.automations import ensure_zombie_automation
from flows.worker import DossierWorker

POOL = "dossiers"


def ensure_work_pool(name: str = POOL) -> str:
    """Create the pool, or bring it up to date; returns what was done."""
    template = DossierWorker.get_default_base_job_template()
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            pool = None
        if pool is not None and pool.type == DossierWorker.type:
            client.update_work_pool(name, WorkPoolUpdate(base_job_template=template))
            return "updated"
        if pool is not None:
            client.delete_work_pool(name)
        client.create_work_pool(
            WorkPoolCreate(name=name, type=DossierWorker.type, base_job_template=template)
        )
        return "created" if pool is None else f"made again (it was of type {pool.type!r})"


def main() -> None:
    print(f"work pool {POOL!r}: {ensure_work_pool()}")
    automation = ensure_zombie_automation()
    print(f"automation {automation.name!r} is in place")


if __name__ == "__main__":
    main()
