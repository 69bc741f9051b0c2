"""Load benchmark (run by hand): complete respondent journeys against gunicorn + PostgreSQL.

    .venv/bin/python bench/load.py                       # 60 s of journeys, shipped wave (3 questionnaires)
    .venv/bin/python bench/load.py --wave example --seconds 25 --no-wrk

Phases, all on 127.0.0.1 against the same fresh PostgreSQL database (``--database``, default
``trivsel_bench``; dropped and re-created):

1. Set-up: migrate, import 11 units, open a wave (``--wave shipped``: trivsel + emotional_demands +
   offensive_behaviour, 23 question pages; ``--wave example``: the worked example's questionnaire,
   7 pages) and create ``--invitations`` links.
2. Floor: a bare Flask + SQLAlchemy app whose POST inserts one JSONB row of 40 answers (no
   templates, no CSRF, no session), under the same gunicorn settings, driven by the same Python
   client as the journeys (``--floor-seconds``).
3. Journeys: ``--concurrency`` client threads, each with keep-alive ``http.client`` connections,
   run complete journeys for ``--seconds``: open link (303) -> start page -> every question page
   answered (first choice of each radio group) -> review page -> submit -> thank-you page; every
   page is ``POST /svar`` -> 303 -> ``GET /svar/<n>`` (post/redirect/get, steps ``page`` and ``get``).
4. Submit step alone: fresh invitations are brought to the review page's state (link + start page
   give the session cookie and CSRF token; the answers-so-far cookie is the answers a journey had
   on its review page, encrypted for each token), then only the submit POSTs (303 to ``/tak``) are
   driven for ``--submit-seconds``.
5. Ceilings with ``wrk`` (Debian package ``wrk``; skipped with ``--no-wrk`` or when it is missing):
   the floor insert, the start page (a GET with a session, one token lookup + template), and the
   submit step, each for ``--wrk-seconds`` with ``--wrk-connections`` connections and 1 thread.
6. Checks: stored responses per questionnaire == accepted submissions (journeys + submit phase) and
   the number of used invitations the same: no lost, no duplicated submission.

It prints, per phase: completed/s, request latency p50/p99 (and per step for journeys), errors, the
CPU used by the client, by gunicorn (master + workers) and by everything else (PostgreSQL ...), as
a share of the machine's cores. ``--json`` adds one machine-readable line.

Targets (issue "Proven anonymity, security and robustness", item 6) on the 2-core machine where the
load generator shares the cores: >= 100 complete journeys/s sustained for 60 s, p99 per request
<= 300 ms, submit step >= half the floor's insert rate, zero lost or duplicated. bench/README.md
("bench/load.py") has the measured figures and what they mean.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-" + "x" * 20
SHIPPED = ("trivsel", "emotional_demands", "offensive_behaviour")

# --- floor: bare Flask + SQLAlchemy insert ---------------------------------------------------------


def make_floor_app() -> Any:
    """One POST = one INSERT of a JSON row (no templates, no CSRF, no session)."""
    import uuid

    import sqlalchemy as sa
    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy.dialects.postgresql import JSONB

    app = Flask("floor")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
    db = SQLAlchemy(app)
    table = sa.Table(
        "bench_floor",
        db.metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("answers", JSONB),
    )

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        answers = {k: int(v) for k, v in request.form.items()}
        db.session.execute(table.insert().values(id=uuid.uuid4(), answers=answers))
        db.session.commit()
        return "ok", 200

    app.secret_key = SECRET

    @app.get("/page")
    def page() -> str:
        """The CPU reference for a page request: a session read and written, a template rendered."""
        from flask import render_template_string, session

        session["n"] = int(session.get("n", 0)) + 1
        return render_template_string(BARE_PAGE, n=session["n"], items=BARE_ITEMS)

    if os.environ.get("BENCH_CREATE_TABLE"):  # once, from prepare(); workers racing on DDL fail to boot
        with app.app_context():
            db.create_all()
    return app


FLOOR_FORM = [(f"Q{i}", str(i % 7 + 1)) for i in range(40)]
#: the bare page: a question with seven radio buttons in a form, like one Trivsel question page
BARE_ITEMS = [(str(v), f"choice {v}") for v in range(1, 8)]
BARE_PAGE = """<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Q {{ n }}</title></head>
<body><main><form method="post"><fieldset><legend>Question {{ n }}</legend>
{% for value, label in items %}<label><input type="radio" name="q" value="{{ value }}"> {{ label }}</label>
{% endfor %}</fieldset><button>Next</button></form></main></body></html>"""

# --- set-up ----------------------------------------------------------------------------------------


def prepare(url: str, invitations: int, wave: str) -> tuple[list[str], int]:
    """A fresh database with an open wave; returns (link tokens, number of questionnaires)."""
    import sqlalchemy as sa

    admin_url = sa.make_url(url).set(database="postgres")
    name = sa.make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()

    from flask_migrate import upgrade

    import questionnaires
    from survey import MIGRATIONS_DIR, create_app
    from survey.extensions import db
    from survey.services import invitations as inv
    from survey.services import waves
    from survey.services.units import UnitRow, replace_units

    if wave == "example":
        qs = [questionnaires.load_file(ROOT / "tests/data/example/questionnaire.yaml")]
    else:
        qs = [questionnaires.load(n) for n in SHIPPED]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        replace_units(
            [UnitRow("ORG", None, "Org", 0)] + [UnitRow(f"U{i}", "ORG", f"U{i}", 50) for i in range(10)]
        )
        waves.create_wave("bench", qs)
        waves.open_wave("bench")
        tokens: list[str] = []
        per_unit = invitations // 10 + 1
        for i in range(10):
            tokens += inv.create_links("bench", f"U{i}", per_unit)
        db.engine.dispose()
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["BENCH_CREATE_TABLE"] = "1"
    make_floor_app()
    del os.environ["BENCH_CREATE_TABLE"]
    return tokens, len(qs)


def gunicorn_cmd(target: str, port: int, args: argparse.Namespace) -> list[str]:
    return [
        str(VENV_BIN / "gunicorn"), "--no-control-socket", "-w", str(args.workers), "-k", args.worker_class,
        "--threads", str(args.threads), "--backlog", "2048",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", target,
    ]  # fmt: skip


def start_gunicorn(
    target: str, port: int, env: dict[str, str], args: argparse.Namespace
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(gunicorn_cmd(target, port, args), cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/")
            c.getresponse().read()
            c.close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- CPU accounting ---------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants that are alive now."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo += [int(c) for c in children]
        except (OSError, IndexError, ValueError):
            continue
    return total


def _postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL processes alive now (server and connection backends)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def _machine_busy() -> float:
    """CPU seconds spent busy by all cores since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


