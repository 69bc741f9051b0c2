"""Two gunicorn instances behind nginx on loopback, with the configuration shipped in deploy/.

Started by the test: PostgreSQL (a scratch database next to ``TRIVSEL_TEST_DATABASE_URL``), Redis
(``TRIVSEL_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/11``; that one database is flushed),
two instances ``gunicorn -c deploy/gunicorn.conf.py`` (A and B) and nginx with
``deploy/nginx/trivsel-common.conf`` and ``trivsel-proxy.conf`` in front of them.
The tests show, in this order:

1. rate limits are shared through Redis (failed codes on A and on B add up);
2. a staff session made on A is valid on B and through the proxy, and signing out on B ends it on A;
3. a wave closed through A seals submits racing on B: every submit is either stored before the seal
   (and its used-mark scrambled with the others) or refused as "closed"; nothing is stored after it;
4. stopping A in the middle of a run loses and doubles nothing: nginx sends the rest to B.

Also checked: nginx's access log has neither link tokens nor query strings nor client addresses.
Needs nginx, redis-server and gunicorn; skipped without them unless ``TRIVSEL_REQUIRE_DEPLOY=1`` (CI).
"""

from __future__ import annotations

import html
import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
PG_URL = os.environ.get("TRIVSEL_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TRIVSEL_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
REQUIRE = os.environ.get("TRIVSEL_REQUIRE_DEPLOY") == "1"
SECRET = "deploy-test-secret-" + "y" * 24
PASSWORD = "correct horse battery"
CODE_LIMIT = 5

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _need(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRE:
            pytest.fail(f"TRIVSEL_REQUIRE_DEPLOY=1 but {why}")
        pytest.skip(why)


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/")
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on port {port}")


@dataclass
class Stack:
    url: str
    tmp: Path
    port_a: int
    port_b: int
    proxy: int
    a: subprocess.Popen[bytes]
    b: subprocess.Popen[bytes]
    nginx: subprocess.Popen[bytes]
    waves: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    hr_email: str = "hr@example.dk"

    @property
    def access_log(self) -> Path:
        return self.tmp / "access.log"


def _prepare_database(url: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    from flask_migrate import upgrade

    import questionnaires
    from survey import MIGRATIONS_DIR, create_app
    from survey.extensions import db
    from survey.services import invitations as inv
    from survey.services import waves
    from survey.services.units import UnitRow, replace_units
    from survey.services.users import create_user

    q = questionnaires.load_file(ROOT / "tests/data/example/questionnaire.yaml")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    ids: dict[str, int] = {}
    tokens: dict[str, list[str]] = {}
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        replace_units(
            [UnitRow("ORG", None, "Org", 0), UnitRow("U1", "ORG", "U1", 100), UnitRow("U2", "ORG", "U2", 100)]
        )
        for label, n in (("race", 40), ("failover", 45)):
            wave = waves.create_wave(label, [q])
            waves.open_wave(label)
            ids[label] = int(wave.id)
            tokens[label] = inv.create_links(label, "U1", n // 2) + inv.create_links(label, "U2", n - n // 2)
        create_user("hr@example.dk", "hr", PASSWORD)
        db.engine.dispose()
    return ids, tokens


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _need(bool(PG_URL), "PostgreSQL: set TRIVSEL_TEST_DATABASE_URL")
    nginx_bin = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    _need(nginx_bin is not None, "nginx is not installed (apt-get install nginx)")
    _need((VENV_BIN / "gunicorn").exists(), "gunicorn is not installed in this environment")
    import redis

    try:
        r = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        r.ping()
    except redis.RedisError:
        _need(False, f"Redis is not running at {REDIS_URL} (apt-get install redis-server)")
    r.flushdb()  # only the test's own database number

    base = sa.make_url(PG_URL)
    name = f"{base.database}_deploy"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    ids, tokens = _prepare_database(url)

    tmp = tmp_path_factory.mktemp("deploy")
    port_a, port_b, proxy = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "TRIVSEL_ENV": "development",  # plain http on loopback (production would set Secure cookies)
        "SECRET_KEY": SECRET,
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "TRIVSEL_TRUSTED_PROXIES": "1",
        "TRIVSEL_RATELIMIT_CODE": f"{CODE_LIMIT}/minute",
        "WEB_CONCURRENCY": "2",
    }
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "survey:create_app()"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        a = subprocess.Popen(cmd, cwd=ROOT, env={**env, "TRIVSEL_BIND": f"127.0.0.1:{port_a}"})
        procs.append(a)
        b = subprocess.Popen(cmd, cwd=ROOT, env={**env, "TRIVSEL_BIND": f"127.0.0.1:{port_b}"})
        procs.append(b)
        proxy_conf = (DEPLOY / "nginx" / "trivsel-proxy.conf").read_text()
        proxy_conf = proxy_conf.replace("/var/log/nginx/trivsel.access.log", str(tmp / "access.log"))
        assert str(tmp / "access.log") in proxy_conf
        (tmp / "trivsel-proxy.conf").write_text(proxy_conf)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(
            f"""{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {DEPLOY}/nginx/trivsel-common.conf;
    upstream trivsel {{
        server 127.0.0.1:{port_a} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{port_b} max_fails=1 fail_timeout=5s;
    }}
    server {{
        listen 127.0.0.1:{proxy};
        server_name localhost;
        include {tmp}/trivsel-proxy.conf;
    }}
}}
"""
        )
        assert nginx_bin is not None
        ng = subprocess.Popen(
            [nginx_bin, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-e", str(tmp / "error.log")]
        )
        procs.append(ng)
        _wait_http(port_a, a, "instance A")
        _wait_http(port_b, b, "instance B")
        _wait_http(proxy, ng, "nginx")
        yield Stack(url, tmp, port_a, port_b, proxy, a, b, ng, ids, tokens)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if p is not procs[-1] else signal.SIGQUIT)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        r.flushdb()


class Client:
    """A browser talking to one port (an instance or the proxy), keeping the session cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        conn.close()
        for value in r.headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return r.status, text, r.headers.get("Location", "")

    def csrf(self, path: str) -> str:
        status, page, _ = self.request("GET", path)
        assert status == 200, (path, status)
        m = re.search(r'name="csrf_token" value="([^"]*)"', page)
        assert m, f"no CSRF token on {path}"
        return html.unescape(m.group(1))


def _sign_in(port: int) -> Client:
    c = Client(port)
    token = c.csrf("/login")
    status, _, _ = c.request(
        "POST", "/login", {"csrf_token": token, "email": "hr@example.dk", "password": PASSWORD}
    )
    assert status == 303
    return c


def test_rate_limits_are_shared_through_redis(stack: Stack) -> None:
    import redis

    a = Client(stack.port_a)
    token = a.csrf("/kode")
    b = Client(stack.port_b, a.cookie)  # the same browser, sent to the other instance

    def wrong(c: Client) -> int:
        return c.request("POST", "/kode", {"csrf_token": token, "code": "0000-0000"})[0]

    seen = [wrong(a) for _ in range(3)] + [wrong(b) for _ in range(CODE_LIMIT - 3)]
    assert 429 not in seen and all(400 <= s < 500 for s in seen), seen
    # A and B together have seen the limit's worth of failures: the next one is refused on both,
    # and through the proxy (one instance alone has counted only 3 or 2)
    assert wrong(b) == 429
    assert wrong(a) == 429
    assert (
        Client(stack.proxy, a.cookie).request("POST", "/kode", {"csrf_token": token, "code": "1"})[0] == 429
    )
    assert redis.Redis.from_url(REDIS_URL).dbsize() > 0  # the counters live in Redis


def test_staff_session_is_valid_on_both_instances(stack: Stack) -> None:
    on_a = _sign_in(stack.port_a)
    assert on_a.request("GET", "/hr/waves")[0] == 200
    on_b = Client(stack.port_b, on_a.cookie)
    assert on_b.request("GET", "/hr/waves")[0] == 200
    via_proxy = Client(stack.proxy, on_a.cookie)
    assert [via_proxy.request("GET", "/hr/waves")[0] for _ in range(4)] == [200] * 4
    # signing out on B ends the session on A as well (the account's session epoch)
    token = on_b.csrf("/hr/waves")
    assert on_b.request("POST", "/logout", {"csrf_token": token})[0] == 303
    status, _, location = Client(stack.port_a, on_a.cookie).request("GET", "/hr/waves")
    assert status == 302 and "/login" in location


def _used_marks(url: str, wave_id: int) -> set[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT mark FROM used_marks WHERE wave_id = :w"), {"w": wave_id}).all()
    engine.dispose()
    return {str(r[0]) for r in rows}


def _ids(url: str, wave_id: int) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id FROM invitations WHERE wave_id = :w"), {"w": wave_id}).all()
    engine.dispose()
    return [int(r[0]) for r in rows]


def _count(url: str, sql: str, **params: Any) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(sa.text(sql), params).scalar_one())
    engine.dispose()
    return n


def test_wave_closed_through_a_seals_a_submit_racing_on_b(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.respond.views import REFUSAL_STATUS
    from survey.services.answering import TokenState

    bench = _load_bench()
    # the bench writes each prepared session's answers-so-far cookie as the server would: same key
    monkeypatch.setattr(bench, "SECRET", SECRET)
    monkeypatch.setenv("BENCH_DATABASE_URL", stack.url)
    wave_id = stack.waves["race"]
    tokens = stack.tokens["race"]
    good, review = bench.Browser(stack.port_b).journey(tokens[0], keep_review=True)
    assert good and review is not None
    prepared = bench.prepare_submits(stack.port_b, tokens[1:], review, 4)
    assert len(prepared) == len(tokens) - 1

    hr = _sign_in(stack.port_a)
    close_token = hr.csrf(f"/hr/waves/{wave_id}")
    lock = threading.Lock()
    results: list[tuple[float, int, bool]] = []  # (finished at, status, thank-you page)
    closed_at: list[float] = []
    it = iter(prepared)

    def submitter() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port_b, timeout=30)
        while True:
            with lock:
                item = next(it, None)
            if item is None:
                return
            cookie, body = item
            conn.request(
                "POST", "/svar", body=body,
                headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            r = conn.getresponse()
            r.read()
            thanks = r.status == 303 and (r.getheader("Location") or "").endswith("/tak")
            with lock:
                results.append((time.perf_counter(), r.status, thanks))

    def closer() -> None:
        while True:
            with lock:
                if sum(1 for _, _, ok in results if ok) >= 10:
                    break
            time.sleep(0.005)
        status, _, _ = hr.request(
            "POST", f"/hr/waves/{wave_id}/close", {"csrf_token": close_token, "confirm": "yes"}
        )
        closed_at.append(time.perf_counter())
        assert status == 303

    threads = [threading.Thread(target=submitter) for _ in range(4)] + [threading.Thread(target=closer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert closed_at, "the close request did not finish"
    stored = sum(1 for _, _, ok in results if ok)
    refused = [s for _, s, ok in results if not ok]
    assert len(results) == len(prepared)
    assert stored >= 10 and refused, (stored, refused)
    assert set(refused) == {REFUSAL_STATUS[TokenState.CLOSED]}  # refused as "closed", nothing else
    # every submit that answered "thank you" is stored, nothing else is (1 = the journey above)
    assert _count(stack.url, "SELECT count(*) FROM responses WHERE wave_id = :w", w=wave_id) == stored + 1
    # ... and sealed: no used-mark can be traced to an invitation any more
    from survey import create_app
    from survey.services import marks

    app = create_app({"SQLALCHEMY_DATABASE_URI": stack.url, "SECRET_KEY": SECRET})
    with app.app_context():
        key = marks.mark_key()
        invitation_ids = _ids(stack.url, wave_id)
        traceable = {marks.mark_for(wave_id, i, key) for i in invitation_ids}
    assert len(invitation_ids) == len(tokens)
    left = _used_marks(stack.url, wave_id)
    assert len(left) == stored + 1
    assert not (left & traceable)


def test_no_answer_lost_or_doubled_when_an_instance_stops_mid_run(stack: Stack) -> None:
    bench = _load_bench()
    wave_id = stack.waves["failover"]
    tokens = stack.tokens["failover"]
    lock = threading.Lock()
    it = iter(tokens)
    outcomes: list[bool] = []
    stopped = threading.Event()

    def worker() -> None:
        browser = bench.Browser(stack.proxy)
        while True:
            with lock:
                token = next(it, None)
            if token is None:
                return
            try:
                ok, _ = browser.journey(token)
            except (OSError, http.client.HTTPException, KeyError):
                ok = False
                browser.conn.close()
                browser.conn = http.client.HTTPConnection("127.0.0.1", stack.proxy, timeout=30)
            with lock:
                outcomes.append(ok)

    def stopper() -> None:
        while True:
            with lock:
                if len(outcomes) >= len(tokens) // 3:
                    break
            time.sleep(0.01)
        stack.a.send_signal(signal.SIGTERM)  # graceful: A finishes what it has, nginx sends the rest to B
        stack.a.wait(40)
        stopped.set()

    threads = [threading.Thread(target=worker) for _ in range(4)] + [threading.Thread(target=stopper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert stopped.is_set() and stack.a.poll() is not None
    assert len(outcomes) == len(tokens)
    assert outcomes.count(False) == 0, f"{outcomes.count(False)} journeys failed"
    assert _count(stack.url, "SELECT count(*) FROM responses WHERE wave_id = :w", w=wave_id) == len(tokens)
    assert _count(stack.url, "SELECT count(*) FROM used_marks WHERE wave_id = :w", w=wave_id) == len(tokens)

    log = stack.access_log.read_text()
    served_by = set(re.findall(r"127\.0\.0\.1:(\d+)", log))
    assert {str(stack.port_a), str(stack.port_b)} <= served_by  # both instances served journeys
    assert "/r/-" in log and "?" not in log
    for token in stack.tokens["race"] + tokens:
        assert token not in log
