"""The step kinds: one module per kind (casemodel/stepkinds/<kind>.py), each ending in
`KIND = StepKind(...)` (stepkinds.base). This is the only list of kinds: the template loader,
the generic dossier flow, the task inbox and the client's "Acties" all read it.

Adding a kind is adding its module (and its pages and translations, if a person does it); see
docs/DESIGN-notes.md, "Step kinds". The modules are found on first use, not at import: the
kinds use the step services, which ask the registry for a kind's audience.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing it here would import the step services, which import this
    from casemodel.stepkinds.base import StepKind

__all__ = ["all_kinds", "kind_of", "kind_names"]


@cache
def _registry() -> dict[str, StepKind]:
    from casemodel.stepkinds.base import StepKind

    kinds: dict[str, StepKind] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, StepKind):
            continue  # a helper module (base)
        if kind.name != module_info.name:
            raise RuntimeError(f"{module.__name__} defines the kind {kind.name!r}: "
                               "a kind's module is named after it")  # fmt: skip
        kinds[kind.name] = kind
    return kinds


def kind_of(name: str) -> StepKind:
    """The kind of this name. Raises KeyError for one that does not exist."""
    return _registry()[name]


def kind_names() -> list[str]:
    """Every kind's name, sorted."""
    return list(_registry())


def all_kinds() -> list[StepKind]:
    return list(_registry().values())