class CpuMeter:
    """Shares of the machine's cores used by this client, by one gunicorn tree and by everything else."""

    def __init__(self, server_pid: int | list[int] | None) -> None:
        self.server_pids = (
            [] if not server_pid else [server_pid] if isinstance(server_pid, int) else server_pid
        )
        self.t0 = time.perf_counter()
        self.client0 = self._client()
        self.server0 = sum(_proc_cpu(p) for p in self.server_pids)
        self.pg0 = _postgres_cpu()
        self.busy0 = _machine_busy()

    @staticmethod
    def _client() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def read(self) -> dict[str, float]:
        el = time.perf_counter() - self.t0
        cores = os.cpu_count() or 1
        client = self._client() - self.client0
        server = sum(_proc_cpu(p) for p in self.server_pids) - self.server0
        pg = _postgres_cpu() - self.pg0  # backends that ended during the run are missed
        busy = _machine_busy() - self.busy0
        return {
            "cores": cores,
            "client_cores": client / el,
            "server_cores": server / el,
            "postgres_cores": pg / el,
            "other_cores": max(0.0, busy - client - server - pg) / el,
            "busy_share": busy / (el * cores),
        }


def cost_text(c: dict[str, float], per_s: float, what: str) -> str:
    """CPU per unit of work, and the rate the machine's cores could give if nothing else ran."""
    if per_s <= 0:
        return ""
    ms = {k: c[f"{k}_cores"] / per_s * 1000 for k in ("client", "server", "postgres")}
    server_side = ms["server"] + ms["postgres"]
    return (
        f"CPU per {what}: client {ms['client']:.2f} ms, gunicorn {ms['server']:.2f} ms, PostgreSQL "
        f"{ms['postgres']:.2f} ms -> {c['cores']} idle cores could do at most "
        f"{c['cores'] * 1000 / (server_side + ms['client']):.0f}/s with this client, "
        f"{c['cores'] * 1000 / server_side:.0f}/s with a free client"
    )


def cpu_text(c: dict[str, float]) -> str:
    return (
        f"CPU (of {c['cores']} cores): client {c['client_cores']:.2f}, gunicorn {c['server_cores']:.2f}, "
        f"PostgreSQL {c['postgres_cores']:.2f}, other {c['other_cores']:.2f} (kernel, other programs); "
        f"machine {c['busy_share']:.0%} busy"
    )


# --- a browser -------------------------------------------------------------------------------------

HIDDEN_RE = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
CHOICE_RE = re.compile(
    r'<input(?: checked)? id="[^"]*" name="([^"]*)" type="(radio|checkbox)" value="([^"]*)">'
)


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(page)}


