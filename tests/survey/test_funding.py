"""The committee's funding workflow on the worked example (tests/data/example), through the web pages.

Expected amounts: tests/data/example/expected_allocation.json (an independent implementation of the
contract; budget 200,000, applications.csv, the SVH override of 60,000 with its reason).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.survey.test_funding_support import EXAMPLE, csrf, load_example, make_user, sign_in

EXPECTED = json.loads((EXAMPLE / "expected_allocation.json").read_text(encoding="utf-8"))
OVERRIDE_REASON = "Kursus i konfliktnedtrapning for hele personalet (besluttet i MED-udvalget)"


def _da(amount: int) -> str:
    """Danish thousands separator: 71000 -> '71.000'."""
    return f"{amount:,}".replace(",", ".")


@pytest.fixture()
def committee(app: Any, db: Any, client: Any) -> Any:
    load_example()
    user = make_user("udvalg@example.org", "committee")
    sign_in(app, client, user)
    return client


def _create_round(client: Any, budget: int = 200000) -> int:
    page = client.get("/udvalg/").get_data(as_text=True)
    r = client.post(
        "/udvalg/",
        data={
            "csrf_token": csrf(page),
            "wave": "2025",
            "budget": str(budget),
            "cap": "",
            "beta": "1",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def _import(client: Any, rid: int, text: str, name: str = "applications.csv") -> Any:
    page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    return client.post(
        f"/udvalg/runde/{rid}/ansoegninger/import",
        data={"csrf_token": csrf(page), "imp-file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def _override(client: Any, rid: int, unit: str, amount: int, reason: str) -> Any:
    page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    return client.post(
        f"/udvalg/runde/{rid}/overstyringer",
        data={"csrf_token": csrf(page), "ov-unit_id": unit, "ov-amount": str(amount), "ov-reason": reason},
    )


def _run(client: Any, rid: int) -> Any:
    page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    return client.post(f"/udvalg/runde/{rid}/koer", data={"csrf_token": csrf(page)})


def _amounts_on_page(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="grant-([A-Z]+)">.*?<td class="amount">([^<]*)</td>', page, re.S))


def test_worked_example_reproduces_expected_amounts_on_page_and_in_memo(committee: Any) -> None:
    client = committee
    rid = _create_round(client)
    r = _import(client, rid, (EXAMPLE / "applications.csv").read_text(encoding="utf-8"))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _override(client, rid, "SVH", 60000, OVERRIDE_REASON).status_code == 302
    r = _run(client, rid)
    assert r.status_code == 302, re.findall(r"flash-error[^>]*>([^<]*)", r.get_data(as_text=True))
    assert r.headers["Location"].endswith(f"/udvalg/runde/{rid}/version/1")
    page = client.get(f"/udvalg/runde/{rid}/version/1").get_data(as_text=True)
    expected = {g["unit_id"]: g["amount"] for g in EXPECTED["grants"]}
    assert _amounts_on_page(page) == {u: _da(a) for u, a in expected.items()}
    # rate 85,000 / 180 = 472.22 (README of the example); allocated 200,000
    assert '<dd id="rate">472,22</dd>' in page
    assert '<dd id="allocated">200.000</dd>' in page
    # the Danish explanation of the override, with its reason
    assert "fastsat af udvalget til 60.000 kr." in page and OVERRIDE_REASON in page

    memo = client.get(f"/udvalg/runde/{rid}/version/1/notat.xlsx")
    assert memo.status_code == 200
    wb = load_workbook(io.BytesIO(memo.data))
    ws = wb.worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "Ansøgning")
    got = {row[1]: row[6] for row in rows[header + 1 :] if row[1]}
    assert got == expected
    summary = {row[0]: row[1] for row in rows[1:header] if row[0]}
    assert summary["Budget (kr.)"] == "200.000"
    overrides = [[c.value for c in row] for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert overrides == [["SVH", 60000, OVERRIDE_REASON]]

    pdf = client.get(f"/udvalg/runde/{rid}/version/1/notat.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_memo_and_page_in_english_use_the_english_explanation(committee: Any) -> None:
    client = committee
    rid = _create_round(client)
    _import(client, rid, (EXAMPLE / "applications.csv").read_text(encoding="utf-8"))
    _override(client, rid, "SVH", 60000, OVERRIDE_REASON)
    _run(client, rid)
    client.get("/sprog/en")
    page = client.get(f"/udvalg/runde/{rid}/version/1").get_data(as_text=True)
    expected = {g["unit_id"]: g["amount"] for g in EXPECTED["grants"]}
    assert _amounts_on_page(page) == {u: f"{a:,}" for u, a in expected.items()}
    assert '<dd id="rate">472.22</dd>' in page
    assert "override 60,000 DKK" in page and "fastsat af udvalget" not in page
    wb = load_workbook(io.BytesIO(client.get(f"/udvalg/runde/{rid}/version/1/notat.xlsx").data))
    rows = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "Application")
    explanations = {row[1]: row[7] for row in rows[header + 1 :] if row[1]}
    assert explanations["FVE"].startswith("not eligible")
    assert {row[1]: row[6] for row in rows[header + 1 :] if row[1]} == expected
