"""Click commands ``trivsel analyse`` and ``trivsel allocate`` (contract.md sections 2 and 3).

The commands live in their own modules; this module only gathers them for ``survey.cli``.
"""

from __future__ import annotations

from .allocate_cmd import allocate
from .analyse_cmd import analyse

__all__ = ["allocate", "analyse"]
