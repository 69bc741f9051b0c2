"""Analysis benchmark (run by hand): a synthetic organisation through the real ``trivsel analyse``.

    .venv/bin/python bench/analysis.py [--respondents 50000] [--units 1500] [--out DIR] [--keep]

1. Generates contract input files (contract.md 1) deterministically (seeded NumPy): ``units.csv``
   (a tree of ``--units`` units over 5 levels, headcounts), ``questionnaire.yaml`` (60 scale items in
   10 themes of 6, two reverse items per theme, a 7-point scale with a don't-know code, the four
   exposure kinds with question / source / handled / told) and ``responses.csv`` (``--respondents``
   rows per wave, waves 2024 and 2025, with empty / ``NA`` / don't-know answers).
2. Runs the installed command ``trivsel analyse ... --wave 2025 --baseline 2024 --json`` as a child
   process ``--repeat`` times (default 3; the median run is judged, the machine may be shared) and
   measures its wall time and peak RSS (``os.wait4``: the child's own rusage); then the
   same command with ``--xlsx`` (and with ``--html`` when asked), each timed as a whole command.
3. Times two references in the same run:

   (a) the *floor*: a child process that imports NumPy/pandas/SciPy, reads ``responses.csv`` with
       ``pandas.read_csv`` (C engine, explicit dtypes), and in one vectorised pass computes n, mean and
       sd per unit × item for both waves (groupby on the unit of attachment → n, Σx, Σx²; roll-up to
       every ancestor through a sparse ancestor matrix) and Welch's p for every cell with
       ``scipy.stats.ttest_ind_from_stats`` — no validation, no themes, no suppression, no JSON.
       No implementation of the full command can be much faster than this.
   (b) the *naive* loop: per unit × item cell, the subtree's raw answers of both waves are taken
       out and ``scipy.stats.ttest_ind(equal_var=False)`` is called. It is run on a seeded sample of
       ``--naive-cells`` cells and extrapolated to all cells (printed as such).

Prints wall and peak RSS of each command, floor and naive seconds, the ratios full/floor (against the
floor's whole process and against its read + compute alone) and naive/full, and PASS/MISS for the targets
(issue 3, item 6): full analysis to JSON <= 5 s, peak memory <= 2 GiB, full <= 10 x floor (the larger of
the two ratios), the XLSX command <= 15 s.

``generate()`` and ``floor_stats()`` are imported by tests/test_bench_analysis.py, which runs them on a
tiny organisation and checks the files pass ``trivsel analyse`` and the floor equals the report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TRIVSEL = VENV_BIN / "trivsel"

WAVES = ("2024", "2025")
LEVELS = 5
N_THEMES = 10
ITEMS_PER_THEME = 6
DONT_KNOW = 9
EXPOSURE_KINDS = (("bullying", "BUL"), ("sexual_harassment", "SXH"), ("threats", "THR"), ("violence", "VIO"))
SOURCES = ("manager", "colleague", "subordinate", "citizen", "partner")
HANDLED = ("yes", "partly", "no", "dont_know")
TOLD = ("manager", "colleague", "representative", "hr", "other", "no_one")
GiB = 1024**3

TARGET_WALL = 5.0
TARGET_RSS = 2 * GiB
TARGET_RATIO = 10.0
TARGET_XLSX = 15.0


# ---------------------------------------------------------------------------------------------
# generator
# ---------------------------------------------------------------------------------------------


def item_ids() -> list[tuple[str, str, bool]]:
    """(theme id, item id, reverse) for the 60 items: in each theme the 3rd and 6th items are reverse."""
    out = []
    for t in range(N_THEMES):
        for j in range(ITEMS_PER_THEME):
            out.append((f"tema{t + 1:02d}", f"T{t + 1:02d}I{j + 1}", j in (2, 5)))
    return out


def questionnaire_yaml() -> str:
    lines = [
        "# Synthetic questionnaire of bench/analysis.py (contract 1.2: minimum keys plus labels)",
        "id: bench",
        "version: 1",
        'title: {da: "Benchmark", en: "Benchmark"}',
        "scales:",
        "  enig7:",
        "    min: 1",
        "    max: 7",
        f"    dont_know: {DONT_KNOW}",
        "    labels:",
        '      da: ["Helt uenig", "Uenig", "Lidt uenig", "Hverken eller", "Lidt enig", "Enig", "Helt enig"]',
        '      en: ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither", "Somewhat agree",'
        ' "Agree", "Strongly agree"]',
        "themes:",
    ]
    current = None
    for theme, item, reverse in item_ids():
        if theme != current:
            current = theme
            lines += [
                f"  - id: {theme}",
                f'    title: {{da: "Tema {theme[-2:]}", en: "Theme {theme[-2:]}"}}',
                "    items:",
            ]
        lines += [
            f"      - id: {item}",
            f'        text: {{da: "Udsagn {item}", en: "Statement {item}"}}',
            "        scale: enig7",
            f"        reverse: {'true' if reverse else 'false'}",
        ]
    lines.append("exposures:")
    for kind, prefix in EXPOSURE_KINDS:
        lines.append(f"  - kind: {kind}")
        for part, suffix in (("question", "Q"), ("source", "SRC"), ("handled", "HANDLED"), ("told", "TOLD")):
            lines.append(
                f'    {part}: {{id: {prefix}_{suffix}, text: {{da: "{kind} {part}", en: "{kind} {part}"}}}}'
            )
    return "\n".join(lines) + "\n"


def unit_tree(n_units: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Ids, parent index (−1 root) and depth of a tree of ``n_units`` over 5 levels (0..4).

    Level sizes grow by about x5 per level down to the leaves; each unit's parent is drawn from the
    level above (every unit of a non-leaf level gets at least one child when there are enough)."""
    if n_units < LEVELS:
        raise ValueError(f"need at least {LEVELS} units for {LEVELS} levels")
    weights = np.array([5.0**d for d in range(LEVELS)])
    sizes = np.maximum(1, np.floor((n_units - 1) * weights[1:] / weights[1:].sum())).astype(int)
    sizes[-1] += n_units - 1 - int(sizes.sum())
    sizes = np.r_[1, sizes]
    parent = [-1]
    depth = [0]
    level_start = [0]
    start = 0
    for d in range(1, LEVELS):
        prev = np.arange(start, start + sizes[d - 1])
        start += int(sizes[d - 1])
        level_start.append(start)
        k = int(sizes[d])
        first = prev[: min(k, prev.size)]  # every unit above gets a child first
        rest = rng.choice(prev, size=k - first.size, replace=True)
        parents = np.sort(np.r_[first, rest])
        parent += parents.tolist()
        depth += [d] * k
    ids = [f"U{i:04d}" for i in range(n_units)]
    return ids, np.asarray(parent, dtype=np.int64), np.asarray(depth, dtype=np.int64)


