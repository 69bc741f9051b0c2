"""bench/analysis.py cannot rot: its generated files pass ``trivsel analyse``, and its floor (the
vectorised reference it times) computes the same n, mean and Welch p as the report, on a tiny organisation."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.cli import analyse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_analysis", ROOT / "bench" / "analysis.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    folder = tmp_path_factory.mktemp("bench")
    files = bench.generate(folder, respondents=300, n_units=20, seed=11)
    out = folder / "report.json"
    # the very arguments the benchmark gives the installed command (without the program and "analyse")
    result = CliRunner().invoke(analyse, bench.analyse_cmd(files, folder)[2:])
    assert result.exit_code == 0, result.output
    return files, json.loads(out.read_text()), folder


def test_generator_is_deterministic_and_shaped(bench: ModuleType, generated: tuple, tmp_path: Path) -> None:
    files, report, folder = generated
    again = bench.generate(tmp_path, respondents=300, n_units=20, seed=11)
    for key in ("units", "responses", "questionnaire"):
        assert again[key].read_bytes() == files[key].read_bytes(), key
    lines = files["responses"].read_text().splitlines()
    assert len(lines) == 1 + 2 * 300
    header = lines[0].split(",")
    assert len(header) == 2 + 60 + 4 * 4
    assert {u["depth"] for u in report["units"]} == {0, 1, 2, 3, 4}
    assert len(report["units"]) == 20
    themes = {s["id"] for s in report["scores"] if s["kind"] == "theme"}
    assert len(themes) == 10
    assert {e["kind"] for e in report["exposures"]} <= {
        "bullying",
        "sexual_harassment",
        "threats",
        "violence",
    }


def test_floor_matches_the_report(bench: ModuleType, generated: tuple) -> None:
    files, report, _ = generated
    floor = bench.floor_stats(files["units"], files["responses"])
    unit_index = {u: i for i, u in enumerate(floor["unit_ids"])}
    item_index = {it: k for k, it in enumerate(floor["items"])}
    checked = tested = 0
    for row in report["scores"]:
        if row["kind"] != "item":
            continue
        u, k = unit_index[row["unit_id"]], item_index[row["id"]]
        assert floor["n"]["2025"][u, k] == row["n"]
        assert math.isclose(floor["mean"]["2025"][u, k], row["mean"], rel_tol=0, abs_tol=1e-12)
        if row["sd"] is not None:
            assert math.isclose(floor["sd"]["2025"][u, k], row["sd"], rel_tol=1e-9)
        checked += 1
        change = row["change"]
        if change is not None and change["p"] is not None:
            assert floor["n"]["2024"][u, k] == change["baseline_n"]
            assert math.isclose(floor["p"][u, k], change["p"], rel_tol=1e-7, abs_tol=1e-12)
            tested += 1
    assert checked >= 60 and tested >= 60  # at least the root's items
    # the floor covers suppressed cells too: every unit and item has a number
    assert np.isfinite(floor["n"]["2025"]).all()


def test_naive_reference_runs_a_sample(bench: ModuleType, generated: tuple) -> None:
    files, _, _ = generated
    res = bench.naive(files["units"], files["responses"], cells=50)
    assert res["cells_run"] == 50 and res["cells_total"] == 20 * 60 and res["extrapolated"]
    assert res["total"] >= res["setup"]
