"""A closed wave's joined report is kept in memory (its stored publications never change), so a report
page does not decode and copy ~100,000 rows per request; a deleted and re-imported wave is never served
from that memory (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE


@pytest.fixture()
def waves(app: Any, db: Any) -> None:
    from survey.services import dataset
    from survey.services.units import import_units

    import_units(EXAMPLE / "units.csv")
    dataset.import_responses(EXAMPLE / "responses.csv", EXAMPLE / "questionnaire.yaml",
                             baselines={"2025": "2023"})


def reimport_2025(tmp_path: Path, keep: int | None = None, flip: bool = False) -> None:
    """Import wave 2025 again from the example's rows: the first ``keep`` rows, or every row with each
    answer turned around (8 - x) so that the count stays and every mean changes."""
    from survey.services import dataset

    head, *rows = (EXAMPLE / "responses.csv").read_text(encoding="utf-8").splitlines()
    cols = head.split(",")
    rows = [r for r in rows if r.split(",")[cols.index("wave")] == "2025"]
    if keep is not None:
        rows = rows[:keep]
    if flip:
        items = [i for i, c in enumerate(cols) if c.startswith(("KLAR", "FAEL", "TEMP"))]
        out = []
        for r in rows:
            cells = r.split(",")
            for i in items:
                if cells[i] in {"1", "2", "3", "4", "5", "6", "7"}:
                    cells[i] = str(8 - int(cells[i]))
            out.append(",".join(cells))
        rows = out
    path = tmp_path / "responses_2025.csv"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    dataset.import_responses(path, EXAMPLE / "questionnaire.yaml", baselines={"2025": "2023"})


def theme_means(report: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(s["unit_id"], s["id"]): s["mean"] for s in report["scores"] if s["kind"] == "theme"}


def test_closed_wave_report_is_served_from_memory(waves: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from survey.services import reporting

    first = reporting.wave_report("2025")
    monkeypatch.setattr(reporting, "_join_wave", lambda *a: pytest.fail("joined again"))
    second = reporting.wave_report("2025")
    assert second.report["scores"][0] is first.report["scores"][0]  # shared rows, nothing decoded
    # a page's scope is a new list of the same rows: the cached report is not changed by it
    scoped = reporting.scope_report(second.report, {"FIL", "FNO"})
    assert {u["unit_id"] for u in scoped["units"]} == {"FIL", "FNO"}
    assert len(reporting.wave_report("2025").report["units"]) == 14


def test_deleted_and_reimported_wave_is_not_served_from_memory(waves: None, tmp_path: Path) -> None:
    """Same label, same number of responses, other answers, and (SQLite) the same wave and publication
    ids: the new numbers show, because deleting the wave clears this process's memory."""
    from survey.services import privacy, reporting

    before = theme_means(reporting.wave_report("2025").report)
    privacy.delete_wave("2025")
    reimport_2025(tmp_path, flip=True)
    reporting.publish_wave("2025")  # published again (as at a close) before this page asks: same ids
    after = theme_means(reporting.wave_report("2025").report)
    common = set(before) & set(after)
    assert common and all(before[k] != after[k] for k in common)


def test_a_reimport_with_other_counts_is_a_new_key_even_without_clearing(
    waves: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process cannot clear this one's memory: the response count is part of the key. (Ids are
    never reused on PostgreSQL; on SQLite a re-import with the same count by another process is the case
    the key cannot tell apart.)"""
    from survey.services import privacy, reporting

    before = theme_means(reporting.wave_report("2025").report)
    monkeypatch.setattr(reporting, "clear_cache", lambda: None)  # as if deleted by another process
    privacy.delete_wave("2025")
    reimport_2025(tmp_path, keep=60)
    reporting.publish_wave("2025")  # by the other process: the same wave and publication ids in SQLite
    after = theme_means(reporting.wave_report("2025").report)
    assert after and after != before


def test_a_large_cached_report_is_frozen_out_of_the_collector_small_ones_not(
        waves: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large report is frozen once when it is cached (no full collection walks its rows again: that
    pause landed on page requests at 1,500 units); a small one, and a hit from memory, are not."""
    from survey.services import reporting

    calls: list[str] = []
    monkeypatch.setattr(reporting.gc, "freeze", lambda: calls.append("freeze"))
    reporting.clear_cache()
    reporting.wave_report("2025")
    assert calls == []  # the example is small
    reporting.clear_cache()
    monkeypatch.setattr(reporting, "FREEZE_ROWS", 1)
    reporting.wave_report("2025")
    assert calls == ["freeze"]
    reporting.wave_report("2025")  # from memory: nothing new to freeze
    assert calls == ["freeze"]