def _col(values: np.ndarray) -> np.ndarray:
    return values.astype(str).astype(object)


def _multi(rng: np.random.Generator, n: int, codes: tuple[str, ...], p_first: np.ndarray) -> np.ndarray:
    """n multi-choice cells: 1–2 codes joined by ';'."""
    first = rng.choice(len(codes), size=n, p=p_first)
    second = rng.integers(0, len(codes), size=n)
    two = rng.random(n) < 0.25
    arr = np.asarray(codes, dtype=object)
    out = arr[first].copy()
    both = two & (second != first)
    out[both] = arr[first[both]] + ";" + arr[second[both]]
    return out


def generate(
    out: Path, respondents: int = 50_000, n_units: int = 1_500, seed: int = 20250101
) -> dict[str, Any]:
    """Write ``units.csv``, ``questionnaire.yaml`` and ``responses.csv`` into ``out``; return their paths."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids, parent, depth = unit_tree(n_units, rng)
    # respondents attach mostly to leaves, some to managers' units; unit sizes are skewed (lognormal),
    # so some units are small enough for primary and secondary suppression
    size = rng.lognormal(mean=0.0, sigma=1.0, size=n_units) * np.where(depth == LEVELS - 1, 1.0, 0.15)
    p_unit = size / size.sum()
    headcount = np.ceil(p_unit * respondents * rng.uniform(1.05, 1.6, size=n_units)).astype(np.int64)
    head_cells = headcount.astype(str).astype(object)
    head_cells[rng.random(n_units) < 0.01] = ""  # a few unknown headcounts
    pd.DataFrame(
        {
            "unit_id": ids,
            "parent_id": ["" if p < 0 else ids[p] for p in parent.tolist()],
            "name": [f"Enhed {u}" for u in ids],
            "headcount": head_cells,
        }
    ).to_csv(out / "units.csv", index=False)
    (out / "questionnaire.yaml").write_text(questionnaire_yaml(), encoding="utf-8")

    unit_effect = rng.normal(0.0, 0.6, size=n_units)
    items = item_ids()
    theme_effect = rng.normal(0.0, 0.3, size=(n_units, N_THEMES))
    frames = []
    for w, wave in enumerate(WAVES):
        n = respondents
        unit = rng.choice(n_units, size=n, p=p_unit)
        person = rng.normal(0.0, 0.8, size=n)
        cols: dict[str, Any] = {
            "wave": np.full(n, wave, dtype=object),
            "unit_id": np.asarray(ids, dtype=object)[unit],
        }
        for k, (_theme, item, reverse) in enumerate(items):
            t = k // ITEMS_PER_THEME
            latent = (
                4.9 + 0.1 * w + unit_effect[unit] + theme_effect[unit, t] + person + rng.normal(0, 1.0, n)
            )
            x = np.clip(np.rint(latent), 1, 7).astype(np.int64)
            if reverse:
                x = 8 - x
            cell = _col(x)
            r = rng.random(n)
            cell[r < 0.03] = ""
            cell[(r >= 0.03) & (r < 0.04)] = "NA"
            cell[(r >= 0.04) & (r < 0.06)] = str(DONT_KNOW)
            cols[item] = cell
        for e, (_kind, prefix) in enumerate(EXPOSURE_KINDS):
            p_exposed = (0.12, 0.04, 0.06, 0.03)[e]
            q = np.where(rng.random(n) < p_exposed, rng.integers(1, 5, size=n), 0)
            q_cell = _col(q)
            q_cell[rng.random(n) < 0.02] = ""
            exposed = q >= 1
            m = int(exposed.sum())
            src = np.full(n, "", dtype=object)
            handled = np.full(n, "", dtype=object)
            told = np.full(n, "", dtype=object)
            p_src = np.array([0.2, 0.35, 0.05, 0.3, 0.1]) if e != 1 else np.array([0.1, 0.6, 0.1, 0.15, 0.05])
            src[exposed] = _multi(rng, m, SOURCES, p_src)
            handled[exposed] = np.asarray(HANDLED, dtype=object)[
                rng.choice(4, size=m, p=[0.4, 0.25, 0.2, 0.15])
            ]
            told[exposed] = _multi(rng, m, TOLD, np.array([0.3, 0.25, 0.1, 0.05, 0.1, 0.2]))
            cols[f"{prefix}_Q"] = q_cell
            cols[f"{prefix}_SRC"] = src
            cols[f"{prefix}_HANDLED"] = handled
            cols[f"{prefix}_TOLD"] = told
        frames.append(pd.DataFrame(cols))
    pd.concat(frames, ignore_index=True).to_csv(out / "responses.csv", index=False)
    return {
        "units": out / "units.csv",
        "responses": out / "responses.csv",
        "questionnaire": out / "questionnaire.yaml",
        "ids": ids,
        "parent": parent,
    }


# ---------------------------------------------------------------------------------------------
# reference (a): the floor
# ---------------------------------------------------------------------------------------------


def _ancestor_matrix(parent: np.ndarray) -> Any:
    """Sparse (units × units) matrix A with A[a, u] = 1 when a is u or an ancestor of u."""
    from scipy import sparse

    n = parent.size
    rows, cols = [np.arange(n)], [np.arange(n)]
    cur = parent.copy()
    while (cur >= 0).any():
        ok = cur >= 0
        rows.append(cur[ok])
        cols.append(np.flatnonzero(ok))
        cur = np.where(ok, parent[np.maximum(cur, 0)], -1)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(n, n))


def floor_stats(units_path: Path, responses_path: Path, waves: tuple[str, str] = WAVES) -> dict[str, Any]:
    """One vectorised pass: n, mean, sd per unit (subtree) × item for both waves, and Welch's p per cell.

    Returns ``{"items", "unit_ids", "n", "mean", "sd" (each wave → units × items), "p" (units × items),
    "seconds" (read / compute)}``. Items are recoded ``8 − x`` where reverse; 9 (don't know) is missing.
    """
    import pandas as pd
    from scipy import stats

    t0 = time.perf_counter()
    units = pd.read_csv(units_path, dtype=str, keep_default_na=False)
    items = item_ids()
    dtypes: dict[str, Any] = {"wave": str, "unit_id": str}
    dtypes.update({item: np.float64 for _, item, _ in items})
    responses = pd.read_csv(
        responses_path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={item: ["", "NA"] for _, item, _ in items},
    )
    t1 = time.perf_counter()
    ids = units["unit_id"].to_numpy()
    index = {u: i for i, u in enumerate(ids.tolist())}
    parent = np.asarray([index.get(p, -1) for p in units["parent_id"].tolist()], dtype=np.int64)
    anc = _ancestor_matrix(parent)
    names = [item for _, item, _ in items]
    x = responses[names].to_numpy(dtype=np.float64)
    x[x == DONT_KNOW] = np.nan
    rev = np.asarray([r for _, _, r in items])
    x[:, rev] = 8.0 - x[:, rev]
    uidx = pd.Index(ids).get_indexer(responses["unit_id"].to_numpy())
    wave = responses["wave"].to_numpy()
    out: dict[str, Any] = {"items": names, "unit_ids": ids.tolist(), "n": {}, "mean": {}, "sd": {}}
    for w in waves:
        sel = wave == w
        xw = x[sel]
        ok = ~np.isnan(xw)
        v = np.where(ok, xw, 0.0)
        g = pd.DataFrame(np.hstack([ok.astype(np.float64), v, v * v])).groupby(uidx[sel]).sum()
        direct = np.zeros((ids.size, g.shape[1]))
        direct[g.index.to_numpy()] = g.to_numpy()
        rolled = anc @ direct
        k = len(names)
        n, s, ss = rolled[:, :k], rolled[:, k : 2 * k], rolled[:, 2 * k :]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s / n
            var = np.maximum(ss - s * mean, 0.0) / (n - 1)
        out["n"][w], out["mean"][w], out["sd"][w] = n, mean, np.sqrt(var)
    a, b = waves
    with np.errstate(invalid="ignore", divide="ignore"):
        res = stats.ttest_ind_from_stats(
            out["mean"][b],
            out["sd"][b],
            out["n"][b],
            out["mean"][a],
            out["sd"][a],
            out["n"][a],
            equal_var=False,
        )
    testable = (out["n"][a] >= 2) & (out["n"][b] >= 2)
    out["p"] = np.where(testable, res.pvalue, np.nan)
    t2 = time.perf_counter()
    out["seconds"] = {"read": t1 - t0, "compute": t2 - t1}
    return out


# ---------------------------------------------------------------------------------------------
# reference (b): the naive loop
# ---------------------------------------------------------------------------------------------


def naive(units_path: Path, responses_path: Path, cells: int, seed: int = 7) -> dict[str, Any]:
    """``scipy.stats.ttest_ind`` per unit × item cell on the raw answers of the unit's subtree.

    Runs on ``cells`` cells drawn with a fixed seed (all cells when ``cells`` ≥ their number) and
    extrapolates the time per cell to every cell. Reading the CSV and listing each unit's subtree
    respondents are timed apart (``setup``) and counted once."""
    import pandas as pd

    t0 = time.perf_counter()
    units = pd.read_csv(units_path, dtype=str, keep_default_na=False)
    responses = pd.read_csv(responses_path, dtype=str, keep_default_na=False)
    items = item_ids()
    ids = units["unit_id"].tolist()
    index = {u: i for i, u in enumerate(ids)}
    parent = [index.get(p, -1) for p in units["parent_id"].tolist()]
    subtree: list[list[int]] = [[i] for i in range(len(ids))]
    for i in range(len(ids)):
        a = parent[i]
        while a >= 0:
            subtree[a].append(i)
            a = parent[a]
    members: dict[str, dict[int, np.ndarray]] = {
        w: {} for w in WAVES
    }  # wave -> unit -> row numbers of its subtree
    by_unit = responses.groupby(["wave", "unit_id"]).indices
    for w in WAVES:
        for u in range(len(ids)):
            parts = [by_unit[(w, ids[v])] for v in subtree[u] if (w, ids[v]) in by_unit]
            members[w][u] = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    setup = time.perf_counter() - t0
    all_cells = [(u, k) for u in range(len(ids)) for k in range(len(items))]
    rng = np.random.default_rng(seed)
    sample = (
        all_cells
        if cells >= len(all_cells)
        else [all_cells[i] for i in rng.choice(len(all_cells), size=cells, replace=False)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy on cells whose answers are all equal
        _naive_loop(responses, items, members, [(0, 0)])  # warm-up: SciPy's first call loads more modules
        t1 = time.perf_counter()
        _naive_loop(responses, items, members, sample)
    loop = time.perf_counter() - t1
    per_cell = loop / max(len(sample), 1)
    return {
        "setup": setup,
        "cells_run": len(sample),
        "cells_total": len(all_cells),
        "loop": loop,
        "per_cell": per_cell,
        "total": setup + per_cell * len(all_cells),
        "extrapolated": len(sample) < len(all_cells),
    }


def _naive_loop(
    responses: Any,
    items: list[tuple[str, str, bool]],
    members: dict[str, dict[int, np.ndarray]],
    sample: list[tuple[int, int]],
) -> None:
    import pandas as pd
    from scipy import stats

    for u, k in sample:
        _theme, item, reverse = items[k]
        col = responses[item]
        arrays = []
        for w in WAVES:
            raw = pd.to_numeric(col.iloc[members[w][u]].replace({"": np.nan, "NA": np.nan}), errors="coerce")
            v = raw.to_numpy(dtype=np.float64)
            v = v[~np.isnan(v) & (v != DONT_KNOW)]
            arrays.append(8.0 - v if reverse else v)
        if arrays[0].size >= 2 and arrays[1].size >= 2:
            stats.ttest_ind(arrays[1], arrays[0], equal_var=False)


# ---------------------------------------------------------------------------------------------
# running and measuring
# ---------------------------------------------------------------------------------------------


def run_measured(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` with its output to files; wall time and the child's own peak RSS from ``os.wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "rc": proc.returncode,
            "rss": usage.ru_maxrss * 1024,
            "cpu": usage.ru_utime + usage.ru_stime,
            "stdout": out.read().decode(),
            "stderr": err.read().decode(),
        }


def analyse_cmd(files: dict[str, Any], out: Path, *extra: str) -> list[str]:
    return [
        str(TRIVSEL),
        "analyse",
        "--units",
        str(files["units"]),
        "--responses",
        str(files["responses"]),
        "--questionnaire",
        str(files["questionnaire"]),
        "--wave",
        WAVES[1],
        "--baseline",
        WAVES[0],
        "--json",
        str(out / "report.json"),
        *extra,
    ]


def _floor_child(units: str, responses: str) -> None:
    """The floor as its own process (imports included, like the command): prints its timings as JSON."""
    t0 = time.perf_counter()
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401

    t_import = time.perf_counter() - t0
    res = floor_stats(Path(units), Path(responses))
    print(json.dumps({"import": t_import, **res["seconds"]}))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--respondents", type=int, default=50_000, help="respondents per wave (default 50000)")
    ap.add_argument("--units", type=int, default=1_500, help="units in the tree, 5 levels (default 1500)")
    ap.add_argument(
        "--out", type=Path, default=None, help="folder for inputs and outputs (default: a temp dir)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the folder (always kept with --out)")
    ap.add_argument(
        "--naive-cells", type=int, default=3000, help="cells of the naive loop to run (default 3000)"
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs of the JSON command; the median is judged (default 3)"
    )
    ap.add_argument(
        "--html", action="store_true", help="also time the command with --html (slow at full size: minutes)"
    )
    ap.add_argument("--floor-child", nargs=2, metavar=("UNITS", "RESPONSES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_child:
        _floor_child(*args.floor_child)
        return 0

    folder = args.out or Path(tempfile.mkdtemp(prefix="trivsel-bench-"))
    try:
        t0 = time.perf_counter()
        files = generate(folder, args.respondents, args.units)
        size_mb = files["responses"].stat().st_size / 1e6
        print(
            f"inputs: {args.units} units over {LEVELS} levels, {args.respondents} respondents x {len(WAVES)} "
            f"waves, {N_THEMES * ITEMS_PER_THEME} items in {N_THEMES} themes + {len(EXPOSURE_KINDS)} "
            f"exposure kinds; responses.csv {size_mb:.1f} MB; generated in {time.perf_counter() - t0:.1f} s "
            f"({folder})"
        )

        runs = []
        for _ in range(max(1, args.repeat)):
            run = run_measured(analyse_cmd(files, folder))
            if run["rc"] != 0:
                print(f"trivsel analyse failed (exit {run['rc']}):\n{run['stderr']}", file=sys.stderr)
                return 1
            runs.append(run)
        walls = sorted(r["wall"] for r in runs)
        full = dict(sorted(runs, key=lambda r: r["wall"])[(len(runs) - 1) // 2])  # the median run
        full["rss"] = max(r["rss"] for r in runs)
        report = json.loads((folder / "report.json").read_text())
        print(
            f"full  trivsel analyse --json          wall {full['wall']:6.2f} s   peak RSS "
            f"{full['rss'] / 2**20:6.0f} MiB   cpu {full['cpu']:.2f} s   "
            f"({len(report['scores'])} score rows, {len(report['exposures'])} exposure rows)"
        )
        if len(runs) > 1:
            listed = ", ".join(f"{w:.2f}" for w in walls)
            print(f"      (the median of {len(runs)} runs; their walls: {listed} s)")
        xlsx = run_measured(analyse_cmd(files, folder, "--xlsx", str(folder / "report.xlsx")))
        print(
            f"xlsx  trivsel analyse --json --xlsx   wall {xlsx['wall']:6.2f} s   peak RSS "
            f"{xlsx['rss'] / 2**20:6.0f} MiB   (XLSX part about {xlsx['wall'] - full['wall']:.2f} s)"
            + ("" if xlsx["rc"] == 0 else f"   FAILED exit {xlsx['rc']}: {xlsx['stderr'].strip()[:200]}")
        )
        html = None
        if args.html:
            html = run_measured(analyse_cmd(files, folder, "--html", str(folder / "report.html")))
            print(
                f"html  trivsel analyse --json --html   wall {html['wall']:6.2f} s   peak RSS "
                f"{html['rss'] / 2**20:6.0f} MiB   (HTML part about {html['wall'] - full['wall']:.2f} s)"
                + ("" if html["rc"] == 0 else f"   FAILED exit {html['rc']}: {html['stderr'].strip()[:200]}")
            )

        fl = run_measured(
            [sys.executable, __file__, "--floor-child", str(files["units"]), str(files["responses"])]
        )
        if fl["rc"] != 0:
            print(f"floor failed:\n{fl['stderr']}", file=sys.stderr)
            return 1
        parts = json.loads(fl["stdout"].strip().splitlines()[-1])
        print(
            f"floor (a) vectorised pass, own process wall {fl['wall']:6.2f} s   "
            f"peak RSS {fl['rss'] / 2**20:6.0f} MiB"
            f"   (import {parts['import']:.2f} s, read_csv {parts['read']:.2f} s, "
            f"n/mean/sd + roll-up + Welch p {parts['compute']:.2f} s)"
        )
        nv = naive(files["units"], files["responses"], args.naive_cells)
        how = (
            f"extrapolated from {nv['cells_run']} sampled cells"
            if nv["extrapolated"]
            else f"all {nv['cells_run']} cells measured"
        )
        print(
            f"naive (b) ttest_ind per unit x item   {nv['total']:8.1f} s   ({how} of {nv['cells_total']}: "
            f"{nv['per_cell'] * 1e3:.2f} ms per cell; setup {nv['setup']:.1f} s)"
        )
        ratio_floor = full["wall"] / fl["wall"]
        ratio_naive = nv["total"] / full["wall"]
        floor_work = parts["read"] + parts["compute"]
        ratio_work = full["wall"] / floor_work
        print(
            f"ratio full / floor = {ratio_floor:.2f} (whole processes); full / floor's work = "
            f"{ratio_work:.2f} (its read_csv + compute, {floor_work:.2f} s, no start-up or imports); "
            f"ratio naive / full = {ratio_naive:.1f}"
        )
        print("targets:")
        print(
            f"  {verdict(full['wall'] <= TARGET_WALL)}  full analysis to JSON <= {TARGET_WALL:.0f} s: "
            f"{full['wall']:.2f} s"
        )
        print(f"  {verdict(full['rss'] <= TARGET_RSS)}  peak memory <= 2 GiB: {full['rss'] / 2**20:.0f} MiB")
        print(
            f"  {verdict(max(ratio_floor, ratio_work) <= TARGET_RATIO)}  "
            f"within {TARGET_RATIO:.0f} x the floor: "
            f"{ratio_floor:.2f} x the floor process, {ratio_work:.2f} x its work alone (the larger is judged)"
        )
        print(
            f"  {verdict(xlsx['rc'] == 0 and xlsx['wall'] <= TARGET_XLSX)}  XLSX command <= "
            f"{TARGET_XLSX:.0f} s: {xlsx['wall']:.2f} s"
        )
        return 0
    finally:
        if args.out is None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif args.out is None:
            print(f"kept {folder}")


if __name__ == "__main__":
    raise SystemExit(main())
