"""Demo work-environment figures for "Demo Kommune" (``survey.demo.UNITS``): three years of absence,
accidents and incidents, and a few reactions of the Working Environment Authority.

Deterministic (numpy with a fixed seed), written as the CSV files of docs/formats.md and imported through
``survey.services.workenv``, so the demo exercises the same path as HR. The story matches the survey's:

- care areas (Ældre og Sundhed, Dagtilbud) have more sickness absence and most of the violence, threats and
  high-emotional-demand registrations;
- Hjemmeplejen's absence rises from 2024 to 2025 (the survey shows its decline);
- Vej og Park has most accidents and near misses; near misses rise in 2025 (more are reported);
- the three tiny teams are hidden like in the survey (fewer than 5 employees).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: the years of demo figures
YEARS: tuple[int, ...] = (2023, 2024, 2025)
#: work days per month (260 a year / 12)
WORKDAYS = 260 / 12
SEED = 13


def _rate(unit_id: str, year: int) -> float:
    """Share of work days lost to sickness in a unit and year."""
    rate = 0.058 if unit_id.startswith(("AEL", "DAG")) else 0.036
    if unit_id.startswith("AEL-HJE"):
        rate += {2023: 0.0, 2024: 0.004, 2025: 0.022}[year]
    if unit_id == "DAG-N-SOL":
        rate -= {2023: 0.0, 2024: 0.004, 2025: 0.012}[year]
    return rate


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def absence_csv(units: Sequence[tuple[str, int]]) -> str:
    rng = np.random.default_rng(SEED)
    header = [
        "unit_id",
        "month",
        "fte",
        "headcount",
        "own_illness",
        "work_injury",
        "child_sick",
        "senior",
        "care",
        "maternity",
        "section56",
        "band_0_9",
        "band_10_29",
        "band_30_plus",
        "long_term",
    ]
    rows: list[list[object]] = []
    for year in YEARS:
        for month in range(1, 13):
            winter = 1.25 if month in (1, 2, 12) else 0.85 if month in (6, 7, 8) else 1.0
            for unit_id, headcount in units:
                if headcount == 0:
                    continue
                fte = round(headcount * 0.88, 1)
                expected = fte * WORKDAYS * _rate(unit_id, year) * winter
                own = round(float(rng.gamma(4.0, expected / 4.0)), 1)
                injury = round(
                    float(rng.choice([0.0, 0.0, 0.0, 2.0, 5.0]))
                    if unit_id.startswith(("AEL", "TEK-VEJ"))
                    else 0.0,
                    1,
                )
                sick = own + injury
                long_share = 0.62 if unit_id.startswith("AEL-HJE") and year == 2025 else 0.48
                b30 = round(sick * (long_share - 0.06), 1)
                b10 = round(sick * 0.18, 1)
                b0 = round(sick - b30 - b10, 1)
                long_term = round(sick * long_share, 1)
                rows.append(
                    [
                        unit_id,
                        f"{year}-{month:02d}",
                        f"{fte:.1f}",
                        headcount,
                        f"{own:.1f}",
                        f"{injury:.1f}",
                        f"{fte * 0.05:.1f}",
                        f"{fte * 0.02:.1f}" if unit_id.startswith("AEL") else "0",
                        f"{fte * 0.01:.1f}",
                        f"{fte * 0.35:.1f}" if headcount >= 15 else "0",
                        "0",
                        f"{b0:.1f}",
                        f"{b10:.1f}",
                        f"{b30:.1f}",
                        f"{long_term:.1f}",
                    ]
                )
    return _csv(header, rows)


def incidents_csv(units: Sequence[tuple[str, int]]) -> str:
    rng = np.random.default_rng(SEED + 1)
    rows: list[list[object]] = []
    for year in YEARS:
        for unit_id, headcount in units:
            if headcount == 0:
                continue
            care = unit_id.startswith(("AEL", "DAG"))
            rates = {
                "accident_absence": 0.03
                if unit_id in ("TEK-VEJ", "AEL-LIN") or unit_id.startswith("AEL-HJE")
                else 0.005,
                "accident_no_absence": 0.05 if care or unit_id == "TEK-VEJ" else 0.01,
                "near_miss": (0.25 if unit_id == "TEK-VEJ" else 0.04) * (1.5 if year == 2025 else 1.0),
                "violence": 0.12 if unit_id.startswith("AEL") else 0.05 if care else 0.0,
                "threats": 0.25 if unit_id == "KUB-BOR" else 0.1 if care else 0.01,
                "offensive_act": 0.03,
                "emotional_demands": (0.2 if care or unit_id == "KUB-BOR" else 0.0) if year >= 2024 else 0.0,
            }
            for kind, rate in rates.items():
                n = int(rng.poisson(rate * headcount))
                if n == 0:
                    continue
                month = f"{year}-{int(rng.integers(1, 13)):02d}"
                days = f"{float(rng.gamma(2.0, 4.0)) * n:.1f}" if kind == "accident_absence" else ""
                rows.append([unit_id, month, kind, n, days])
    # one row per unit, month and kind
    merged: dict[tuple[str, str, str], list[object]] = {}
    for r in rows:
        key = (str(r[0]), str(r[1]), str(r[2]))
        if key in merged:
            merged[key][3] = int(str(merged[key][3])) + int(str(r[3]))
            if r[4]:
                merged[key][4] = f"{float(str(merged[key][4] or 0)) + float(str(r[4])):.1f}"
        else:
            merged[key] = list(r)
    return _csv(["unit_id", "month", "kind", "count", "absence_days"], list(merged.values()))


REACTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("2023-04-18", "AEL-LIN", "vejledning", "Tunge løft og forflytninger"),
    ("2024-02-07", "AEL-HJE-N", "påbud", "Psykisk arbejdsmiljø: stor arbejdsmængde og tidspres"),
    ("2024-09-12", "TEK-VEJ", "påtale", "Støj og vibrationer"),
    ("2025-03-03", "AEL-LIN", "strakspåbud", "Vold og trusler: manglende instruktion"),
    ("2025-05-20", "KUB-BOR", "aftaleforløb", "Trusler fra borgere"),
    ("2025-10-08", "DAG-S-ENG", "vejledning", "Indeklima"),
)


def write_and_import(directory: str | Path, units: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Write ``absence.csv``, ``incidents.csv`` and ``reactions.csv`` into ``directory`` and import them
    (inside an application context). Returns rows imported per file."""
    from survey.services import workenv

    d = Path(directory)
    files = {
        "absence": absence_csv(units),
        "incidents": incidents_csv(units),
        "reactions": _csv(["date", "unit_id", "kind", "topic"], [list(r) for r in REACTIONS]),
    }
    counts: dict[str, int] = {}
    for name, text in files.items():
        path = d / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        counts[name] = getattr(workenv, f"import_{name}")(path).rows
    return counts
