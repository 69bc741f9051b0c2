"""Every unspent krone is explained: on the version page, the round page and the memo (XLSX, PDF).

The worked example (tests/data/example/applications.csv; eligible: HOVB 5 points × 30, SVH 5 × 28,
KUM 7 × 18, HIM 2 × 15; HAL and FVE meet no criterion). Hand calculations:

- budget 400,000, no cap: the eligible requests add up to 120,000 + 150,000 + 55,000 + 20,000 = 345,000
  < 400,000, so everyone gets their request and 55,000 is left;
- budget 200,000, cap 50,000: limits 50,000 (HOVB, SVH, KUM: the cap) and 20,000 (HIM: requested) add up
  to 170,000, so 30,000 is left;
- budget 200,000, no cap (expected_allocation.json): all 200,000 allocated, nothing to explain.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from survey.services import funding as svc
from tests.survey.test_funding_support import EXAMPLE, csrf, load_example, make_user, sign_in

APPLICATIONS = (EXAMPLE / "applications.csv").read_text(encoding="utf-8")


@pytest.fixture()
def client_in(app: Any, db: Any, client: Any) -> Any:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    return client


def _run(client: Any, budget: int, cap: int | None) -> tuple[int, Any]:
    rnd = svc.create_round("2025", budget, cap, 1.0)
    svc.import_applications(rnd.id, "applications.csv", APPLICATIONS)
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": csrf(page)})
    assert r.status_code == 302
    return rnd.id, rnd


def _leftover(page: str) -> str:
    m = re.search(r'<section class="leftover" id="leftover"[^>]*>(.*?)</section>', page, re.S)
    assert m, "no leftover section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


def test_requested_amounts_reached_explained_on_pages_and_memo(client_in: Any) -> None:
    client = client_in
    rid, _ = _run(client, 400000, None)
    page = client.get(f"/udvalg/runde/{rid}/version/1").get_data(as_text=True)
    assert '<dd id="unallocated">55.000</dd>' in page
    text = _leftover(page)
    assert "55.000 kr. af budgettet er ikke fordelt." in text
    assert "hele det ansøgte beløb" in text
    # units by name, never by id
    for unit, amount in (("Hovedbiblioteket", "120.000"), ("Svømmehallen", "150.000"),
                         ("Kunstmuseet", "55.000"), ("Historisk Museum", "20.000")):
        assert f"{unit} ({amount} kr.)" in text, (unit, text)
    assert "Idrætshallerne" in text and "Filial Vest" in text and "opfylder intet kriterium" in text
    assert not re.search(r"\b(HOVB|SVH|KUM|HIM|HAL|FVE)\b", text), text
    assert "tage flere ansøgninger med" in text and "fastsatte beløb" in text
    # no cap: raising it is not offered
    assert "hæve den største bevilling" not in text
    round_page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    assert "55.000 kr. af budgettet er ikke fordelt." in _leftover(round_page)

    wb = load_workbook(io.BytesIO(client.get(f"/udvalg/runde/{rid}/version/1/notat.xlsx").data))
    cells = [str(c.value) for row in wb.worksheets[0].iter_rows() for c in row if c.value is not None]
    assert "Hvorfor ikke hele budgettet er fordelt" in cells
    assert "55.000 kr. af budgettet er ikke fordelt." in cells
    pdf = client.get(f"/udvalg/runde/{rid}/version/1/notat.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_cap_reached_explained_and_raising_the_cap_offered_in_english(client_in: Any) -> None:
    client = client_in
    rid, _ = _run(client, 200000, 50000)
    client.get("/sprog/en")
    page = client.get(f"/udvalg/runde/{rid}/version/1").get_data(as_text=True)
    assert '<dd id="unallocated">30,000</dd>' in page
    text = _leftover(page)
    assert "30,000 DKK of the budget is not allocated." in text
    cap_part = text.split("largest grant per unit (50,000 DKK):")[1].split(".")[0]
    assert all(u in cap_part for u in ("Hovedbiblioteket", "Svømmehallen", "Kunstmuseet"))
    assert "Historisk Museum" not in cap_part
    request_part = text.split("full amount they applied for:")[1].split(".")[0]
    assert "Historisk Museum" in request_part and "20,000 DKK" in request_part
    assert "raise the largest grant per unit" in text


def test_nothing_to_explain_when_the_budget_is_spent(client_in: Any) -> None:
    client = client_in
    rid, _ = _run(client, 200000, None)
    page = client.get(f"/udvalg/runde/{rid}/version/1").get_data(as_text=True)
    assert '<dd id="unallocated">0</dd>' in page
    assert 'id="leftover"' not in page
