"""Real-browser harness: Chromium (Debian's) driven by Playwright, axe-core for accessibility.

- Every test in this folder gets the ``browser`` marker (collection hook below).
- Without ``/usr/bin/chromium`` or an importable ``playwright`` the folder is skipped with the reason,
  unless ``TRIVSEL_REQUIRE_BROWSER=1`` (CI): then every test fails with the reason.
- One live server per session: ``create_app`` on a temporary SQLite database migrated through the app's
  own migrations (as ``tests/conftest.py`` does), served by ``werkzeug.serving.make_server`` in a
  background thread. The wave runs every shipped questionnaire; each test gets its own unit, so the
  responses a journey stored are exactly the responses of that unit.
- One browser per session, a fresh context per test. Every request a page makes is recorded
  (:class:`Recorder`); :func:`assert_same_origin` fails when one leaves the server's origin.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request

BROWSER_DIR = Path(__file__).resolve().parent
ROOT = BROWSER_DIR.parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REQUIRE_ENV = "TRIVSEL_REQUIRE_BROWSER"
WAVE = "2026"
#: the questionnaires the wave runs, in answering order (the shipped ones)
QUESTIONNAIRES = ("trivsel", "emotional_demands", "offensive_behaviour")
#: axe-core rule tags: WCAG 2.0 and 2.1, levels A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


# ---------------------------------------------------------------------------------------------
# availability and markers
# ---------------------------------------------------------------------------------------------


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return (
            f"{CHROMIUM} is missing; install it with `apt-get install -y --no-install-recommends chromium` "
            f"(set {REQUIRE_ENV}=1 to make this a failure)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return (
            f"playwright is not importable ({exc}); install the test extras "
            f"(set {REQUIRE_ENV}=1 to make this a failure)"
        )
    return None


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") == "1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = unavailable_reason()
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not browser_required():
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# ---------------------------------------------------------------------------------------------
# live server
# ---------------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """The running application and helpers that write through its services."""

    app: Flask
    url: str
    wave: str = WAVE
    #: exceptions raised inside request handlers (collected through Flask's signal)
    errors: list[BaseException] = field(default_factory=list)
    _units: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    #: the dev outbox folder (``MAIL_OUTBOX_DIR``) where sent e-mails land as ``.eml`` files
    outbox: Path | None = None

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def new_unit(self) -> str:
        """A unit of its own for one test (pre-created at session start)."""
        n = next(self._units)
        if n > UNIT_COUNT:
            raise RuntimeError(f"more than {UNIT_COUNT} units needed; raise UNIT_COUNT in {__file__}")
        return f"J{n:02d}"

    def link(self, unit_id: str) -> str:
        """A fresh invitation link (absolute URL) for ``unit_id``."""
        from survey.services import invitations

        with self.app.app_context():
            token = invitations.create_links(self.wave, unit_id, 1)[0]
        return f"{self.url}/r/{token}"

    def code(self, unit_id: str) -> str:
        """A fresh one-time code ``XXXX-XXXX-XXXX`` for ``unit_id``."""
        from survey.services import invitations

        with self.app.app_context():
            return invitations.create_codes(self.wave, unit_id, 1)[0]

    def responses(self, unit_id: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """``questionnaire_id -> [(language, answers), ...]`` stored for ``unit_id``."""
        import sqlalchemy as sa

        from survey.extensions import db
        from survey.models import Response

        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        with self.app.app_context():
            rows = db.session.execute(
                sa.select(Response.questionnaire_id, Response.language, Response.answers).where(
                    Response.unit_id == unit_id
                )
            )
            for qid, lang, answers in rows:
                out.setdefault(qid, []).append((lang, dict(answers)))
            db.session.remove()
        return out

    def comments(self, unit_id: str) -> list[tuple[str, str, str]]:
        """``(questionnaire_id, item_id, text)`` stored for ``unit_id``."""
        import sqlalchemy as sa

        from survey.extensions import db
        from survey.models import Comment

        with self.app.app_context():
            rows = db.session.execute(
                sa.select(Comment.questionnaire_id, Comment.item_id, Comment.text).where(
                    Comment.unit_id == unit_id
                )
            ).all()
            db.session.remove()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def check_no_server_errors(self) -> None:
        errors, self.errors[:] = list(self.errors), []
        assert not errors, f"the server raised while handling requests: {errors!r}"


UNIT_COUNT = 30


def _seed(app: Flask) -> None:
    import questionnaires
    from survey.services import waves
    from survey.services.units import UnitRow, replace_units

    rows = [UnitRow("ORG", None, "Kommunen", 0)]
    rows += [UnitRow(f"J{n:02d}", "ORG", f"Afdeling {n}", 10) for n in range(1, UNIT_COUNT + 1)]
    replace_units(rows)
    waves.create_wave(WAVE, [questionnaires.load(q) for q in QUESTIONNAIRES])
    waves.open_wave(WAVE)


@contextmanager
def serve(db_path: Path, outbox: Path, seed: Callable[[Flask], None] | None) -> Iterator[LiveServer]:
    """Serve the app on ``db_path`` (migrated, then ``seed(app)`` inside an app context) on a free port."""
    reason = unavailable_reason()
    if reason:
        if browser_required():
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from flask import got_request_exception
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from survey import MIGRATIONS_DIR, create_app
    from survey.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
            "MAIL_OUTBOX_DIR": str(outbox),
            # no rate limit on the code and sign-in pages: the journeys use them quickly
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        if seed is not None:
            seed(app)
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")

    def record(sender: Any, exception: BaseException, **extra: Any) -> None:
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    with serve(tmp / "trivsel.db", tmp / "outbox", _seed) as live:
        live.outbox = tmp / "outbox"
        yield live


#: staff accounts of the staff server: role -> (e-mail, password, unit)
STAFF_PASSWORD = "browser-test-password-1"
STAFF = {
    "hr": ("hr@browser.test", None),
    "manager": ("leder@browser.test", "AEL-HJE"),
    "committee": ("udvalg@browser.test", None),
    "admin": ("admin@browser.test", None),
}


def _seed_staff(app: Flask) -> None:
    from survey.services import users

    for role, (email, unit) in STAFF.items():
        users.create_user(email, role, STAFF_PASSWORD, unit_id=unit)


@pytest.fixture(scope="session")
def staff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server on the demo municipality (``survey.demo.build_demo``: 31 units, closed waves 2024
    and 2025 with generated answers to the shipped questionnaires, open wave 2026) plus one staff user
    per role of :data:`STAFF`. Staff journeys write here, so the respondent server stays as it was."""
    if unavailable_reason() is None:
        from survey.demo import build_demo

        tmp = tmp_path_factory.mktemp("staff")
        build_demo(tmp / "demo.sqlite", progress=False)
    else:
        tmp = Path("/nonexistent")  # serve() skips or fails with the reason
    with serve(tmp / "demo.sqlite", tmp / "outbox", _seed_staff) as live:
        live.outbox = tmp / "outbox"
        yield live
        live.check_no_server_errors()