class Browser:
    """Keep-alive connection with the cookies a browser keeps (the session and the encrypted
    answers-so-far cookie ``trivsel_svar``), following post/redirect/get."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.latencies: dict[str, list[float]] = {}
        self.token = ""

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, step: str, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        self.latencies.setdefault(step, []).append(time.perf_counter() - t0)
        for value in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            content = rest.split(";", 1)[0]
            if not content or "Max-Age=0" in value or "1970" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = content
        return r.status, text, r.headers.get("Location", "")

    def post_and_follow(self, step: str, form: list[tuple[str, str]]) -> tuple[int, str]:
        """``POST /svar`` and, after its 303, the ``GET`` of the page it leads to (step ``get``)."""
        status, page, location = self.request(step, "POST", "/svar", form)
        if status != 303:
            return status, page
        status, page, _ = self.request("get", "GET", urllib.parse.urlparse(location).path)
        return status, page

    def open_link(self, token: str) -> str | None:
        """Link + start page: the start page's HTML (session cookie set), or None."""
        self.cookies = {}
        self.token = token
        status, _, location = self.request("link", "GET", f"/r/{token}")
        if status != 303:
            return None
        status, page, _ = self.request("start", "GET", urllib.parse.urlparse(location).path)
        return page if status == 200 else None

    def journey(
        self, token: str, *, keep_review: bool = False
    ) -> tuple[bool, tuple[dict[str, Any], str] | None]:
        """(thank-you page reached, (answers so far, page index) that the review page had: read from
        the state cookie when ``keep_review``)."""
        page = self.open_link(token)
        if page is None:
            return False, None
        h = hidden_fields(page)
        status, page = self.post_and_follow("page", [("csrf_token", h["csrf_token"]), ("action", "start")])
        review: tuple[dict[str, Any], str] | None = None
        for _ in range(60):
            if status != 200:
                return False, review
            h = hidden_fields(page)
            if "page" not in h:
                return "<h1>" in page and "csrf_token" not in h, review  # the thank-you page
            submit = 'value="submit"' in page
            if submit and keep_review:
                review = (read_state(self), h["page"])
            fields: list[tuple[str, str]] = [
                ("csrf_token", h["csrf_token"]),
                ("page", h["page"]),
                ("action", "submit" if submit else "next"),
            ]
            seen: set[str] = set()
            for name, _kind, value in CHOICE_RE.findall(page):
                if name not in seen:  # the first choice of each group
                    seen.add(name)
                    fields.append((name, html.unescape(value)))
            status, page = self.post_and_follow("submit" if submit else "page", fields)
        return False, review


_STATE_APP: list[Any] = []


def _state_app() -> Any:
    """An app with the server's SECRET_KEY, to read and write answers-so-far cookies (made once)."""
    if not _STATE_APP:
        from survey import create_app

        _STATE_APP.append(
            create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"], "SECRET_KEY": SECRET})
        )
    return _STATE_APP[0]


