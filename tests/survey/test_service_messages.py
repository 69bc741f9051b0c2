"""Service messages in the reader's language (issue 11): a service raises its English msgid with
parameters; a Danish page shows the Danish translation, an English page and the command line English."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from tests.survey.staff_helpers import PASSWORD, post, signed_in

ROOT = Path(__file__).resolve().parents[2]
#: the services, and every other module of the application that raises a ServiceError for a page
SCANNED = sorted(p for p in (ROOT / "survey").rglob("*.py") if "migrations" not in p.parts)
BASES = {"ServiceError", "NotFound", "Conflict"}
#: where the message argument of the exception is (0 unless listed)
MESSAGE_ARG = {"NoAccess": 1, "OverrideRefused": 2}
#: classes that build their message in their own ``__init__`` (scanned there, at ``super().__init__``;
#: AnswerError joins validate_answers' item messages, which the answering pages say themselves)
OWN_MESSAGE = {"AnswerError", "SubmitRefused", "SmallUnits"}
#: raises whose message is not a literal msgid, and why (file, function, exception)
NOT_LITERAL = {
    # another exception's text (file/line/column messages of analysis' QuestionnaireError): stays English
    ("services/waves.py", "_resolve", "ServiceError"),
    # the funding pages say these in their language from ``code`` and ``params``
    ("services/funding.py", "update_round", "OverrideRefused"),
    ("services/funding.py", "delete_application", "OverrideRefused"),
    ("services/funding.py", "check_override", "OverrideRefused"),
    # analysis' AllocationError text (the CLI shares analysis): stays English
    ("services/funding.py", "_allocation_error", "ServiceError"),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """ServiceError and every class derived from it in the scanned modules."""
    names = set(BASES)
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(isinstance(b, ast.Name) and b.id in names for b in node.bases):
                        names.add(node.name)
                        changed = True
    return names


def _raises() -> list[tuple[str, str, str, ast.expr | None]]:
    """(file, function, exception, message argument) of every ServiceError a scanned module makes:
    ``raise X(...)`` and a subclass' ``super().__init__(...)``."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in SCANNED}
    classes = _error_classes(list(trees.values()))
    found: list[tuple[str, str, str, ast.expr | None]] = []

    def visit(path: Path, node: ast.AST, func: str, cls: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            f, c = func, cls
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                f = child.name
            if isinstance(child, ast.ClassDef):
                c = child.name if child.name in classes else None
            if isinstance(child, ast.Call):
                fn = child.func
                name = fn.id if isinstance(fn, ast.Name) else None
                is_super = (
                    isinstance(fn, ast.Attribute)
                    and fn.attr == "__init__"
                    and isinstance(fn.value, ast.Call)
                    and isinstance(fn.value.func, ast.Name)
                    and fn.value.func.id == "super"
                )
                exc = name if name in classes else (cls if is_super and cls else None)
                if exc in OWN_MESSAGE and not is_super:
                    exc = None  # its message is made (and scanned) in its __init__
                if is_super and (cls == "ServiceError" or child.args and isinstance(child.args[0], ast.Name)):
                    exc = None  # a subclass handing on its caller's message (scanned at the caller)
                if exc:
                    # a subclass' super().__init__ passes the message first
                    at = 0 if is_super else MESSAGE_ARG.get(exc, 0)
                    arg = child.args[at] if len(child.args) > at else None
                    found.append((path.relative_to(ROOT / "survey").as_posix(), f, exc, arg))
            visit(path, child, f, c)

    for path, tree in trees.items():
        visit(path, tree, "<module>", None)
    return found


def _literal(arg: ast.expr | None) -> str | None:
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def test_services_raise_literal_msgids_not_formatted_text() -> None:
    """(a) No service message is an f-string, ``.format`` or ``%`` result: the msgid must be a literal
    for the catalogue; only the listed raises wrap text the page cannot translate."""
    raises = _raises()
    assert len(raises) > 100, "the scan finds the services' raises"
    bad = []
    seen_exceptions = set()
    for file, func, exc, arg in raises:
        if arg is None or _literal(arg) is not None:
            continue
        if (file, func, exc) in NOT_LITERAL:
            seen_exceptions.add((file, func, exc))
            continue
        bad.append(f"{file}:{arg.lineno} {exc} in {func}(): {ast.unparse(arg)[:80]}")
    assert bad == [], "raise the English msgid with %(name)s placeholders and keyword params:\n" + "\n".join(
        bad
    )
    assert seen_exceptions == NOT_LITERAL, f"stale exceptions: {NOT_LITERAL - seen_exceptions}"


def test_every_service_msgid_has_a_danish_translation_with_the_same_placeholders() -> None:
    """(b) Each literal msgid raised by a service is in the Danish catalogue, translated, with the
    same ``%(name)s`` placeholders (a missing one would raise KeyError on the page)."""
    with open(ROOT / "survey" / "translations" / "da" / "LC_MESSAGES" / "messages.po", "rb") as f:
        po = read_po(f, locale="da")
    msgids = {m for _, _, _, arg in _raises() if (m := _literal(arg))}
    assert len(msgids) > 100
    problems = []
    for msgid in sorted(msgids):
        entry = po.get(msgid)
        if entry is None or not entry.string:
            problems.append(f"untranslated: {msgid}")
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(str(entry.string))):
            problems.append(f"placeholders differ: {msgid}")
    assert problems == []


