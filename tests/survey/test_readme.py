"""The README's commands work as printed from a checkout, and the licence it names is there in full."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _block(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)```\n<!-- /{marker} -->", text, re.S)
    assert m, f"README.md has no {marker} block"
    return [line for line in m.group(1).replace("\\\n", " ").splitlines() if line.strip()]


def test_readme_commands_name_the_venv_command() -> None:
    """Plain ``trivsel`` in a command block is "command not found" unless the venv is activated: every
    command of the quick start and the worked example uses ``.venv/bin/trivsel`` (from where it runs)."""
    for line in _block("example-command"):
        words = line.split()
        for i, word in enumerate(words):
            if word.endswith("trivsel") and (i == 0 or words[i - 1] in ("&&", ";")):
                assert word == "../../../.venv/bin/trivsel", line  # run from tests/data/example
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("## The analysis from the command line")]
    assert re.findall(r"(?<![/\w])trivsel demo", quick) == []  # only ".venv/bin/trivsel demo"
    assert ".venv/bin/trivsel demo" in quick


@pytest.mark.slow
def test_the_worked_example_block_runs_and_matches(tmp_path: Path) -> None:
    """The README's worked-example block, run as printed in a copy of the checkout's example folder
    (with this interpreter's ``trivsel`` at ``.venv/bin/trivsel`` of the copy): 0 mismatches."""
    script = Path(sys.executable).with_name("trivsel")
    if not script.exists():
        pytest.skip(f"no trivsel script beside {sys.executable} (package not installed)")
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "tests" / "data", root / "tests" / "data", ignore=shutil.ignore_patterns("out"))
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "trivsel").symlink_to(script)
    (root / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    commands = " && ".join(_block("example-command"))
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert re.search(r"^report example: 0 mismatches of \d+ fields$", done.stdout, re.M), done.stdout
    assert re.search(r"^allocation example: 0 mismatches of \d+ fields$", done.stdout, re.M), done.stdout


def test_licence_file_is_the_full_agpl_3() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith(
        "GNU AFFERO GENERAL PUBLIC LICENSE\n                       Version 3, 19 November 2007"
    )
    # the terms' 18 sections, in order, and the appendix
    positions = [text.index(f"\n  {n}. ") for n in range(18)]
    assert positions == sorted(positions)
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text and "How to Apply These Terms to Your New Programs" in text
    assert 'license = "AGPL-3.0-or-later"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
