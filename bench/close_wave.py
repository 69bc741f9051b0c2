"""Closing a wave at size: scramble the marks, rewrite the rows, VACUUM FULL (PostgreSQL) / VACUUM (SQLite),
publish the report. Run by hand:

    .venv/bin/python bench/close_wave.py --responses 5000
    .venv/bin/python bench/close_wave.py --responses 5000 --db postgresql+psycopg://postgres@127.0.0.1:5432/DB

The PostgreSQL database is emptied first (every table dropped and migrated again). Prints the wall time of
``survey.services.waves.close_wave`` and of a reminder (``send_links``, which writes every invitation row).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=5000)
    ap.add_argument("--units", type=int, default=50)
    ap.add_argument("--db", default="")
    args = ap.parse_args()

    import sqlalchemy as sa
    from flask_migrate import upgrade

    import questionnaires
    from survey import MIGRATIONS_DIR, create_app
    from survey.extensions import db
    from survey.models import Response
    from survey.services import invitations, waves
    from survey.services.units import UnitRow, replace_units

    tmp = tempfile.mkdtemp(prefix="trivsel-close-")
    url = args.db or f"sqlite:///{tmp}/close.db"
    if url.startswith("postgresql"):
        eng = sa.create_engine(url)
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        eng.dispose()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "b" * 40, "MAIL_OUTBOX_DIR": f"{tmp}/out"}
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        units = [UnitRow("ORG", None, "Org", 0)] + [
            UnitRow(f"U{i}", "ORG", f"Unit {i}", 30) for i in range(args.units)
        ]
        replace_units(units)
        q = questionnaires.load_file(ROOT / "tests" / "data" / "example" / "questionnaire.yaml")
        waves.create_wave("2025", [q])
        waves.open_wave("2025")
        per_unit = max(1, args.responses // args.units)
        for i in range(args.units):
            invitations.create_links(
                "2025", f"U{i}", per_unit, emails=[f"p{i}-{k}@example.org" for k in range(per_unit)]
            )
        wave_id = waves.get_wave("2025").id
        rng = random.Random(1)
        items = [it.id for it in q.items]
        rows = [
            {
                "wave_id": wave_id,
                "unit_id": f"U{i % args.units}",
                "questionnaire_id": q.id,
                "language": "da",
                "answers": {it: rng.randint(1, 7) for it in items},
            }
            for i in range(args.responses)
        ]
        db.session.execute(sa.insert(Response), rows)
        db.session.commit()

        def compose(address: str, token: str) -> EmailMessage:
            msg = EmailMessage()
            msg["To"], msg["From"], msg["Subject"] = address, "t@example.org", "x"
            msg.set_content("x")
            return msg

        t0 = time.perf_counter()
        sent = invitations.send_links("2025", compose)
        t1 = time.perf_counter()
        waves.close_wave("2025")
        t2 = time.perf_counter()
        dialect = db.engine.dialect.name
        print(f"database: {dialect}; responses {args.responses}, invitations {per_unit * args.units}")
        print(f"reminder (writes every invitation row, {sent} mails to files): {t1 - t0:.2f} s")
        vacuum = "VACUUM FULL" if dialect == "postgresql" else "VACUUM"
        print(f"close (seal, rewrite, {vacuum}, publish): {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