def read_state(b: Browser) -> dict[str, Any]:
    """The answers in the browser's state cookie (the bench knows the server's SECRET_KEY)."""
    from survey.respond import state as answer_state

    value = "".join(v for k, v in sorted(b.cookies.items()) if k.startswith(answer_state.COOKIE))
    with _state_app().test_request_context():
        return answer_state.decode(value, b.token).parts


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def run_threads(concurrency: int, worker: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def drive_journeys(
    port: int, tokens: list[str], seconds: float, concurrency: int, server_pid: int | list[int]
) -> dict[str, Any]:
    lock = threading.Lock()
    it = iter(tokens)
    ok, errors = 0, 0
    journey_times: list[float] = []
    finished_at: list[float] = []
    steps: dict[str, list[float]] = {}
    reviews: list[tuple[dict[str, Any], str]] = []
    start = time.perf_counter()
    deadline = start + seconds

    def worker() -> None:
        nonlocal ok, errors
        b = Browser(port)
        while time.perf_counter() < deadline:
            with lock:
                token = next(it, None)
            if token is None:
                break
            t0 = time.perf_counter()
            try:
                good, review = b.journey(token, keep_review=not reviews)
            except (OSError, http.client.HTTPException, KeyError):
                good, review = False, None
                b.conn.close()
                b.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t1 = time.perf_counter()
            with lock:
                journey_times.append(t1 - t0)
                if good:
                    ok += 1
                    finished_at.append(t1 - start)
                    if review and not reviews:
                        reviews.append(review)
                else:
                    errors += 1
        with lock:
            for step, values in b.latencies.items():
                steps.setdefault(step, []).extend(values)

    cpu = CpuMeter(server_pid)
    elapsed = run_threads(concurrency, worker)
    cpu_use = cpu.read()
    all_requests = [v for values in steps.values() for v in values]
    window = 10.0
    per_window = [0] * max(1, int(elapsed // window))
    for t in finished_at:
        i = int(t // window)
        if i < len(per_window):
            per_window[i] += 1
    return {
        "elapsed": elapsed, "ok": ok, "errors": errors, "journeys_per_s": ok / elapsed,
        "min_10s_window_per_s": min(per_window) / window if elapsed >= window else float("nan"),
        "journey_p50_ms": pct(journey_times, 50), "journey_p99_ms": pct(journey_times, 99),
        "requests": len(all_requests), "requests_per_s": len(all_requests) / elapsed,
        "requests_per_journey": len(all_requests) / max(1, ok + errors),
        "request_p50_ms": pct(all_requests, 50), "request_p99_ms": pct(all_requests, 99),
        "steps": {
            k: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)} for k, v in sorted(steps.items())
        },
        "cpu": cpu_use, "review": reviews[0] if reviews else None,
    }  # fmt: skip


def prepare_submits(
    port: int, tokens: list[str], review: tuple[dict[str, Any], str], concurrency: int
) -> list[tuple[str, str]]:
    """(cookie header, urlencoded submit body) per token: each session opened with link + start page;
    its answers-so-far cookie holds the answers a journey had on its review page, encrypted for this
    token as the server would (the bench knows SECRET_KEY); the body is the review page's Send."""
    from survey.respond import state as answer_state

    lock = threading.Lock()
    it = iter(tokens)
    out: list[tuple[str, str]] = []
    parts, page_index = review
    app = _state_app()

    def worker() -> None:
        b = Browser(port)
        while True:
            with lock:
                token = next(it, None)
            if token is None:
                return
            page = b.open_link(token)
            if page is None:
                continue
            h = hidden_fields(page)
            with app.test_request_context():
                value = answer_state.encode(answer_state.AnswerState(parts, int(page_index)), token)
            chunks = [
                value[i : i + answer_state.CHUNK_SIZE] for i in range(0, len(value), answer_state.CHUNK_SIZE)
            ]
            names = [answer_state.COOKIE] + [f"{answer_state.COOKIE}{i}" for i in range(1, len(chunks))]
            cookie = "; ".join([b.cookie] + [f"{n}={c}" for n, c in zip(names, chunks, strict=True)])
            body = {"csrf_token": h["csrf_token"], "page": page_index, "action": "submit"}
            with lock:
                out.append((cookie, urllib.parse.urlencode(body)))

    run_threads(concurrency, worker)
    return out


def drive_submits(
    port: int, prepared: list[tuple[str, str]], seconds: float, concurrency: int, server_pid: int | list[int]
) -> dict[str, Any]:
    lock = threading.Lock()
    it = iter(prepared)
    ok, errors = 0, 0
    times: list[float] = []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal ok, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            with lock:
                item = next(it, None)
            if item is None:
                break
            cookie, body = item
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST", "/svar", body=body,
                    headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
                )  # fmt: skip
                r = conn.getresponse()
                r.read()
                good = r.status == 303 and (r.headers.get("Location") or "").endswith("/tak")
            except (OSError, http.client.HTTPException):
                good = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
            with lock:
                if good:
                    ok += 1
                else:
                    errors += 1
        with lock:
            times.extend(mine)

    cpu = CpuMeter(server_pid)
    elapsed = run_threads(concurrency, worker)
    return {
        "elapsed": elapsed, "ok": ok, "errors": errors, "submits_per_s": ok / elapsed,
        "p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "exhausted": ok + errors >= len(prepared),
        "cpu": cpu.read(),
    }  # fmt: skip


def _drive_loop(
    port: int, seconds: float, concurrency: int, server_pid: int, step: str, method: str, path: str,
    form: list[tuple[str, str]] | None = None,
) -> tuple[float, list[float], int, dict[str, Any]]:
    """``concurrency`` clients repeat one request for ``seconds``: (elapsed, latencies, errors, cpu)."""
    lock = threading.Lock()
    times: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        b = Browser(port)
        while time.perf_counter() < deadline:
            try:
                status, _, _ = b.request(step, method, path, form)
            except (OSError, http.client.HTTPException):
                status, b = 0, Browser(port)
            if status != 200:
                with lock:
                    errors += 1
        with lock:
            times.extend(b.latencies.get(step, []))

    cpu = CpuMeter(server_pid)
    elapsed = run_threads(concurrency, worker)
    return elapsed, times, errors, cpu.read()


def drive_floor(port: int, seconds: float, concurrency: int, server_pid: int) -> dict[str, Any]:
    elapsed, times, errors, cpu = _drive_loop(
        port, seconds, concurrency, server_pid, "insert", "POST", "/insert", FLOOR_FORM
    )
    return {
        "requests_per_s": len(times) / elapsed, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
        "errors": errors, "cpu": cpu,
    }  # fmt: skip


# --- wrk ceilings ----------------------------------------------------------------------------------

WRK_POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = %s
"""

# each wrk thread takes its share of prepared (cookie, body) lines and posts each once
WRK_CYCLE_LUA = """
local lines = {}
local i = 0
function setup(thread) end
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
end
function request()
  i = i + 1
  local line = lines[i]
  if line == nil then line = lines[#lines] end
  local tab = string.find(line, "\\t", 1, true)
  return wrk.format("POST", "/svar", {["Cookie"] = string.sub(line, 1, tab - 1),
    ["Content-Type"] = "application/x-www-form-urlencoded"}, string.sub(line, tab + 1))
end
"""


def run_wrk(
    url: str, seconds: float, connections: int, lua: str | None, lua_args: list[str], headers: list[str]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
        for h in headers:
            cmd += ["-H", h]
        if lua is not None:
            script = Path(tmp) / "s.lua"
            script.write_text(lua)
            cmd += ["-s", str(script)]
        cmd.append(url)
        if lua_args:
            cmd += ["--", *lua_args]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)

    def latency(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    return {
        "requests_per_s": float(rps.group(1)) if rps else float("nan"),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errs.groups()) if errs else 0,
        "p50_ms": latency("50"), "p99_ms": latency("99"),
    }  # fmt: skip


def wrk_text(name: str, w: dict[str, Any]) -> str:
    return (
        f"wrk {name}: {w['requests_per_s']:.0f} req/s, p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, "
        f"non-2xx {w['non_2xx']}, socket errors {w['socket_errors']}"
    )


# --- checks ------------------------------------------------------------------------------------------


def stored_counts(url: str) -> tuple[dict[str, int], int | None]:
    """(responses per questionnaire, used invitations or None when this schema cannot tell)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT questionnaire_id, count(*) FROM responses GROUP BY 1")).all()
        per_q = {str(row[0]): int(row[1]) for row in rows}
        used: int | None = None
        tables = set(sa.inspect(conn).get_table_names())
        if "used_marks" in tables:
            used = conn.execute(sa.text("SELECT count(*) FROM used_marks")).scalar_one()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("invitations")}
        if not used and "used" in columns:
            used = conn.execute(sa.text("SELECT count(*) FROM invitations WHERE used")).scalar_one()
    engine.dispose()
    return per_q, used


# --- behind nginx: 1 and 2 instances (deploy/) ------------------------------------------------------

DEPLOY = ROOT / "deploy"


def start_nginx(tmp: Path, upstream_ports: list[int], port: int) -> subprocess.Popen[bytes]:
    """nginx on 127.0.0.1:``port`` with deploy/nginx's shared settings, in front of ``upstream_ports``."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("--proxy needs nginx (apt-get install nginx-light)")
    proxy = (DEPLOY / "nginx" / "trivsel-proxy.conf").read_text()
    (tmp / "trivsel-proxy.conf").write_text(
        proxy.replace("/var/log/nginx/trivsel.access.log", str(tmp / "access.log"))
    )
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstream_ports)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
        "events { worker_connections 1024; }\nhttp {\n"
        + "".join(
            f"    {k}_temp_path {tmp}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {DEPLOY}/nginx/trivsel-common.conf;\n    upstream trivsel {{\n{servers}    }}\n"
        f"    server {{ listen 127.0.0.1:{port}; server_name localhost;\n"
        f"             include {tmp}/trivsel-proxy.conf; }}\n}}\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-e", str(tmp / "error.log")]
    )
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/")
            c.getresponse().read()
            c.close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nginx did not start")


def start_instance(port: int, env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    """One instance as deploy/ recommends: ``gunicorn -c deploy/gunicorn.conf.py`` (sync workers)."""
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "survey:create_app()"]
    inst_env = {**os.environ, **env, "TRIVSEL_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=inst_env)
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/")
            c.getresponse().read()
            c.close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"instance on port {port} did not start")


def drive_paced(
    port: int, tokens: list[str], rate: float, seconds: float, server_pids: list[int]
) -> dict[str, Any]:
    """Open-loop arrivals: a new journey starts every 1/``rate`` s whether or not earlier ones ended."""
    lock = threading.Lock()
    n = int(rate * seconds)
    if n > len(tokens):
        raise SystemExit(f"the paced run needs {n} invitations; raise --invitations")
    slots = iter(range(n))
    ok, errors, late, skipped = 0, 0, 0, 0
    steps: dict[str, list[float]] = {}
    t0 = time.perf_counter() + 0.2

    def worker() -> None:
        nonlocal ok, errors, late, skipped
        b = Browser(port)
        while True:
            with lock:
                i = next(slots, None)
            if i is None:
                break
            wait = t0 + i / rate - time.perf_counter()
            if wait < -5:  # more than 5 s behind the schedule: the machine cannot keep this rate
                with lock:
                    skipped += 1
                continue
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.5:
                with lock:
                    late += 1  # started late: the arrival rate was not kept
            try:
                good, _ = b.journey(tokens[i])
            except (OSError, http.client.HTTPException, KeyError):
                good = False
                b.conn.close()
                b.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                ok, errors = ok + good, errors + (not good)
        with lock:
            for step, values in b.latencies.items():
                steps.setdefault(step, []).extend(values)

    cpu = CpuMeter(server_pids)
    elapsed = run_threads(max(8, int(rate * 2)), worker)
    every = [v for values in steps.values() for v in values]
    return {
        "journeys": n, "ok": ok, "errors": errors, "late_starts": late, "skipped": skipped,
        "elapsed": elapsed,
        "requests": len(every), "request_p50_ms": pct(every, 50), "request_p99_ms": pct(every, 99),
        "submit_p99_ms": pct(steps.get("submit", []), 99), "cpu": cpu.read(),
    }  # fmt: skip


def drive_bare_pages(port: int, seconds: float, concurrency: int, server_pid: int) -> dict[str, Any]:
    """GET /page of the floor app (template + session) in a loop: CPU per request of a bare page."""
    elapsed, times, errors, c = _drive_loop(port, seconds, concurrency, server_pid, "page", "GET", "/page")
    per_s = len(times) / elapsed
    return {
        "requests_per_s": per_s, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "errors": errors,
        "cpu": c, "gunicorn_ms_per_request": c["server_cores"] / per_s * 1000 if per_s else float("nan"),
    }  # fmt: skip


def proxy_runs(
    args: argparse.Namespace, tokens: list[str], env: dict[str, str], floor: dict[str, Any]
) -> None:
    """The issue's figures behind nginx, for each of ``--instances`` (default 1 and 2)."""
    base = args.port + 10
    # the CPU reference for one page request: a bare Flask page with a template and a session
    bare_proc = start_gunicorn("bench.load:make_floor_app()", args.port, env, args)
    try:
        bare = drive_bare_pages(args.port, args.floor_seconds, args.concurrency, bare_proc.pid)
    finally:
        stop(bare_proc)
    print(
        f"bare page (Flask, template + session, {args.workers} workers {args.worker_class}): "
        f"{bare['requests_per_s']:.0f} req/s, p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms; "
        f"gunicorn CPU {bare['gunicorn_ms_per_request']:.2f} ms per request"
    )
    summary: list[str] = []
    exact_all = True
    for n in args.instances:
        ports = [base + i for i in range(n)]
        proxy_port = base + 9
        with tempfile.TemporaryDirectory() as tmpdir:
            instances = [start_instance(p, env, args.workers) for p in ports]
            ng = start_nginx(Path(tmpdir), ports, proxy_port)
            pids = [p.pid for p in instances] + [ng.pid]
            try:
                before = stored_counts(args.database)
                take = args.invitations
                mine, tokens = tokens[:take], tokens[take:]
                r = drive_journeys(proxy_port, mine, args.seconds, args.concurrency, pids)
                app_cpu = CpuMeter([p.pid for p in instances])  # gunicorn alone, for CPU per page request
                paced_tokens, tokens = (
                    tokens[: int(args.rate * args.peak_seconds) + 1],
                    tokens[int(args.rate * args.peak_seconds) + 1 :],
                )
                peak = drive_paced(proxy_port, paced_tokens, args.rate, args.peak_seconds, pids)
                app_use = app_cpu.read()
                review = r.pop("review")
                sub = None
                if review:
                    prep_tokens, tokens = tokens[: args.submit_invitations], tokens[args.submit_invitations :]
                    prepared = prepare_submits(proxy_port, prep_tokens, review, args.concurrency)
                    sub = drive_submits(proxy_port, prepared, args.submit_seconds, args.concurrency, pids)
                after = stored_counts(args.database)
            finally:
                stop(ng)
                for p in instances:
                    stop(p)
        accepted = r["ok"] + peak["ok"] + (sub["ok"] if sub else 0)
        gained = {q: after[0].get(q, 0) - before[0].get(q, 0) for q in after[0]}
        used_gain = (after[1] or 0) - (before[1] or 0)
        exact = bool(gained) and all(v == accepted for v in gained.values()) and used_gain == accepted
        exact_all = exact_all and exact
        per_page_ms = app_use["server_cores"] / (peak["requests"] / peak["elapsed"]) * 1000
        page_x = per_page_ms / bare["gunicorn_ms_per_request"]
        sub_x = sub["submits_per_s"] / floor["requests_per_s"] if sub else float("nan")
        verdict = "exact" if exact else "MISMATCH"
        print(f"== behind nginx, {n} instance(s) x {args.workers} sync workers (deploy/gunicorn.conf.py)")
        print(
            f"  saturation ({args.concurrency} clients, {r['elapsed']:.0f} s): "
            f"{r['journeys_per_s']:.1f} journeys/s, request p50 {r['request_p50_ms']:.1f} ms, "
            f"p99 {r['request_p99_ms']:.1f} ms, {r['errors']} errors\n    {cpu_text(r['cpu'])}\n"
            f"    {cost_text(r['cpu'], r['journeys_per_s'], 'journey')} (gunicorn column includes nginx)"
        )
        print(
            f"  peak {args.rate:g} journeys/s paced for {args.peak_seconds:.0f} s: "
            f"{peak['ok']}/{peak['journeys']} ok, {peak['errors']} errors, {peak['late_starts']} late, "
            f"{peak['skipped']} not started (>5 s behind); "
            f"request p50 {peak['request_p50_ms']:.1f} ms, p99 {peak['request_p99_ms']:.1f} ms "
            f"(submit p99 {peak['submit_p99_ms']:.1f} ms); gunicorn CPU {per_page_ms:.2f} ms per page "
            f"request = {page_x:.2f} x bare page"
        )
        if sub:
            print(
                f"  submit step alone: {sub['submits_per_s']:.0f} submits/s = {sub_x:.2f} x floor insert; "
                f"p50 {sub['p50_ms']:.1f} ms, p99 {sub['p99_ms']:.1f} ms, {sub['errors']} errors"
                + (" (ran out of sessions)" if sub["exhausted"] else "")
            )
        print(f"  stored: {gained}, used marks +{used_gain}; accepted {accepted}: {verdict}")
        summary.append(
            f"{n} instance(s): {r['journeys_per_s']:.1f} journeys/s saturated; "
            f"peak p99 {peak['request_p99_ms']:.0f} ms; submit {sub_x:.2f} x floor; "
            f"page CPU {page_x:.2f} x bare; {verdict}"
        )
    print("summary (targets: submit >= 0.5 x floor, page CPU <= 2 x bare, peak p99 <= 300 ms, zero lost):")
    for line in summary:
        print("  " + line)
    if not exact_all:
        sys.exit(1)


# --- main ----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/trivsel_bench")
    ap.add_argument("--wave", choices=["shipped", "example"], default="shipped")
    ap.add_argument("--seconds", type=float, default=60, help="journey phase (default 60)")
    ap.add_argument("--floor-seconds", type=float, default=10)
    ap.add_argument("--submit-seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--invitations", type=int, default=6_000, help="for the journey phase")
    ap.add_argument("--submit-invitations", type=int, default=6_000, help="prepared for the submit phase")
    ap.add_argument("--port", type=int, default=8731)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worker-class", default="gthread")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--no-wrk", action="store_true")
    ap.add_argument("--wrk-seconds", type=float, default=10)
    ap.add_argument("--wrk-connections", type=int, default=16)
    ap.add_argument("--json", action="store_true", help="also print one JSON line with every figure")
    ap.add_argument("--proxy", action="store_true", help="run through nginx with deploy/'s settings instead")
    ap.add_argument("--instances", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2])
    ap.add_argument("--rate", type=float, default=12.0, help="--proxy: paced journeys/s (Danish peak x 3)")
    ap.add_argument("--peak-seconds", type=float, default=20)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="--proxy: the rate limits' Redis")
    args = ap.parse_args()
    if args.proxy:
        args.worker_class, args.threads = "sync", 1  # as deploy/gunicorn.conf.py
        if args.no_wrk is False:
            args.no_wrk = True
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None

    total = args.invitations + args.submit_invitations * (2 if use_wrk else 1)
    if args.proxy:
        total = len(args.instances) * (args.invitations + int(args.rate * args.peak_seconds) + 1)
        total += len(args.instances) * args.submit_invitations
    print(f"preparing {total} invitations ({args.wave} wave) in {args.database} ...", flush=True)
    tokens, n_questionnaires = prepare(args.database, total, args.wave)
    journey_tokens = tokens[: args.invitations]
    submit_tokens = tokens[args.invitations : args.invitations + args.submit_invitations]
    wrk_tokens = tokens[args.invitations + args.submit_invitations :]
    env = {"BENCH_DATABASE_URL": args.database, "DATABASE_URL": args.database, "SECRET_KEY": SECRET}
    if args.proxy:  # as deploy/trivsel.env.example: limits in Redis, one trusted proxy
        env.update(RATELIMIT_STORAGE_URI=args.redis, TRIVSEL_TRUSTED_PROXIES="1")
    print(
        f"gunicorn: {args.workers} worker(s), {args.worker_class}, {args.threads} thread(s), "
        f"--no-control-socket; client: {args.concurrency} Python threads (http.client keep-alive); "
        f"{os.cpu_count()} cores shared by client, server and PostgreSQL"
    )
    results: dict[str, Any] = {"args": vars(args)}

    # floor
    floor = start_gunicorn("bench.load:make_floor_app()", args.port, env, args)
    try:
        f = drive_floor(args.port, args.floor_seconds, args.concurrency, floor.pid)
        wf = None
        if use_wrk:
            body = urllib.parse.urlencode(FLOOR_FORM)
            wf = run_wrk(
                f"http://127.0.0.1:{args.port}/insert", args.wrk_seconds, args.wrk_connections,
                WRK_POST_LUA % json.dumps(body), [], [],
            )  # fmt: skip
    finally:
        stop(floor)
    results["floor"], results["wrk_floor"] = f, wf
    if args.proxy:
        print(
            f"floor  (bare Flask+SQLAlchemy insert, 40 answers JSONB): {f['requests_per_s']:.0f} req/s, "
            f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, errors {f['errors']}"
        )
        proxy_runs(args, journey_tokens + submit_tokens + wrk_tokens, env, f)
        return
    print(
        f"floor  (bare Flask+SQLAlchemy insert, 40 answers JSONB): {f['requests_per_s']:.0f} req/s, "
        f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, errors {f['errors']}\n  {cpu_text(f['cpu'])}"
        f"\n  {cost_text(f['cpu'], f['requests_per_s'], 'insert')}"
    )
    if wf:
        print("  " + wrk_text("floor insert", wf))

    app = start_gunicorn("survey:create_app()", args.port, env, args)
    try:
        r = drive_journeys(args.port, journey_tokens, args.seconds, args.concurrency, app.pid)
        print(
            f"journeys ({r['elapsed']:.1f} s): {r['ok']} accepted, {r['errors']} errors, "
            f"{r['journeys_per_s']:.1f} journeys/s (slowest 10-s window {r['min_10s_window_per_s']:.1f}/s); "
            f"journey p50 {r['journey_p50_ms']:.0f} ms, p99 {r['journey_p99_ms']:.0f} ms"
        )
        print(
            f"  requests: {r['requests']} ({r['requests_per_s']:.0f}/s, {r['requests_per_journey']:.1f} per "
            f"journey), p50 {r['request_p50_ms']:.1f} ms, p99 {r['request_p99_ms']:.1f} ms"
        )
        for step, s in r["steps"].items():
            print(f"    {step:7s} n={s['n']:6d}  p50 {s['p50_ms']:6.1f} ms  p99 {s['p99_ms']:6.1f} ms")
        print("  " + cpu_text(r["cpu"]) + "\n  " + cost_text(r["cpu"], r["journeys_per_s"], "journey"))
        review = r.pop("review")
        s = None
        if review:
            prepared = prepare_submits(args.port, submit_tokens, review, args.concurrency)
            s = drive_submits(args.port, prepared, args.submit_seconds, args.concurrency, app.pid)
            ratio = s["submits_per_s"] / f["requests_per_s"]
            print(
                f"submit step alone ({len(prepared)} prepared sessions): {s['ok']} accepted, "
                f"{s['errors']} errors, {s['submits_per_s']:.0f} submits/s = {ratio:.2f} x floor; "
                f"p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms"
                + (" (ran out of prepared sessions)" if s["exhausted"] else "")
                + f"\n  {cpu_text(s['cpu'])}\n  {cost_text(s['cpu'], s['submits_per_s'], 'submit')}"
            )
        results["journeys"], results["submit"] = r, s

        # every client request has been answered: the database must hold exactly what was accepted
        per_q, used = stored_counts(args.database)
        accepted = r["ok"] + (s["ok"] if s else 0)
        exact = len(per_q) == n_questionnaires and all(v == accepted for v in per_q.values())
        exact = exact and (used is None or used == accepted)
        print(
            f"stored responses per questionnaire {per_q}, used invitations {used}; accepted submissions "
            f"{accepted} (journeys {r['ok']} + submit phase {s['ok'] if s else 0}): "
            f"{'OK, none lost or duplicated' if exact else 'MISMATCH'}"
        )
        results["stored"], results["used"], results["exact"] = per_q, used, exact

        if use_wrk and review:
            viewer = Browser(args.port)  # a session of its own that is never submitted
            if viewer.open_link(wrk_tokens.pop()) is None:
                raise SystemExit("could not open a session for the wrk start-page run")
            w_start = run_wrk(
                f"http://127.0.0.1:{args.port}/start", args.wrk_seconds, args.wrk_connections, None, [],
                [f"Cookie: {viewer.cookie}"],
            )  # fmt: skip
            print(
                wrk_text("start page (GET with a session: token lookup, snapshot digest, template)", w_start)
            )
            wprep = prepare_submits(args.port, wrk_tokens, review, args.concurrency)
            with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
                for cookie, body in wprep:
                    fh.write(f"{cookie}\t{body}\n")
            before = sum(stored_counts(args.database)[0].values())
            ws = run_wrk(
                f"http://127.0.0.1:{args.port}/svar", args.wrk_seconds, args.wrk_connections, WRK_CYCLE_LUA,
                [fh.name], [],
            )  # fmt: skip
            os.unlink(fh.name)
            time.sleep(1)  # requests wrk left in flight at its deadline finish
            ws["stored"] = (sum(stored_counts(args.database)[0].values()) - before) // n_questionnaires
            ws["prepared"] = len(wprep)
            rate = (ws["requests"] - ws["non_2xx"]) / args.wrk_seconds
            floor_rate = wf["requests_per_s"] if wf else float("nan")
            print(
                wrk_text("submit step", ws)
                + f"; {rate:.0f} accepted/s = {rate / floor_rate:.2f} x wrk floor; "
                f"database gained {ws['stored']} (wrk counts no request left in flight at its deadline)"
                + (
                    " (RAN OUT of prepared sessions: raise --submit-invitations)"
                    if ws["stored"] >= len(wprep)
                    else ""
                )
            )
            results["wrk_start"], results["wrk_submit"] = w_start, ws
    finally:
        stop(app)

    r, s = results["journeys"], results["submit"]
    sustained = r["elapsed"] >= 60 and r["min_10s_window_per_s"] >= 100
    rate_text = f"{r['journeys_per_s']:.1f}/s, slowest 10-s window {r['min_10s_window_per_s']:.1f}/s"
    rate_text += f" over {r['elapsed']:.0f} s"
    submit_ok = bool(s) and s["submits_per_s"] >= 0.5 * f["requests_per_s"]
    submit_text = f"{s['submits_per_s'] / f['requests_per_s']:.2f} x" if s else "not run"
    checks = [
        ("complete journeys >= 100/s in every 10-s window of a run >= 60 s", sustained, rate_text),
        ("p99 per request <= 300 ms (journeys)", r["request_p99_ms"] <= 300, f"{r['request_p99_ms']:.0f} ms"),
        ("submit step >= 0.5 x floor insert rate", submit_ok, submit_text),
        ("no submission lost or duplicated", exact, "exact" if exact else "MISMATCH"),
    ]
    for name, ok, figure in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {figure}")
    if args.json:
        print(json.dumps(results, default=float))
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    main()
