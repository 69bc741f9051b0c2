"""Server time and size of the report pages (issue 11: "at most 1 s server time per page").

    .venv/bin/python bench/report_pages.py [--repeat 5] [--db /tmp/trivsel-bench-demo.sqlite]
    .venv/bin/python bench/report_pages.py --org large [--respondents 50000] [--units 1500] [--repeat 3]

``--org demo`` (default) builds the demo (SQLite, as ``trivsel demo`` does). ``--org large`` builds the
1,500-unit organisation of ``bench/analysis.py`` (``generate``: units.csv, a 60-item questionnaire with
exposures, two waves of ``--respondents``) in a new SQLite file at ``--db`` (or a PostgreSQL URL, whose
tables are dropped first), imports it as the closed waves 2024 and 2025 (2025 compared with 2024) and
publishes 2025 (timed: what closing the wave costs); the pages then read the stored publication.

Then it signs in as an HR user the way Flask-Login stores a session, and requests every report page of the
closed wave 2025 ``--repeat`` times through the WSGI app (no network). Prints per page the median and the
slowest server time and the HTML size. The first request of a page is timed separately ("first"). Run by
hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = (
    ("overview", "/rapporter/?wave=2025"),
    ("changes", "/rapporter/aendringer?wave=2025"),
    ("harassment", "/rapporter/kraenkelser?wave=2025"),
    ("unit (a department)", "/rapporter/enhed/AEL?wave=2025"),
    ("unit (a team)", "/rapporter/enhed/AEL-HJE?wave=2025"),
    ("reading guide", "/rapporter/laesevejledning"),
)


def large_org(db_url: str, respondents: int, n_units: int, reuse: bool = False
              ) -> tuple[object, list[tuple[str, str]]]:
    """The 1,500-unit organisation imported and wave 2025 published; returns the app and its pages.
    ``reuse``: take the database of an earlier run as it is (no generation, import or publication)."""
    import importlib.util
    import tempfile

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from survey import MIGRATIONS_DIR, create_app
    from survey.extensions import db
    from survey.models import User
    from survey.services import dataset, reporting
    from survey.services.units import import_units

    spec = importlib.util.spec_from_file_location("bench_analysis", Path(__file__).with_name("analysis.py"))
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    if reuse:
        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "p" * 40})
        with app.app_context():
            return app, _large_pages(reporting.wave_report("2025").report)
    folder = Path(tempfile.mkdtemp(prefix="trivsel-pages-"))
    t = time.perf_counter()
    files = bench.generate(folder, respondents, n_units)
    print(f"generated {n_units} units, 2 x {respondents} respondents in {time.perf_counter() - t:.1f} s")
    if db_url.startswith("postgresql"):
        eng = sa.create_engine(db_url)
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        eng.dispose()
    else:
        Path(db_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "p" * 40})
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        t = time.perf_counter()
        import_units(files["units"])
        dataset.import_responses(files["responses"], files["questionnaire"], baselines={"2025": "2024"})
        print(f"imported in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        reporting.publish_wave("2024")
        reporting.publish_wave("2025")
        print(f"published 2024 and 2025 (as at close) in {time.perf_counter() - t:.1f} s")
        db.session.add(User(email="hr@bench.example", role="hr", password_hash="x"))
        db.session.commit()
        return app, _large_pages(reporting.wave_report("2025").report)


def _large_pages(report: dict[str, Any]) -> list[tuple[str, str]]:
    units: list[dict[str, Any]] = report["units"]
    parents = {u.get("parent_id") for u in units}
    # a department: the published unit nearest the root (the largest of its level)
    dept = min((u for u in units if u.get("parent_id") is not None and u.get("published")),
               key=lambda u: (u["depth"], -(u.get("respondents") or 0)))
    leaf = next(u["unit_id"] for u in units if u["unit_id"] not in parents and u.get("published"))
    print(f"wave 2025: {len(units)} units, {len(report['scores'])} score rows, "
          f"{len(report.get('exposures') or [])} exposure rows")
    return [
        ("overview", "/rapporter/?wave=2025"),
        ("changes", "/rapporter/aendringer?wave=2025"),
        ("harassment", "/rapporter/kraenkelser?wave=2025"),
        (f"unit {dept['unit_id']} (level {dept['depth']})", f"/rapporter/enhed/{dept['unit_id']}?wave=2025"),
        (f"unit {leaf} (a team)", f"/rapporter/enhed/{leaf}?wave=2025"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", default=None,
                    help="SQLite file (demo, large) or PostgreSQL URL (large); "
                         "default /tmp/trivsel-bench-ORG.sqlite")
    ap.add_argument("--org", choices=("demo", "large"), default="demo")
    ap.add_argument("--respondents", type=int, default=50_000, help="per wave (--org large)")
    ap.add_argument("--units", type=int, default=1_500, help="--org large")
    ap.add_argument("--reuse", action="store_true",
                    help="--org large: use the database --db of an earlier run as it is")
    args = ap.parse_args()

    from flask_login.utils import _create_identifier

    from survey.models import User

    t0 = time.perf_counter()
    db = args.db or f"/tmp/trivsel-bench-{args.org}.sqlite"
    pages: list[tuple[str, str]] | tuple[tuple[str, str], ...]
    if args.org == "demo":
        from survey.demo import build_demo

        app, _setup = build_demo(db, progress=False)
        pages = PAGES
        print(f"demo built in {time.perf_counter() - t0:.1f} s ({db})")
    else:
        url = db if "://" in db else f"sqlite:///{db}"
        app, pages = large_org(url, args.respondents, args.units, args.reuse)  # type: ignore[assignment]
        print(f"large organisation ready in {time.perf_counter() - t0:.1f} s ({url})")
    with app.app_context():
        hr = User.query.filter_by(role="hr").first()
        assert hr is not None, "the demo has no HR user"
        hr_id, epoch = hr.id, hr.session_epoch
    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        ident = _create_identifier()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["_id"], sess["lang"] = str(hr_id), True, ident, "da"
        sess["_epoch"] = epoch  # survey.auth.EPOCH_KEY

    print(f"{'page':<26} {'status':>6} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'KiB':>8}")
    worst = 0.0
    for name, url in pages:
        times = []
        status, size = 0, 0
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            status, size = r.status_code, len(r.get_data())
        if status != 200:
            print(f"{name}: {url} answered {status}; expected 200", file=sys.stderr)
            return 1
        first, rest = times[0], times[1:]
        worst = max(worst, max(rest))
        print(f"{name:<26} {status:>6} {first:>9.0f} {statistics.median(rest):>10.0f} {max(rest):>8.0f} "
              f"{size / 1024:>8.0f}")
    print(f"slowest repeated request: {worst:.0f} ms (target: at most 1000 ms) -> "
          f"{'PASS' if worst <= 1000 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