# ---------------------------------------------------------------------------------------------
# browser
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance(live_server: LiveServer) -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


@dataclass
class Recorder:
    """Every request the pages of one context made, and the bytes each response body had."""

    requests: list[Request] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def urls(self) -> list[str]:
        return [r.url for r in self.requests]

    def mark(self) -> int:
        return len(self.requests)


def foreign_requests(urls: list[str], origin: str) -> list[str]:
    """The URLs among ``urls`` that leave ``origin`` (data:, blob: and about: stay in the page)."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            continue
        if f"{parts.scheme}://{parts.netloc}" != origin:
            out.append(url)
    return out


def assert_same_origin(recorder: Recorder, origin: str, since: int = 0) -> None:
    foreign = foreign_requests(recorder.urls()[since:], origin)
    assert not foreign, f"requests left the origin {origin}: {foreign}"


@dataclass
class Session:
    """One browser context with its first page and the request log."""

    context: BrowserContext
    page: Page
    recorder: Recorder
    lang_hint: str = ""


@pytest.fixture()
def new_session(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Session]]:
    """``new_session(server=None, **context_options)`` -> :class:`Session` on ``server`` (default: the
    respondent server); every context is closed after the test."""
    contexts: list[BrowserContext] = []

    def make(server: LiveServer | None = None, **options: Any) -> Session:
        context = browser.new_context(base_url=(server or live_server).url, **options)
        context.set_default_timeout(10_000)
        recorder = Recorder()
        context.on("request", lambda r: recorder.requests.append(r))
        context.on("requestfailed", lambda r: recorder.failed.append(f"{r.url} {r.failure}"))
        contexts.append(context)
        return Session(context=context, page=context.new_page(), recorder=recorder)

    yield make
    for c in contexts:
        c.close()
    live_server.check_no_server_errors()


# ---------------------------------------------------------------------------------------------
# accessibility and screenshots
# ---------------------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations for the WCAG 2.0/2.1 A/AA rules on the current page (bundled axe, offline)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    return list(results.response["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        lines.append(f"  [{v.get('impact')}] {v['id']}: {v.get('help')} -> {targets}")
    return "\n".join(lines)


def check_axe(page: Page, where: str, log: list[str] | None = None) -> list[dict[str, Any]]:
    """Assert no serious/critical axe violation; return all violations (minor ones are reported)."""
    violations = axe_violations(page)
    if log is not None and violations:
        log.append(f"{where} ({page.url}):\n{format_violations(violations)}")
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, (
        f"axe: serious/critical WCAG A/AA violations on {where} ({page.url}):\n"
        + format_violations(violations)
    )
    return violations


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture()
def shoot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        # a full-page picture of a very long page (the organisation's whole change table) is taller
        # than Chromium can capture: then the first 8,000 pixels
        height = page.evaluate("() => document.documentElement.scrollHeight")
        if height <= 8000:
            page.screenshot(path=str(path), full_page=True)
        else:
            width = page.viewport_size["width"] if page.viewport_size else 1280
            page.screenshot(
                path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": 8000}
            )
        return path

    return take


def sign_in_staff(s: Session, role: str = "hr", lang: str = "da") -> None:
    """Sign in as one of :data:`STAFF` on the staff server, then switch to English when ``lang`` is "en"."""
    page = s.page
    # the unit page loads the chart library (about 1 MB) from the test server: slow on a busy machine
    page.set_default_navigation_timeout(40_000)
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.fill("#email", STAFF[role][0])
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if lang == "en":
        page.locator("nav.language a").click()
        page.wait_for_load_state()
