"""HTML report size (run by hand): the whole-organisation HTML report of a synthetic 1,500-unit
organisation and the report of one subtree of about 100 units, with render times.

    .venv/bin/python bench/html_size.py [--respondents 50000] [--units 1500] [--out DIR]

Generates the files of ``bench/analysis.py`` (``generate``), analyses and publishes them in-process
(``analysis.analyse`` and ``analysis.publish``, as ``trivsel analyse`` does), renders
``analysis.html.render_html`` for the whole publication and for the subtree whose size is closest to 100
units (``analysis.html.subtree_report``: the publication's rows of that subtree, as ``trivsel analyse
--unit`` and ``trivsel report html --unit`` write it), and prints bytes, MB and seconds of each (the
subtree first: it is quick), with PASS/MISS for the targets of issue 11: the whole report well under
200 MB (we aim for under 100 MB), a subtree of about 100 units under 10 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# run as a script, bench/ is first on sys.path and bench/analysis.py would shadow the analysis package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]



def main() -> int:
    ap = argparse.ArgumentParser(description="HTML report size")
    ap.add_argument("--respondents", type=int, default=50_000)
    ap.add_argument("--units", type=int, default=1_500)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    import importlib.util

    import questionnaires
    from analysis import analyse, read_responses, read_units
    from analysis.html import render_html, subtree_report
    from analysis.publish import PublishPolicy, publish

    spec = importlib.util.spec_from_file_location("bench_analysis", Path(__file__).with_name("analysis.py"))
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    folder = args.out or Path(tempfile.mkdtemp(prefix="trivsel-html-"))
    t0 = time.perf_counter()
    files = bench.generate(folder, args.respondents, args.units)
    q = questionnaires.load(Path(files["questionnaire"]))
    units = read_units(Path(files["units"]))
    responses = read_responses(Path(files["responses"]), q, set(units["unit_id"]))
    report = publish(analyse(units, responses, q, "2025", "2024"), PublishPolicy(audience="operator"))
    print(f"generate + analyse: {time.perf_counter() - t0:.1f} s, {len(report['units'])} units")

    def measure(name: str, rep: dict[str, Any]) -> int:
        t = time.perf_counter()
        doc = render_html(rep, q, "da")
        size = len(doc.encode("utf-8"))
        print(f"{name:<34} {size:>12,} bytes  {size / 1e6:8.1f} MB  render {time.perf_counter() - t:5.1f} s")
        return size

    # the subtree whose size is closest to 100 units
    sizes: dict[str, int] = {}
    for u in report["units"]:
        sizes[u["unit_id"]] = (len(subtree_report(report, u["unit_id"])["units"])
                               if u.get("depth") in (1, 2) else 0)
    root = min((k for k, v in sizes.items() if v), key=lambda k: abs(sizes[k] - 100))
    part = measure(f"subtree {root} ({sizes[root]} units)", subtree_report(report, root))
    whole = measure(f"whole report ({len(report['units'])} units)", report)
    print(f"whole report < 100 MB: {'PASS' if whole < 100e6 else 'MISS'};  "
          f"subtree of ~100 units < 10 MB: {'PASS' if part < 10e6 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
