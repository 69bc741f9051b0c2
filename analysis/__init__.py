"""Pure statistics for Trivsel: validated inputs in, one report object out (contract.md 1, 2 and 4).

No Flask, no database, no I/O beyond the readers of the contract's files (DESIGN.md).
"""

from __future__ import annotations

from .csvio import InputError
from .inputs import read_responses, read_units, responses_frame, units_frame
from .report import SCHEMA, Report, analyse
from .settings import Settings, read_settings, settings_from_mapping

__all__ = [
    "SCHEMA",
    "InputError",
    "Report",
    "Settings",
    "analyse",
    "read_responses",
    "read_settings",
    "read_units",
    "responses_frame",
    "settings_from_mapping",
    "units_frame",
]
