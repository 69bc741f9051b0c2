#!/usr/bin/env python3
"""Regenerate ``example/expected_report.json`` with the product's own ``trivsel analyse``.

    .venv/bin/python tests/data/regenerate.py [--check]

Runs the README's command line in ``example/`` and keeps only the fields of contract 2.3 (the product's
extra keys, e.g. ``suppressed_reason`` or ``scores[].questionnaire``, are left out so that the file stays a
plain contract report, as the independent implementation wrote it). Then compare with the previous file:
``python3 tests/data/check.py OLD tests/data/example/expected_report.json``. With ``--check`` nothing is
written; the exit status is 1 when the file would change.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "example"
TOP = ("schema", "questionnaire", "wave", "baseline", "settings", "units", "scores", "exposures", "funding",
       "significance")  # significance: contract 5.6 (BH per unit; expected by chance)
ROWS = {
    "units": ("unit_id", "parent_id", "name", "depth", "headcount", "respondents", "response_rate",
              "published", "suppressed"),
    "scores": ("unit_id", "kind", "id", "n", "mean", "sd", "ci", "unfavourable_share", "distribution", "flag",
               "flag_certain", "polarisation", "change"),
    "exposures": ("unit_id", "kind", "n", "exposed", "share", "internal", "internal_share", "external",
                  "external_share", "external_unresolved", "external_unresolved_share", "told_no_one",
                  "told_no_one_share"),
    "funding": ("unit_id", "low_score", "internal", "external_unresolved", "polarised", "points", "eligible",
                "evidence"),
}
CHANGE = ("baseline_n", "baseline_mean", "delta", "ci", "p", "q", "class", "meaningful",
          "critical_difference", "composition")  # composition: issue 16 (tested and not_testable rows)


def contract_fields(report: dict) -> dict:
    out = {k: report[k] for k in TOP}
    for section, keys in ROWS.items():
        out[section] = [{k: row[k] for k in keys} for row in report[section]]
    for row in out["scores"]:
        if row["change"] is not None:
            row["change"] = {k: row["change"][k] for k in CHANGE if k in row["change"]}
    return out


def main(argv: list[str]) -> int:
    trivsel = Path(sys.executable).with_name("trivsel")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "report.json"
        subprocess.run([str(trivsel), "analyse", "--units", "units.csv", "--responses", "responses.csv",
                        "--questionnaire", "questionnaire.yaml", "--wave", "2025", "--baseline", "2023",
                        "--json", str(target)], cwd=HERE, check=True)
        report = json.loads(target.read_text(encoding="utf-8"))
    data = contract_fields(report)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
    expected = HERE / "expected_report.json"
    if "--check" in argv:
        return 0 if expected.read_text(encoding="utf-8") == text else 1
    expected.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
