"""The decision memo of one funding version, as XLSX (openpyxl) and PDF (fpdf2).

Both are rendered from the stored version only (its inputs, the report's funding rows it used and the
``analysis.allocate`` result): budget, rate, each grant with its explanation, the overrides with their
reasons, and who locked the version and when. Labels follow the page's language; the explanation is the
allocation's Danish ``explanation_da`` in Danish and ``explanation`` in English.
"""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _

from survey.forms_numbers import show_number
from survey.i18n import current_language, readable, unit_label
from survey.models_funding import FundingDecision, FundingRound


def _fmt(value: Any, decimals: int = 0) -> str:
    from survey.committee.views import dkk

    return dkk(value, decimals)


def grant_rows(decision: FundingDecision) -> list[dict[str, Any]]:
    """The grants of a version with the unit's name, in the allocation's order."""
    units = decision.funding.get("units", {})
    da = current_language() == "da"
    rows = []
    for g in decision.result["grants"]:
        override = g.get("override")
        rows.append(
            {
                "application_id": g.get("application_id") or "",
                "unit_id": g["unit_id"],
                "name": units.get(g["unit_id"], {}).get("name", g["unit_id"]),
                "requested": g.get("requested"),
                "eligible": g["eligible"],
                "points": g["points"],
                "headcount": g["headcount"],
                "amount": g["amount"],
                "explanation": readable(str((g.get("explanation_da") if da else g.get("explanation")) or "")),
                "override_reason": override["reason"] if override else "",
            }
        )
    return rows


def _summary(rnd: FundingRound, wave: str, decision: FundingDecision) -> list[tuple[str, str]]:
    res, inputs = decision.result, decision.inputs
    locked = (
        _("locked by %(who)s at %(when)s", who=decision.locked_by, when=_when(decision))
        if decision.status == "locked"
        else _("draft, not locked")
    )
    return [
        (_("Wave"), wave),
        (_("Questionnaires"), _questionnaires(rnd)),
        (_("Version"), str(decision.version)),
        (_("Status"), locked),
        (_("Budget (DKK)"), _fmt(res["budget"])),
        (_("Largest grant per unit (DKK)"), _fmt(res["cap"]) if res["cap"] is not None else _("none")),
        (_("Beta"), show_number(inputs.get("beta")) or "–"),
        (_("Rate (DKK per point and employee)"), _fmt(res["rate"], 2)),
        (_("Allocated (DKK)"), _fmt(res["allocated"])),
        (_("Unallocated (DKK)"), _fmt(res["unallocated"])),
        (_("Run by"), f"{decision.run_by} {decision.run_at:%Y-%m-%d %H:%M} UTC"),
    ]


def _questionnaires(rnd: FundingRound) -> str:
    from survey.committee.views import questionnaire_titles

    return questionnaire_titles(rnd)


def _when(decision: FundingDecision) -> str:
    return "" if decision.locked_at is None else f"{decision.locked_at:%Y-%m-%d %H:%M} UTC"


def _headers() -> list[str]:
    return [
        _("Application"),
        _("Unit"),
        _("Name"),
        _("Requested (DKK)"),
        _("Points"),
        _("Employees"),
        _("Amount (DKK)"),
        _("Explanation"),
    ]


