"""`python -m bench` (`make bench`): every benchmark in turn, each in a process of its own;
`python -m bench transfers login` only those named.

Their figure lines (`<name> <value> <unit>`) go to stdout as they come, their progress notes to
stderr; the exit status is 1 if any benchmark failed, after all of them have run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: In this order: the quick ones first.
BENCHMARKS = [
    "questionnaire_pdf", "questionnaire_save", "approvals", "pages", "demo_ready", "resume_latency",
    "dossier_open", "recovery", "load", "login", "transfers",
]  # fmt: skip


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)  # fmt: skip
        return 2
    failed = []
    for name in names or BENCHMARKS:
        if not (ROOT / "bench" / f"{name}.py").exists():
            print(f"# bench.{name}: not present, skipped", file=sys.stderr, flush=True)
            continue
        print(f"# bench.{name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        # stdout and stderr pass straight through, so the figures stream as they are printed.
        result = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT)
        took = time.monotonic() - started
        if result.returncode != 0:
            failed.append(name)
            print(f"# bench.{name} FAILED (exit {result.returncode}) after {took:.0f}s",
                  file=sys.stderr, flush=True)  # fmt: skip
        else:
            print(f"# bench.{name} done in {took:.0f}s", file=sys.stderr, flush=True)
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
