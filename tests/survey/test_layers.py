"""One use-case layer: outside ``survey/services`` no module commits, rolls back or writes an audit event.

Views and CLI commands parse their input, call one service function and render or print; the service owns
the transaction (commit, rollback) and the audit event (``survey.services.audit.record``), so a page and a
command doing the same thing are audited the same way (actor: the signed-in user, or ``cli``). This test
reads the source (``ast``) of every module under ``survey/`` except ``survey/services/``, the models and the
migrations, and fails on a ``.commit()`` / ``.rollback()`` call or a direct audit-record call.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SURVEY = Path(__file__).resolve().parents[2] / "survey"

#: (module path under survey/, function) -> why it may commit or roll back itself
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("backup.py", "_revision"): (
        "a read only: rolls back the failed SELECT on a database without alembic_version so that the "
        "session can be used again; it writes nothing"
    ),
    ("backup.py", "restore"): (
        "restoring a backup is one all-or-nothing transaction over every table of an empty database; "
        "restore() is the backup module's service function (restore_command only calls it), and the "
        "audit log itself is among the restored tables"
    ),
}

_FORBIDDEN_METHODS = {"commit", "rollback"}


def _modules() -> list[Path]:
    out = []
    for path in sorted(SURVEY.rglob("*.py")):
        rel = path.relative_to(SURVEY)
        if rel.parts[0] in ("services", "migrations") or rel.name.startswith("models"):
            continue
        out.append(path)
    return out


def _audit_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the audit module and to its ``record`` function by this module's imports."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module == "survey.services" and alias.name == "audit":
                    modules.add(bound)
                elif node.module == "survey.services.audit" and alias.name == "record":
                    functions.add(bound)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "survey.services.audit" and alias.asname:
                    modules.add(alias.asname)
    return modules, functions


def violations(path: Path, source: str | None = None) -> list[str]:
    """``file:line function: call`` for each forbidden call in the module (exceptions left out)."""
    rel = path.relative_to(SURVEY).as_posix()
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), filename=str(path))
    audit_modules, record_functions = _audit_names(tree)
    found: list[str] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                func = child.func
                bad = None
                if isinstance(func, ast.Attribute) and func.attr in _FORBIDDEN_METHODS:
                    bad = f".{func.attr}()"
                elif isinstance(func, ast.Attribute) and func.attr == "record" and (
                    (isinstance(func.value, ast.Name) and func.value.id in audit_modules)
                    or ast.unparse(func.value) == "survey.services.audit"
                ):
                    bad = f"{ast.unparse(func)}()"
                elif isinstance(func, ast.Name) and func.id in record_functions:
                    bad = f"{func.id}() (survey.services.audit.record)"
                if bad and (rel, function) not in EXCEPTIONS:
                    found.append(f"survey/{rel}:{child.lineno} {function}: {bad}")
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_no_module_outside_the_services_commits_rolls_back_or_audits() -> None:
    modules = _modules()
    assert len(modules) > 20 and any(p.name == "views.py" for p in modules)  # the walk found the views
    found = [v for path in modules for v in violations(path)]
    assert not found, (
        "move each transaction and audit event into a function in survey/services (the view or command "
        "only parses, calls it and renders), or list a justified exception in EXCEPTIONS:\n"
        + "\n".join(found)
    )


def test_every_listed_exception_is_still_needed() -> None:
    """An exception that no longer matches any call is removed (the list stays the truth)."""
    for (rel, function), reason in list(EXCEPTIONS.items()):
        del EXCEPTIONS[(rel, function)]
        try:
            needed = [v for v in violations(SURVEY / rel) if f" {function}: " in v]
        finally:
            EXCEPTIONS[(rel, function)] = reason
        assert needed, f"{rel}:{function} is listed in EXCEPTIONS but makes no forbidden call; remove it"


@pytest.mark.parametrize(
    "snippet",
    [
        "from survey.extensions import db\ndef v():\n    db.session.commit()\n",
        "def v(session):\n    session.rollback()\n",
        "from survey.services import audit\ndef v():\n    audit.record('wave.open', target='2025')\n",
        "from survey.services import audit as a\ndef v():\n    a.record('x')\n",
        "from survey.services.audit import record\ndef v():\n    record('x')\n",
        "import survey.services.audit\ndef v():\n    survey.services.audit.record('x')\n",
    ],
)
def test_the_check_sees_each_forbidden_call(snippet: str) -> None:
    assert violations(SURVEY / "staff" / "waves.py", snippet), snippet


def test_a_service_call_and_a_log_are_allowed() -> None:
    ok = (
        "from survey.services import audit, waves\n"
        "def v():\n    waves.open_wave('2025')\n    audit.log('data.backup', target='f')\n"
    )
    assert violations(SURVEY / "staff" / "waves.py", ok) == []