def build_xlsx(rnd: FundingRound, wave: str, decision: FundingDecision) -> bytes:
    """The memo as an XLSX workbook: sheet 1 the summary and grants, sheet 2 the overrides."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Decision")[:31]
    ws.append([_("Funding decision")])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in _summary(rnd, wave, decision):
        ws.append([label, value])
    ws.append([])
    ws.append(_headers())
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in grant_rows(decision):
        # amounts as numbers, so the sheet can sum them
        ws.append(
            [
                row["application_id"],
                row["unit_id"],
                row["name"],
                row["requested"],
                row["points"],
                row["headcount"],
                row["amount"],
                row["explanation"],
            ]
        )
    sentences = leftover_sentences(decision)
    if sentences:
        ws.append([])
        ws.append([_("Why not all of the budget is allocated")])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        for sentence in sentences:
            ws.append([sentence])
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["H"].width = 80
    ov = wb.create_sheet(_("Overrides")[:31])
    ov.append([_("Unit"), _("Amount (DKK)"), _("Reason")])
    for cell in ov[1]:
        cell.font = Font(bold=True)
    for o in decision.inputs.get("overrides", []):
        ov.append([o["unit_id"], o["amount"], o["reason"]])
    ov.column_dimensions["C"].width = 80
    areas = wb.create_sheet(_("Co-determination areas and themes")[:31])
    areas.append([_("Co-determination area"), _("Applications"), _("Funded"), _("Granted (DKK)")])
    for cell in areas[1]:
        cell.font = Font(bold=True)
    for r in area_rows(decision):
        areas.append(
            [r["area"] or _("No co-determination area given"), r["applications"], r["funded"], r["granted"]]
        )
    areas.append([])
    areas.append([_("Theme"), _("Funded applications")])
    for cell in areas[areas.max_row]:
        cell.font = Font(bold=True)
    for theme, n in theme_counts(decision):
        areas.append([theme, n])
    areas.column_dimensions["A"].width = 40
    from analysis.xlsxfile import defuse_formulas

    buf = io.BytesIO()
    defuse_formulas(wb).save(buf)
    return buf.getvalue()


_FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def build_pdf(rnd: FundingRound, wave: str, decision: FundingDecision) -> bytes:
    """The memo as a PDF (A4): summary, grants with explanations, overrides with reasons."""
    from pathlib import Path

    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    regular, bold = Path(_FONT_DIR, "DejaVuSans.ttf"), Path(_FONT_DIR, "DejaVuSans-Bold.ttf")
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        family = "DejaVu"

        def text(s: Any) -> str:
            return str(s)
    else:  # core font: Latin-1 only (Danish letters are in it)
        family = "Helvetica"

        def text(s: Any) -> str:
            return str(s).replace("–", "-").replace("−", "-").encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(text(_("Funding decision")))
    pdf.add_page()
    pdf.set_font(family, "B", 15)
    pdf.cell(0, 10, text(_("Funding decision")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for label, value in _summary(rnd, wave, decision):
        pdf.set_font(family, "B", 10)
        pdf.cell(70, 6, text(label))
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 6, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "B", 12)
    pdf.cell(0, 8, text(_("Grants")), new_x="LMARGIN", new_y="NEXT")
    for row in grant_rows(decision):
        pdf.set_font(family, "B", 10)
        head = f"{row['application_id']} {unit_label(row['unit_id'])}: {_fmt(row['amount'])} DKK"
        pdf.multi_cell(0, 6, text(head), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        detail = (
            f"{_('Requested (DKK)')}: {_fmt(row['requested'])}; {_('Points')}: {row['points']}; "
            f"{_('Employees')}: {row['headcount']}"
        )
        pdf.multi_cell(0, 5, text(detail), new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 5, text(row["explanation"]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    areas = area_rows(decision)
    if areas:
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.cell(
            0, 8, text(_("Applications and grants per co-determination area")), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font(family, "", 10)
        for r in areas:
            pdf.multi_cell(0, 6, text(area_sentence(r)), new_x="LMARGIN", new_y="NEXT")
        png = theme_chart_png(decision)
        if png is not None:
            pdf.ln(2)
            pdf.image(io.BytesIO(png), w=150)
            summary = "; ".join(f"{t}: {n}" for t, n in theme_counts(decision))
            pdf.multi_cell(
                0,
                5,
                text(f"{_('Themes of the funded applications')}: {summary}"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    sentences = leftover_sentences(decision)
    if sentences:
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 8, text(_("Why not all of the budget is allocated")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 10)
        for sentence in sentences:
            pdf.multi_cell(0, 6, text(sentence), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "B", 12)
    pdf.cell(0, 8, text(_("Overrides")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    overrides = decision.inputs.get("overrides", [])
    if not overrides:
        pdf.multi_cell(0, 6, text(_("No overrides.")), new_x="LMARGIN", new_y="NEXT")
    for o in overrides:
        line = f"{unit_label(o['unit_id'])}: {_fmt(o['amount'])} DKK – {_('Reason')}: {o['reason']}"
        pdf.multi_cell(0, 6, text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------------
# the unallocated money, explained


def leftover(decision: FundingDecision) -> dict[str, Any] | None:
    """Why part of the budget was not allocated, from the stored result only; None when all of it was.

    ``by_request`` / ``by_cap``: the candidates whose amount reached their limit, split by which limit it
    was (the requested amount, or the committee's cap); ``ineligible``: applications meeting no criterion
    (0 DKK); ``rounding``: the rest is less than 1,000 DKK while someone is below their limit (amounts are
    whole thousands); ``no_weight``: no candidate has a weight above 0 (``rate`` null).
    """
    res = decision.result
    amount = int(res.get("unallocated") or 0)
    if amount <= 0:
        return None
    units = decision.funding.get("units", {})
    cap = res.get("cap")
    by_request, by_cap, ineligible = [], [], []
    for g in res["grants"]:
        who = {
            "unit_id": g["unit_id"],
            "name": units.get(g["unit_id"], {}).get("name", g["unit_id"]),
            "amount": g["amount"],
        }
        if g.get("override"):
            continue
        if not g["eligible"]:
            if g.get("application_id"):
                ineligible.append(who)
            continue
        if g.get("limited"):
            requested = g.get("requested")
            if requested is not None and (cap is None or requested <= cap):
                by_request.append(who)
            else:
                by_cap.append(who)
    open_candidates = [
        g for g in res["grants"] if g["eligible"] and not g.get("override") and not g.get("limited")
    ]
    return {
        "amount": amount,
        "by_request": by_request,
        "by_cap": by_cap,
        "ineligible": ineligible,
        "rounding": bool(open_candidates) and amount < 1000,
        "no_weight": res.get("rate") is None,
        "with_applications": bool(decision.inputs.get("applications")),
        "cap": cap,
    }


def _names(rows: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{unit_label(r['unit_id'])} ({_('%(amount)s DKK', amount=_fmt(r['amount']))})" for r in rows
    )


def leftover_sentences(decision: FundingDecision) -> list[str]:
    """The leftover of :func:`leftover` as sentences in the page's language: why, then what to do."""
    info = leftover(decision)
    if info is None:
        return []
    out = [_("%(amount)s DKK of the budget is not allocated.", amount=_fmt(info["amount"]))]
    if info["no_weight"]:
        out.append(_("No candidate meets a criterion, so there is no one to give the money to."))
    if info["by_request"]:
        out.append(
            _(
                "These candidates received the full amount they applied for: %(units)s.",
                units=_names(info["by_request"]),
            )
        )
    if info["by_cap"]:
        out.append(
            _(
                "These candidates reached the largest grant per unit (%(cap)s DKK): %(units)s.",
                cap=_fmt(info["cap"]),
                units=_names(info["by_cap"]),
            )
        )
    if info["ineligible"]:
        out.append(
            _(
                "These applications meet no criterion and receive 0 DKK: %(units)s.",
                units=", ".join(unit_label(r["unit_id"]) for r in info["ineligible"]),
            )
        )
    if info["rounding"]:
        out.append(
            _(
                "Grants are whole thousands of kroner; the last %(amount)s DKK is less than %(thousand)s DKK "
                "and cannot be placed without going above a limit.",
                amount=_fmt(info["amount"]),
                thousand=_fmt(1000),
            )
        )
    elif info["by_request"] or info["by_cap"]:
        out.append(
            _("Every candidate that meets a criterion has reached its limit, so the rest cannot be placed.")
        )
    todo = []
    if info["by_cap"]:
        todo.append(_("raise the largest grant per unit"))
    if info["with_applications"]:
        todo.append(_("accept more applications"))
    todo.append(_("decide the rest by overrides (with a reason)"))
    todo.append(_("or leave it unspent"))
    out.append(_("The committee can: %(options)s.", options="; ".join(str(t) for t in todo)))
    return out


# ---------------------------------------------------------------------------------------------------
# applications and grants per MED area; themes among the funded applications


def _applications(decision: FundingDecision) -> list[dict[str, Any]]:
    """The version's applications joined with their grants (amount), in the allocation's order."""
    amounts = {
        g.get("application_id"): g["amount"] for g in decision.result["grants"] if g.get("application_id")
    }
    return [
        {**a, "amount": amounts.get(a["application_id"], 0)} for a in decision.inputs.get("applications", [])
    ]


def area_rows(decision: FundingDecision) -> list[dict[str, Any]]:
    """Per MED area (sorted, "no area given" last): applications, funded ones (amount > 0), DKK granted."""
    rows: dict[str, dict[str, Any]] = {}
    for a in _applications(decision):
        area = a.get("med_area") or ""
        row = rows.setdefault(area, {"area": area, "applications": 0, "funded": 0, "granted": 0})
        row["applications"] += 1
        row["funded"] += 1 if a["amount"] > 0 else 0
        row["granted"] += a["amount"]
    return sorted(rows.values(), key=lambda r: (r["area"] == "", r["area"].casefold()))


def area_sentence(row: dict[str, Any]) -> str:
    area = row["area"] or _("No co-determination area given")
    if row["funded"] == row["applications"]:
        return _(
            "%(area)s: %(n)d applications, all funded (%(amount)s DKK).",
            area=area,
            n=row["applications"],
            amount=_fmt(row["granted"]),
        )
    return _(
        "%(area)s: %(n)d applications, %(funded)d funded (%(amount)s DKK).",
        area=area,
        n=row["applications"],
        funded=row["funded"],
        amount=_fmt(row["granted"]),
    )


def theme_counts(decision: FundingDecision) -> list[tuple[str, int]]:
    """How often each theme occurs among the funded applications (amount > 0), most frequent first."""
    from survey.services.funding import split_themes

    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for a in _applications(decision):
        if a["amount"] <= 0:
            continue
        for theme in split_themes(a.get("themes", "")):
            key = theme.casefold()
            names.setdefault(key, theme)
            counts[key] = counts.get(key, 0) + 1
    return sorted(((names[k], n) for k, n in counts.items()), key=lambda t: (-t[1], t[0].casefold()))


def theme_chart_spec(decision: FundingDecision) -> dict[str, Any] | None:
    """A Vega-Lite bar chart (altair) of :func:`theme_counts`; None without themes."""
    import altair as alt

    counts = theme_counts(decision)
    if not counts:
        return None
    data = alt.Data(values=[{"theme": t, "n": n} for t, n in counts])
    order = [t for t, _n in counts]
    chart = (
        alt.Chart(data)
        .mark_bar(color="#1f5f8b")
        .encode(
            y=alt.Y("theme:N", sort=order, title=_("Theme")),
            x=alt.X("n:Q", title=_("Funded applications"), axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["theme:N", "n:Q"],
        )
        .properties(width=420, height=max(60, 24 * len(counts)), title=_("Themes of the funded applications"))
        # no Vega ARIA labels: they are English ("Y-axis titled ... with 6 values"); the page has the table
        .configure(aria=False)
    )
    return dict(chart.to_dict())


def theme_chart_svg(decision: FundingDecision) -> str | None:
    """The theme chart as SVG, rendered on the server (vl-convert, offline)."""
    import vl_convert as vlc

    spec = theme_chart_spec(decision)
    return None if spec is None else str(vlc.vegalite_to_svg(spec))


def theme_chart_png(decision: FundingDecision) -> bytes | None:
    import vl_convert as vlc

    spec = theme_chart_spec(decision)
    return None if spec is None else bytes(vlc.vegalite_to_png(spec, scale=2))
