"""The questionnaires package stands alone (DESIGN.md) and its data ships in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_import_pulls_in_neither_flask_nor_analysis_nor_survey() -> None:
    code = (
        "import sys\n"
        "import questionnaires, questionnaires.check, questionnaires.labels\n"
        "questionnaires.load('trivsel')\n"
        "banned = ('flask', 'analysis', 'survey', 'sqlalchemy')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "print(','.join(bad))\n"
        "print('questionnaires' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    bad, loaded = done.stdout.splitlines()
    assert loaded == "True"  # the probe did import the package
    assert bad == ""


_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "instance",
    "node_modules",
    "test-artifacts",
    "out",
)


@pytest.mark.slow
def test_definitions_and_templates_are_in_the_wheel(tmp_path: Path) -> None:
    """Build the wheel from a copy of the tree (so the shared tree gets no build/ folder) and list it.

    Takes about 5-10 s; pip fetches the build backend named in pyproject.toml (setuptools) if needed.
    """
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=_IGNORE)
    out = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = out.glob("trivsel-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    definitions = sorted(p.name for p in (REPO / "questionnaires" / "definitions").glob("*.yaml"))
    assert definitions == ["emotional_demands.yaml", "offensive_behaviour.yaml", "trivsel.yaml"]
    for name in definitions:
        assert f"questionnaires/definitions/{name}" in names
    for module in ("__init__.py", "schema.py", "check.py", "labels.py"):
        assert f"questionnaires/{module}" in names

    templates = sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "templates").rglob("*")
        if p.is_file() and p.suffix != ".pyc" and "__pycache__" not in p.parts
    )
    assert "templates/__init__.py" in templates
    missing = [t for t in templates if t not in names]
    assert missing == [], f"template files left out of the wheel: {missing}"