def test_service_error_keeps_msgid_and_params_and_reads_english() -> None:
    from survey.services import Conflict, ServiceError

    exc = Conflict("wave '%(label)s' is %(status)s", label="2025", status="open")
    assert (exc.msgid, exc.params) == ("wave '%(label)s' is %(status)s", {"label": "2025", "status": "open"})
    assert str(exc) == exc.args[0] == "wave '2025' is open"
    assert str(ServiceError("100% sure")) == "100% sure"  # no params: the text as it is


def test_service_text_translates_msgid_and_known_params(app: Any) -> None:
    from flask import session

    from survey.i18n import service_text
    from survey.services import Conflict, ServiceError

    opened = Conflict(
        "wave '%(label)s' is %(status)s; only a draft wave can be opened", label="<b>", status="open"
    )
    wrapped = ServiceError("the report cannot be published: %(exc)s", exc=ValueError("k_min < 5"))
    with app.test_request_context("/"):
        session["lang"] = "da"
        assert str(service_text(opened)) == (
            "målingen &#39;&lt;b&gt;&#39; er åben; kun en måling, der er kladde, kan åbnes"
        )
        assert str(service_text(wrapped)) == (
            'rapporten kan ikke offentliggøres: <span lang="en">k_min &lt; 5</span>'
        )
        # no translation: English, marked as such
        assert str(service_text(ServiceError("no such thing"))) == '<span lang="en">no such thing</span>'
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert service_text(opened) == "wave '<b>' is open; only a draft wave can be opened"


@pytest.fixture()
def hr(client: Any, db: Any) -> Any:
    return signed_in(client, "hr", lang="da")


def test_refused_open_is_danish_on_a_danish_page_and_english_on_an_english_one(hr: Any, db: Any) -> None:
    """(c) Opening a wave twice: the refusal in Danish, no English span; then the same in English."""
    from tests.survey.test_waves_web import create_wave

    wave = create_wave(hr)
    page = f"/hr/waves/{wave.id}"
    assert post(hr, f"{page}/open", page=page).status_code == 303
    r = post(hr, f"{page}/open", page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    danish = "målingen &#39;2025&#39; er åben; kun en måling, der er kladde, kan åbnes"
    assert f"Målingen blev ikke åbnet: {danish}" in text
    assert '<span lang="en">' not in text
    hr.get("/sprog/en")
    r = post(hr, f"{page}/open", page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "wave &#39;2025&#39; is open; only a draft wave can be opened" in text


def test_refused_account_is_danish_on_the_admin_page(client: Any, db: Any) -> None:
    signed_in(client, "admin", lang="da")
    form = {"email": "not-an-address", "role": "hr", "password": PASSWORD}
    r = post(client, "/admin/users", form, page="/admin/users")
    text = r.get_data(as_text=True)
    assert r.status_code == 422, text
    assert "&#39;not-an-address&#39; er ikke en e-mailadresse" in text
    assert "is not an e-mail address" not in text


def test_a_view_refusal_is_danish_too(client: Any, db: Any) -> None:
    """A view's own refusal (no file chosen) is a msgid too: Danish, not marked English."""
    signed_in(client, "hr", lang="da")
    r = post(client, "/hr/units", {}, page="/hr/units", content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "vælg en fil at uploade (units.csv)" in text, text
    assert '<span lang="en">' not in text


def test_the_command_line_prints_the_english_text(runner: Any, db: Any) -> None:
    """(d) The CLI shares the services and stays English."""
    result = runner.invoke(
        args=["user", "create", "--email", "not-an-address", "--role", "hr", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 1
    assert "'not-an-address' is not an e-mail address" in result.output
    assert "e-mailadresse" not in result.output
