"""Load benchmark (run by hand): complete respondent journeys against gunicorn + PostgreSQL.

    .venv/bin/python bench/load.py --seconds 25 --concurrency 16

1. Creates a fresh PostgreSQL database (``--database``, default ``trivsel_bench`` on 127.0.0.1),
   migrates it, imports a small tree and opens a wave of the worked example's questionnaire with
   enough link invitations.
2. Floor: serves a bare Flask + SQLAlchemy endpoint that inserts one JSON row per POST, with the same
   gunicorn settings, and drives it for ``--floor-seconds``.
3. Starts gunicorn (``--no-control-socket``, 2 sync workers) on the app and drives complete journeys
   (open link -> start -> every page answered -> submit) from ``--concurrency`` threads over
   keep-alive ``http.client`` connections on 127.0.0.1 for ``--seconds``.
4. Prints journeys/s, request and journey latency p50/p99, errors, and checks that the stored
   responses equal the accepted submissions (thank-you pages).

Target (issue "Proven anonymity, security and robustness"): 100 journeys/s, journey p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

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

    if os.environ.get("BENCH_CREATE_TABLE"):  # once, from prepare(); workers racing on DDL fail to boot
        with app.app_context():
            db.create_all()
    return app


# --- set-up ----------------------------------------------------------------------------------------


def prepare(url: str, invitations: int) -> list[str]:
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

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-" + "x" * 20})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        replace_units(
            [UnitRow("ORG", None, "Org", 0)] + [UnitRow(f"U{i}", "ORG", f"U{i}", 50) for i in range(10)]
        )
        waves.create_wave("bench", [questionnaires.load_file(ROOT / "tests/data/example/questionnaire.yaml")])
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
    return tokens


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(VENV_BIN / "gunicorn"), "--no-control-socket", "-w", "2", "-k", "sync",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", target,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/")
            c.getresponse().read()
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


# --- a browser -------------------------------------------------------------------------------------


class Browser:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.latencies: list[float] = []

    def request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        self.latencies.append(time.perf_counter() - t0)
        for value in r.headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return r.status, text, r.headers.get("Location", "")

    def journey(self, token: str) -> bool:
        """True when the thank-you page was reached."""
        self.cookie = ""
        status, _, location = self.request("GET", f"/r/{token}")
        if status != 303:
            return False
        status, page, _ = self.request("GET", urllib.parse.urlparse(location).path)
        if status != 200:
            return False
        form = [
            ("csrf_token", hidden(page, "csrf_token")),
            ("state", hidden(page, "state")),
            ("action", "start"),
        ]
        status, page, _ = self.request("POST", "/svar", form)
        for _ in range(50):
            if status != 200:
                return False
            if hidden(page, "page") == "":
                return 'name="state"' not in page  # the thank-you page carries no answers
            submit = 'value="submit"' in page
            fields: list[tuple[str, str]] = [
                ("csrf_token", hidden(page, "csrf_token")),
                ("state", hidden(page, "state")),
                ("page", hidden(page, "page")),
                ("action", "submit" if submit else "next"),
            ]
            for name in dict.fromkeys(re.findall(r'<input[^>]*type="radio"[^>]*name="([^"]*)"', page)):
                fields.append((name, first_value(page, name)))
            status, page, _ = self.request("POST", "/svar", fields)
        return False


def hidden(page: str, name: str) -> str:
    m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    return html.unescape(m.group(1)) if m else ""


def first_value(page: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag:
            m = re.search(r'value="([^"]*)"', tag)
            if m:
                return html.unescape(m.group(1))
    return ""


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def drive_journeys(port: int, tokens: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    lock = threading.Lock()
    it = iter(tokens)
    ok, errors, journey_times, request_times = 0, 0, [], []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal ok, errors
        b = Browser(port)
        while time.perf_counter() < deadline:
            with lock:
                token = next(it, None)
            if token is None:
                return
            t0 = time.perf_counter()
            try:
                good = b.journey(token)
            except (OSError, http.client.HTTPException):
                good = False
                b = Browser(port)
            with lock:
                journey_times.append(time.perf_counter() - t0)
                if good:
                    ok += 1
                else:
                    errors += 1
        with lock:
            request_times.extend(b.latencies)

    t_start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    return {
        "elapsed": elapsed, "ok": ok, "errors": errors, "journeys_per_s": ok / elapsed,
        "journey_p50_ms": pct(journey_times, 50), "journey_p99_ms": pct(journey_times, 99),
        "requests": len(request_times), "requests_per_s": len(request_times) / elapsed,
        "request_p50_ms": pct(request_times, 50), "request_p99_ms": pct(request_times, 99),
    }  # fmt: skip


def drive_floor(port: int, seconds: float, concurrency: int) -> dict[str, Any]:
    lock = threading.Lock()
    times: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    form = [(f"Q{i}", str(i % 7 + 1)) for i in range(40)]

    def worker() -> None:
        nonlocal errors
        b = Browser(port)
        while time.perf_counter() < deadline:
            try:
                status, _, _ = b.request("POST", "/insert", form)
            except (OSError, http.client.HTTPException):
                status, b = 0, Browser(port)
            if status != 200:
                with lock:
                    errors += 1
        with lock:
            times.extend(b.latencies)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {
        "requests_per_s": len(times) / elapsed, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
        "errors": errors,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/trivsel_bench")
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--floor-seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--invitations", type=int, default=5_000)
    ap.add_argument("--port", type=int, default=8731)
    ap.add_argument("--used-marks", choices=["invitation", "separate"], default="invitation")
    args = ap.parse_args()

    print(f"preparing {args.invitations} invitations in {args.database} ...", flush=True)
    tokens = prepare(args.database, args.invitations)
    env = {
        "BENCH_DATABASE_URL": args.database,
        "DATABASE_URL": args.database,
        "SECRET_KEY": "bench-secret-key-" + "x" * 20,
        "TRIVSEL_USED_MARKS": args.used_marks,
    }
    floor = start_gunicorn("bench.load:make_floor_app()", args.port, env)
    try:
        f = drive_floor(args.port, args.floor_seconds, args.concurrency)
    finally:
        stop(floor)
    print(
        f"floor  (bare Flask+SQLAlchemy insert, 40 answers JSONB): {f['requests_per_s']:.0f} req/s, "
        f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, errors {f['errors']}"
    )
    app = start_gunicorn("survey:create_app()", args.port, env)
    try:
        r = drive_journeys(args.port, tokens, args.seconds, args.concurrency)
    finally:
        stop(app)
    import sqlalchemy as sa

    engine = sa.create_engine(args.database)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one()
    engine.dispose()
    print(
        f"journeys ({args.concurrency} threads, {r['elapsed']:.1f} s): {r['ok']} accepted, "
        f"{r['errors']} errors, "
        f"{r['journeys_per_s']:.1f} journeys/s; journey p50 {r['journey_p50_ms']:.0f} ms, "
        f"p99 {r['journey_p99_ms']:.0f} ms"
    )
    print(
        f"requests: {r['requests']} ({r['requests_per_s']:.0f}/s), p50 {r['request_p50_ms']:.1f} ms, "
        f"p99 {r['request_p99_ms']:.1f} ms"
    )
    verdict = "OK" if stored == r["ok"] else "MISMATCH"
    print(f"stored responses {stored} == accepted submissions {r['ok']}: {verdict}")
    print(json.dumps({"floor": f, "journeys": r, "stored": stored}, default=float))
    if stored != r["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
