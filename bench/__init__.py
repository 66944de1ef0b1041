"""Benchmarks: `python -m bench` runs them all and prints one figure a line (see README.md)."""

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def host_speed_line() -> str:
    """One stderr line that says how fast this shared machine runs right now: a fixed loop of
    pure Python, timed. Figures from runs whose loop took much longer than usual (0.25-0.4 s on
    the 2-core machine the README's figures come from) were taken on a busy host."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return f"# host speed: a fixed Python loop took {time.perf_counter() - started:.2f}s"


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0.95 for p95): linear interpolation between closest ranks (numpy's
    default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@contextmanager
def databases(use_sqlite: bool, workdir: Path) -> Iterator[Callable[[str], str]]:
    """A function that creates an empty database and returns its URL; the cluster stops after."""
    if use_sqlite:
        yield lambda name: f"sqlite:///{workdir / (name + '.db')}"
        return
    from tests.pgcluster import PostgresCluster

    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster.create_database
    finally:
        cluster.stop()


@contextmanager
def production_stack(workdir: Path) -> Iterator[tuple]:
    """As deployed, on this machine: a PostgreSQL cluster with the portal's database (migrated)
    and Prefect's, a Prefect server on it with its API credentials, the pool, the deployments
    and the automation. Yields (stack, portal_url, env, cluster), env being what workers and the
    relay need beside the stack's own; this process's environment gets both. Everything stops
    after."""
    import os
    import secrets

    from casemodel import migrate
    from devtools.prefect_stack import PrefectStack, deploy
    from tests.pgcluster import PostgresCluster

    for name in [n for n in os.environ if n.startswith(("PREFECT_", "DOSSIERFLOW_"))]:
        del os.environ[name]
    with PostgresCluster() as cluster:
        portal_url = cluster.create_database("portal")
        migrate.upgrade(portal_url)
        prefect_db = cluster.create_database("prefect").replace("+psycopg", "+asyncpg")
        stack = PrefectStack(workdir / "prefect", database_url=prefect_db,
                             auth_string=f"bench:{secrets.token_urlsafe(12)}")  # fmt: skip
        try:
            env = {"DOSSIERFLOW_DATABASE_URL": portal_url,
                   "DOSSIERFLOW_FILES": str(workdir / "files"),
                   "DOSSIERFLOW_INSTANCE": str(workdir / "instance")}  # fmt: skip
            os.environ.update({**stack.env, **env})
            stack.start_server(timeout=120)
            deploy(stack.env)
            yield stack, portal_url, env, cluster
        finally:
            stack.stop()
