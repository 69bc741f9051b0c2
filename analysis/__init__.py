"""Pure statistics for Trivsel: validated inputs in, one report object out (contract.md 1, 2 and 4).

No Flask, no database, no I/O beyond the readers of the contract's files (DESIGN.md).

The public names are loaded on first use (PEP 562), so that ``import analysis`` (and every ``trivsel``
command, which imports ``analysis.cli``) does not pay for pandas and SciPy until an analysis runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .allocation import Allocation, AllocationError, Application, Grant, Override, allocate
    from .csvio import InputError
    from .inputs import combine_questionnaires, read_responses, read_units, responses_frame, units_frame
    from .publish import PublishError, PublishPolicy, publish
    from .report import SCHEMA, Report, analyse
    from .settings import Settings, read_settings, settings_from_mapping

_WHERE: dict[str, str] = {
    "Allocation": "allocation",
    "AllocationError": "allocation",
    "Application": "allocation",
    "Grant": "allocation",
    "Override": "allocation",
    "allocate": "allocation",
    "InputError": "csvio",
    "combine_questionnaires": "inputs",
    "PublishError": "publish",
    "PublishPolicy": "publish",
    "publish": "publish",
    "read_responses": "inputs",
    "read_units": "inputs",
    "responses_frame": "inputs",
    "units_frame": "inputs",
    "SCHEMA": "report",
    "Report": "report",
    "analyse": "report",
    "Settings": "settings",
    "read_settings": "settings",
    "settings_from_mapping": "settings",
}

__all__ = [
    "SCHEMA",
    "Allocation",
    "AllocationError",
    "Application",
    "Grant",
    "Override",
    "allocate",
    "InputError",
    "PublishError",
    "PublishPolicy",
    "Report",
    "Settings",
    "analyse",
    "combine_questionnaires",
    "publish",
    "read_responses",
    "read_settings",
    "read_units",
    "responses_frame",
    "settings_from_mapping",
    "units_frame",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
