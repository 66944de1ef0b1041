"""Dossierflow stands on Prefect's public API: every name imported from a non-public Prefect
module (one whose dotted path has a part starting with "_") must be on the allow-list below,
each with the reason no public way exists. An upgrade of Prefect that moves such a name then
fails here, loudly, instead of at run time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["casemodel", "flows", "webapp", "forms", "devtools", "bench", "tests"]

#: (module, name) -> why there is no public way. Keep it short; add an entry only with a note in
#: docs/DESIGN-notes.md.
ALLOWED: dict[tuple[str, str], str] = {}


def private_prefect_imports(source: str) -> list[tuple[str, str, int]]:
    """(module, name, line) of each name the source imports from a non-public Prefect module,
    or imports under a private name; "*" for a plain `import prefect._x`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            pairs = [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            pairs = [(alias.name, "*") for alias in node.names]
        else:
            continue
        for module, name in pairs:
            parts = module.split(".")
            if parts[0] == "prefect" and (
                any(part.startswith("_") for part in parts) or name.startswith("_")
            ):
                found.append((module, name, node.lineno))
    return found


def non_public_prefect_imports() -> dict[tuple[str, str], list[str]]:
    """Every (module, name) imported from a non-public Prefect module, with where."""
    found: dict[tuple[str, str], list[str]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for module, name, line in private_prefect_imports(path.read_text(encoding="utf-8")):
                found.setdefault((module, name), []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


def test_every_non_public_prefect_name_is_allowed_with_a_reason():
    found = non_public_prefect_imports()
    unexplained = {key: where for key, where in found.items() if key not in ALLOWED}
    assert not unexplained, (
        "imported from a non-public Prefect module without a reason in ALLOWED: "
        + "; ".join(f"{m}.{n} at {', '.join(w)}" for (m, n), w in unexplained.items())
    )
    assert all(reason.strip() for reason in ALLOWED.values())


def test_the_allow_list_has_no_stale_entries():
    assert set(ALLOWED) <= set(non_public_prefect_imports())


def test_the_scan_finds_private_modules_and_names_and_nothing_public():
    source = (
        "from prefect._internal.x import y\n"
        "from prefect.flows import _hidden, flow\n"
        "import prefect._vendor.z\n"
        "import prefect.flows\n"
        "from prefect.workers.base import BaseWorker\n"
        "from other._private import thing\n"
    )
    assert private_prefect_imports(source) == [
        ("prefect._internal.x", "y", 1),
        ("prefect.flows", "_hidden", 2),
        ("prefect._vendor.z", "*", 3),
    ]
