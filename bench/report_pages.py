"""Server time and size of the report pages on the demo (issue 11: "at most 1 s server time per page").

    .venv/bin/python bench/report_pages.py [--repeat 5] [--db /tmp/trivsel-bench-demo.sqlite]

Builds the demo (SQLite, as ``trivsel demo`` does), signs in as the demo's HR user the way Flask-Login
stores a session, and requests every report page of the closed wave 2025 ``--repeat`` times through the
WSGI app (no network). Prints per page the median and the slowest server time and the HTML size. The first
request of a wave reads its stored publication; it is timed separately ("first"). Run by hand; nothing
here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGES = (
    ("overview", "/rapporter/?wave=2025"),
    ("changes", "/rapporter/aendringer?wave=2025"),
    ("harassment", "/rapporter/kraenkelser?wave=2025"),
    ("unit (a department)", "/rapporter/enhed/AEL?wave=2025"),
    ("unit (a team)", "/rapporter/enhed/AEL-HJE?wave=2025"),
    ("reading guide", "/rapporter/laesevejledning"),
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", default="/tmp/trivsel-bench-demo.sqlite")
    args = ap.parse_args()

    from flask_login.utils import _create_identifier

    from survey.demo import build_demo
    from survey.models import User

    t0 = time.perf_counter()
    app, setup = build_demo(args.db, progress=False)
    print(f"demo built in {time.perf_counter() - t0:.1f} s ({args.db})")
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

    print(f"{'page':<22} {'status':>6} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'KiB':>8}")
    worst = 0.0
    for name, url in PAGES:
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
        print(f"{name:<22} {status:>6} {first:>9.0f} {statistics.median(rest):>10.0f} {max(rest):>8.0f} "
              f"{size / 1024:>8.0f}")
    print(f"slowest repeated request: {worst:.0f} ms (target: at most 1000 ms) -> "
          f"{'PASS' if worst <= 1000 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
