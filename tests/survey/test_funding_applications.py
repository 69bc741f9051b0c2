"""Applications as Vejle has them: requested amount, themes the follow-up addresses, the MED area.

The worked example's six applications with areas and themes (hand-made below); budget 200,000, no cap,
no override: HOVB, SVH, KUM and HIM are eligible and funded, HAL and FVE meet no criterion (0 DKK).
By hand: FagMED Museer (KUM, HIM) 2 applications, all funded; FagMED Kultur (HOVB, FVE) 2, 1 funded;
FagMED Idræt (SVH, HAL) 2, 1 funded. Themes among the funded: Stress 3 (HOVB, SVH, KUM), Ledelse 2
(HOVB, HIM; "ledelse" is the same theme), Vold og trusler 1; HAL's "Stress" and FVE's "Mobning" are not
funded and not counted.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.csvio import InputError
from survey.models_funding import FundingApplication
from survey.services import funding as svc
from tests.survey.test_funding_support import csrf, load_example, make_user, sign_in

CSV = """application_id;unit_id;requested;themes;med_area
SAG-101;HOVB;120000;"Ledelse; Stress";FagMED Kultur
SAG-102;SVH;150000;"Stress, Vold og trusler";FagMED Idræt
SAG-103;KUM;55000;Stress;FagMED Museer
SAG-104;HIM;20000;ledelse;FagMED Museer
SAG-105;HAL;40000;Stress;FagMED Idræt
SAG-106;FVE;25000;Mobning;FagMED Kultur
"""


@pytest.fixture()
def rnd(app: Any, db: Any, client: Any) -> Any:
    load_example()
    sign_in(app, client, make_user("udvalg@example.org", "committee"))
    return svc.create_round("2025", 200000)


def _import(client: Any, rid: int, text: str) -> Any:
    page = client.get(f"/udvalg/runde/{rid}").get_data(as_text=True)
    return client.post(
        f"/udvalg/runde/{rid}/ansoegninger/import",
        data={"csrf_token": csrf(page), "imp-file": (io.BytesIO(text.encode()), "ansoegninger.csv")},
        content_type="multipart/form-data",
    )


def test_import_with_themes_and_area_then_memo_counts_per_area_and_theme(
    client: Any, rnd: Any, db: Any
) -> None:
    assert _import(client, rnd.id, CSV).status_code == 302
    apps = {a.unit_id: a for a in db.session.scalars(sa.select(FundingApplication))}
    assert apps["HOVB"].themes == "Ledelse; Stress" and apps["SVH"].themes == "Stress; Vold og trusler"
    assert apps["KUM"].med_area == "FagMED Museer"
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    assert "FagMED Idræt" in page
    r = client.post(f"/udvalg/runde/{rnd.id}/koer", data={"csrf_token": csrf(page)})
    assert r.status_code == 302
    decision = svc.latest_decision(rnd)
    amount = {g["unit_id"]: g["amount"] for g in decision.result["grants"]}
    assert all(amount[u] > 0 for u in ("HOVB", "SVH", "KUM", "HIM")) and amount["HAL"] == amount["FVE"] == 0

    page = client.get(f"/udvalg/runde/{rnd.id}/version/1").get_data(as_text=True)
    areas = re.findall(r"<li>(.*?)</li>", re.search(r'<ul id="areas">(.*?)</ul>', page, re.S).group(1))
    da = lambda n: f"{n:,}".replace(",", ".")  # noqa: E731
    assert areas == [
        f"FagMED Idræt: 2 ansøgninger, 1 bevilget ({da(amount['SVH'])} kr.).",
        f"FagMED Kultur: 2 ansøgninger, 1 bevilget ({da(amount['HOVB'])} kr.).",
        f"FagMED Museer: 2 ansøgninger, alle bevilget ({da(amount['KUM'] + amount['HIM'])} kr.).",
    ]
    table = re.search(r'<table id="themes">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(\d+)</td>', table)
    assert rows == [("Stress", "3"), ("Ledelse", "2"), ("Vold og trusler", "1")]
    # the chart: server-side SVG, no script, no external request
    figure = re.search(r'<figure class="chart"[^>]*>(.*?)</figure>', page, re.S).group(1)
    assert (
        figure.startswith("<svg")
        and "Vold og trusler" in figure
        and "http://" not in figure.replace("http://www.w3.org", "")
    )

    wb = load_workbook(io.BytesIO(client.get(f"/udvalg/runde/{rnd.id}/version/1/notat.xlsx").data))
    sheet = wb["MED-områder og temaer"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["FagMED Museer", 2, 2, amount["KUM"] + amount["HIM"]] in values
    assert ["Stress", 3] in [v[:2] for v in values] and ["Ledelse", 2] in [v[:2] for v in values]
    pdf = client.get(f"/udvalg/runde/{rnd.id}/version/1/notat.pdf").data
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" in pdf


def test_application_form_takes_themes_and_area(client: Any, rnd: Any, db: Any) -> None:
    page = client.get(f"/udvalg/runde/{rnd.id}").get_data(as_text=True)
    r = client.post(
        f"/udvalg/runde/{rnd.id}/ansoegninger",
        data={
            "csrf_token": csrf(page),
            "app-application_id": "SAG-1",
            "app-unit_id": "KUM",
            "app-requested": "55.000",
            "app-themes": " Stress ;; stress; Ledelse ",
            "app-med_area": "FagMED  Senior",
            "app-description": "",
        },
    )
    assert r.status_code == 302
    app = db.session.scalar(sa.select(FundingApplication))
    assert (app.requested, app.themes, app.med_area) == (55000, "Stress; Ledelse", "FagMED Senior")


def test_too_long_area_in_the_file_is_refused_with_line_and_column(rnd: Any, db: Any) -> None:
    text = "application_id,unit_id,requested,med_area\nSAG-1,KUM,1000," + "x" * 201 + "\n"
    with pytest.raises(InputError) as info:
        svc.import_applications(rnd.id, "a.csv", text)
    assert (info.value.line, info.value.column) == (2, "med_area")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FundingApplication)) == 0
