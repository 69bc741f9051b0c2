"""Figures for issue 16 (contract 5.6 and 5.7), run by hand: ``.venv/bin/python bench/methods.py``.

1. **Planted change.** A real +0.4 on one theme of a 50-person team, in an organisation of a root and 20
   teams of 50 with 4 themes of 3 items (latent person effect sd 0.5–0.7, item noise sd 0.6, centre 5, two
   waves). How often is it significant (q < 0.05) with one BH family per unit (contract 5.6) and with one
   family over every theme row of the organisation (the old rule)? Seeded; ``--runs`` per sd.
2. **Flags per theme in the demo.** The demo organisation's data (``survey.demo``, seed as shipped) analysed
   with each shipped questionnaire, once with the themes' own ``flags`` (contract 5.7) and once with the
   global thresholds for every theme: the share of published units eligible for funds, and per theme the
   share of published unit cells that carry a flag.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import questionnaires  # noqa: E402
from analysis.inputs import read_responses, read_units  # noqa: E402
from analysis.report import analyse  # noqa: E402
from analysis.stats import bh_adjust  # noqa: E402


def planted(runs: int) -> None:
    from tests.analysis.test_methods_contract import _planted_org

    print("planted +0.4 on one theme of a 50-person team (root + 20 teams of 50, 4 themes)")
    print(f"{'person sd':>9} {'theme sd':>8} {'per unit':>9} {'whole org':>9}")
    for person_sd in (0.5, 0.6, 0.7):
        rng = np.random.default_rng(2026)
        unit = org = 0
        sds = []
        for _ in range(runs):
            uf, rf, q = _planted_org(rng, teams=20, size=50, shift=0.4, person_sd=person_sd)
            rep = analyse(uf, rf, q, "2", "1")
            themes = [s for s in rep.scores if s["kind"] == "theme" and s["change"]["p"] is not None]
            hit = next(s for s in themes if s["unit_id"] == "T00" and s["id"] == "P")
            sds.append(hit["sd"])
            unit += hit["change"]["class"] == "significant_improvement"
            q_org = bh_adjust(np.array([s["change"]["p"] for s in themes]))
            org += bool(q_org[themes.index(hit)] < 0.05)
        print(f"{person_sd:>9.1f} {np.mean(sds):>8.2f} {unit / runs:>9.0%} {org / runs:>9.0%}")


def demo_flags() -> None:
    from survey.demo import write_demo_files

    shipped = [questionnaires.load(qid) for qid in questionnaires.shipped_ids()]
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo_files(tmp, shipped)
        units = read_units(paths["units"])
        for q in shipped:
            if not any(t.flags for t in q.themes):
                continue
            plain = dataclasses.replace(q, themes=tuple(dataclasses.replace(t, flags=None) for t in q.themes))
            responses = read_responses(paths[q.id], q, set(units["unit_id"].tolist()))
            waves = sorted(set(responses["wave"].tolist()))
            print(f"\ndemo, questionnaire {q.id}, wave {waves[-1]}")
            result = {}
            for label, qq in (("global", plain), ("per theme", q)):
                rep = analyse(units, responses, qq, waves[-1])
                published = [f for f in rep.funding if any(s["unit_id"] == f["unit_id"] for s in rep.scores)]
                eligible = sum(f["eligible"] for f in published)
                c1 = sum(f["low_score"] is not None for f in published)
                per_theme = {}
                for t in q.themes:
                    cells = [s for s in rep.scores if s["kind"] == "theme" and s["id"] == t.id]
                    per_theme[t.id] = sum(s["flag"] is not None for s in cells) / max(len(cells), 1)
                result[label] = per_theme
                print(f"  {label:>9}: {eligible} of {len(published)} units with answers eligible "
                      f"({eligible / len(published):.0%}); {c1} with a low-score flag (C1)")
            for t in q.themes:
                mark = " (own flags)" if t.flags else ""
                print(f"    theme {t.id:<12} flagged cells: global {result['global'][t.id]:>4.0%}, "
                      f"per theme {result['per theme'][t.id]:>4.0%}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="simulated organisations per sd (default 100)")
    args = parser.parse_args()
    start = time.perf_counter()
    planted(args.runs)
    demo_flags()
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
