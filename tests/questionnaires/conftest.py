"""Fixtures for the questionnaire tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "data" / "example" / "questionnaire.yaml"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here so that --strict-markers accepts it; the lead may move it to pyproject.toml.
    config.addinivalue_line("markers", "slow: takes several seconds (builds a wheel)")


@pytest.fixture
def example_data() -> dict[str, Any]:
    """The worked example's questionnaire as plain data (a fresh copy per test, free to mutate)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
