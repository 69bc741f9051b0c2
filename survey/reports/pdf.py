"""PDF of the report overview and of a unit report (fpdf2), from the same (scoped, redacted) report dict
as the pages: the same texts (``analysis.texts``), the same hidden rows and reasons, no other numbers.

The cells are built first (:func:`overview_rows`, :func:`unit_rows`) and then drawn, so that tests can
compare what is written with the analysis result. DejaVu Sans (Debian ``fonts-dejavu-core``) carries the
flag symbols and arrows; without it the PDF uses Helvetica and writes the symbols' words only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis import charts, texts

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_SYMBOLS = "●◆▲↑↓↗↘–−‖"


def _label(q: Any, kind: str, id_: str, lang: str) -> str:
    if kind == "theme":
        return str(q.theme(id_).title.get(lang))
    return str(q.item(id_).text.get(lang))


def overview_rows(report: Mapping[str, Any], q: Any, lang: str) -> list[list[str]]:
    """Header + one row per unit (tree order): unit name, then per theme the heatmap cell text
    (flag symbol, mean, change arrow) or the reason it is hidden."""
    rows: list[list[str]] = [[charts.word("unit", lang)] + [str(t.title.get(lang)) for t in q.themes]]
    current: list[str] | None = None
    last = None
    for cell in charts.heatmap_rows(report, q, lang):
        if cell["unit_id"] != last:
            current = ["  " * cell["unit"].count("· ") + cell["unit"].replace("· ", "")]
            rows.append(current)
            last = cell["unit_id"]
        assert current is not None
        current.append(cell["text"] if cell["mean"] is not None else cell["status"])
    return rows


def unit_rows(report: Mapping[str, Any], q: Any, unit_id: str, lang: str) -> list[list[str]]:
    """Header + one row per theme and item of the unit: label, mean, 95 % ci, n, flag, change;
    a hidden row says why. A hidden unit gives the header and one row with the reason."""
    settings = report["settings"]
    unit = next(u for u in report["units"] if u["unit_id"] == unit_id)
    head = ["", "Gennemsnit" if lang == "da" else "Mean", "95 % KI" if lang == "da" else "95 % CI", "n",
            "Flag", "Ændring" if lang == "da" else "Change"]
    status = texts.unit_status(unit, settings, lang)
    if status:
        return [head, [status, "", "", "", "", ""]]
    scores = {(s["kind"], s["id"]): s for s in report["scores"] if s["unit_id"] == unit_id}
    hidden = texts.hidden(texts.row_hidden_reason(settings, lang), lang)
    out = [head]
    for t in q.themes:
        keys = [("theme", t.id)] + [("item", i.id) for i in t.items]
        for kind, id_ in keys:
            label = _label(q, kind, id_, lang)
            label = label if kind == "theme" else "   " + label
            s = scores.get((kind, id_))
            if s is None:
                out.append([label, hidden, "", "", "", ""])
                continue
            ci = s.get("ci")
            ch = s.get("change")
            change = ""
            if ch:
                parts = (texts.change_arrow(ch), texts.change_label(ch, lang))
                change = " ".join(x for x in parts if x)
                if ch.get("delta") is not None:
                    change += f" ({texts.fmt_num(ch['delta'], lang, signed=True)})"
            out.append([
                label,
                texts.fmt_num(s["mean"], lang),
                f"{texts.fmt_num(ci[0], lang)}–{texts.fmt_num(ci[1], lang)}" if ci else "",
                str(s["n"]),
                texts.flag_label(s.get("flag"), s.get("flag_certain"), lang),
                change,
            ])
    return out


def _pdf(title: str, subtitle: str) -> Any:
    from fpdf import FPDF

    class _Doc(FPDF):
        body_font = "Helvetica"

    pdf = _Doc(orientation="landscape", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("Body", "", str(regular))
        pdf.add_font("Body", "B", str(bold))
        pdf.body_font = "Body"
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(pdf.body_font, "B", 14)
    pdf.cell(0, 8, _safe(pdf, title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 9)
    pdf.multi_cell(0, 5, _safe(pdf, subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    return pdf


def _safe(pdf: Any, text: str) -> str:
    """Text the chosen font can draw (Helvetica: Latin-1 only, symbols dropped, minus as hyphen)."""
    if pdf.body_font != "Helvetica":
        return text
    text = text.replace("−", "-").replace("–", "-")
    for ch in _SYMBOLS:
        text = text.replace(ch, "")
    return text.encode("latin-1", "replace").decode("latin-1")


def _table(pdf: Any, rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    pdf.set_font(pdf.body_font, "", 7.5)
    with pdf.table(col_widths=tuple(widths), text_align="LEFT", line_height=4.2,
                   first_row_as_headings=True, repeat_headings=1) as table:
        for r in rows:
            row = table.row()
            for value in r:
                row.cell(_safe(pdf, value))


def exposure_rows(report: Mapping[str, Any], q: Any, lang: str,
                  unit_ids: Sequence[str] | None = None) -> list[list[str]]:
    """Header + one row per unit (tree order) and kind of offensive behaviour: unit, kind, answers, share
    exposed, from inside, from outside, unresolved from outside, told no one; a unit or kind that is not
    published gives its reason instead. Counts below 3 stay "<3" (the report's own values)."""
    from .views import _exposure_title

    settings = report["settings"]
    da = lang == "da"
    head = [charts.word("unit", lang), "Type" if da else "Kind", "Svar (n)" if da else "Answers (n)",
            "Udsatte" if da else "Exposed", "Indefra" if da else "Inside", "Udefra" if da else "Outside",
            "Udefra, uløst" if da else "Outside, unresolved", "Fortalt til ingen" if da else "Told no one"]
    rows = {(e["unit_id"], e["kind"]): e for e in report.get("exposures") or []}
    kinds = [e.kind for e in q.exposures]
    out = [head]
    for u in texts.tree_order(list(report["units"])):
        if unit_ids is not None and u["unit_id"] not in unit_ids:
            continue
        reason = texts.unit_status(u, settings, lang)
        for pos, kind in enumerate(kinds):
            name = u["name"] if pos == 0 else ""
            title = _exposure_title(q, kind, lang)
            e = rows.get((u["unit_id"], kind))
            if e is None:
                why = reason or texts.hidden(texts.exposure_hidden_reason(u, settings, lang), lang)
                out.append([name, title, why, "", "", "", "", ""])
                continue
            exposed = texts.fmt_count(e["exposed"], lang)
            if e.get("share") is not None:
                exposed = f"{texts.fmt_share(e['share'], lang)} ({exposed})"
            counts = [texts.fmt_count(e[k], lang)
                      for k in ("internal", "external", "external_unresolved", "told_no_one")]
            out.append([name, title, texts.fmt_count(e["n"], lang), exposed, *counts])
    return out


_RGB = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, v in charts.FLAG_COLOURS.items()}


def _fit(pdf: Any, text: str, width: float) -> str:
    """``text`` cut at a word boundary (never inside a word) with "…" so that it fits ``width`` mm."""
    text = _safe(pdf, text)
    if pdf.get_string_width(text) <= width:
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        cut = " ".join(words).rstrip(",;:–-") + "…"
        if pdf.get_string_width(cut) <= width:
            return cut
    # one word longer than the column: shrink the font rather than break it
    return text


def _legend(pdf: Any, lang: str) -> None:
    da = lang == "da"
    pdf.set_font(pdf.body_font, "", 8)
    for key in texts.FLAGS:
        word = texts.flag_word(key, lang)
        pdf.set_fill_color(*_RGB[key])
        pdf.cell(6, 5, _safe(pdf, texts.flag_symbol(key)), border=1, align="C", fill=True)
        pdf.cell(16, 5, _safe(pdf, " " + word))
    pdf.set_fill_color(*_RGB["hidden"])
    pdf.cell(6, 5, "–", border=1, align="C", fill=True)
    pdf.cell(22, 5, _safe(pdf, " skjult" if da else " hidden"))
    arrows = ("↑ ↓ reel ændring (signifikant)   ↗ ↘ tegn på ændring eller ser stor ud, men ikke sikker   "
              "‖ delt gruppe" if da else
              "↑ ↓ real change (significant)   ↗ ↘ a sign of change or looks large, but not certain   "
              "‖ split group")
    pdf.cell(0, 5, _safe(pdf, arrows), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _heatmap(pdf: Any, report: Mapping[str, Any], q: Any, lang: str) -> None:
    """Units x themes in colour: each cell filled with its flag colour and showing the flag shape, mean,
    change arrow and ‖ for a split group; theme names written upwards (never broken inside a word)."""
    from .views import overview_grid

    grid = overview_grid(report, q, lang)
    n = len(grid["themes"])
    unit_w, rate_w = 62.0, 11.0
    cell_w = max(8.0, (pdf.w - pdf.l_margin - pdf.r_margin - unit_w - rate_w) / max(n, 1))
    head_h, row_h = 42.0, 5.2

    def header() -> None:
        pdf.set_font(pdf.body_font, "B", 7)
        x0, y0 = pdf.l_margin, pdf.get_y()
        pdf.set_xy(x0, y0 + head_h - 5)
        pdf.cell(unit_w, 5, _safe(pdf, charts.word("unit", lang)))
        pdf.set_font(pdf.body_font, "B", 6.5)
        labels = [_safe(pdf, "Svarprocent" if lang == "da" else "Response rate")] + [
            _fit(pdf, full, head_h - 2) for full, _short in grid["themes"]]
        for pos, label in enumerate(labels):
            x = x0 + unit_w + (0 if pos == 0 else rate_w + (pos - 1) * cell_w)
            w = rate_w if pos == 0 else cell_w
            with pdf.rotation(90, x + w / 2 + 1.2, y0 + head_h - 1):
                pdf.text(x + w / 2 + 1.2, y0 + head_h - 1, label)
        pdf.set_xy(x0, y0 + head_h)

    header()
    for r in grid["units"]:
        if pdf.get_y() + row_h > pdf.h - pdf.b_margin:
            pdf.add_page()
            header()
        depth = int(r["unit"].get("depth") or 0)
        pdf.set_font(pdf.body_font, "B" if depth <= 1 else "", 6.8)
        pdf.set_x(pdf.l_margin)
        pdf.cell(unit_w, row_h, _fit(pdf, "  " * depth + r["unit"]["name"], unit_w - 1), border="B")
        pdf.set_font(pdf.body_font, "", 6.5)
        pdf.cell(rate_w, row_h, _safe(pdf, r["rate"]), border="B", align="R")
        if r["status"]:
            pdf.set_fill_color(*_RGB["hidden"])
            pdf.cell(cell_w * n, row_h, _fit(pdf, r["status"], cell_w * n - 2), border=1, fill=True,
                     new_x="LMARGIN", new_y="NEXT")
            continue
        for c in r["cells"]:
            key = "hidden" if c["hidden"] else c["flag"]
            pdf.set_fill_color(*_RGB[key])
            pdf.set_text_color(*((255, 255, 255) if key == "red" else (0, 0, 0)))
            split = "‖" if c.get("polarised") else ""
            text = "–" if c["hidden"] else f"{c['symbol']}{c['mean']}{c['arrow']}{split}"
            pdf.cell(cell_w, row_h, _safe(pdf, text), border=1, align="C", fill=True)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(row_h)


def _exposures(pdf: Any, rows: list[list[str]], lang: str) -> None:
    if len(rows) <= 1:
        return
    if pdf.get_y() > pdf.h / 2:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(pdf.body_font, "B", 11)
    pdf.cell(0, 7, _safe(pdf, "Krænkende adfærd" if lang == "da" else "Offensive behaviour"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 8)
    pdf.multi_cell(0, 4.5, _safe(pdf, (
        "Udsatte: andel af dem, der svarede. Indefra: fra kolleger, ledere eller medarbejdere. Udefra: fra "
        "borgere eller samarbejdspartnere; uløst: ikke eller kun delvist håndteret. Tal under 3 står som <3."
        if lang == "da" else
        "Exposed: share of those who answered. Inside: from colleagues, managers or staff. Outside: from "
        "citizens or partners; unresolved: not or only partly handled. Counts below 3 read <3.")),
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _table(pdf, rows, [62, 30, 22, 28, 20, 20, 26, 28])


def overview_pdf(report: Mapping[str, Any], q: Any, lang: str) -> bytes:
    """The wave's overview in colour: the units x themes heatmap, then offensive behaviour by unit."""
    title = f"{'Rapport, måling' if lang == 'da' else 'Report, wave'} {report['wave']}"
    base = report.get("baseline")
    parts = ", ".join(str(x.get("title", {}).get(lang, x.get("id")))
                      for x in report.get("questionnaires") or [])
    sub = parts + ". " if parts else ""
    sub += (f"Sammenlignet med {base}." if lang == "da" else f"Compared with {base}.") if base else ""
    pdf = _pdf(title, sub)
    _legend(pdf, lang)
    _heatmap(pdf, report, q, lang)
    _exposures(pdf, exposure_rows(report, q, lang), lang)
    return bytes(pdf.output())


def unit_pdf(report: Mapping[str, Any], q: Any, unit_id: str, lang: str) -> bytes:
    """One unit: every theme and item (flag cell in its colour), then its offensive-behaviour figures."""
    from fpdf.fonts import FontFace

    rows = unit_rows(report, q, unit_id, lang)
    unit = next(u for u in report["units"] if u["unit_id"] == unit_id)
    pdf = _pdf(f"{unit['name']}: {report['wave']}", str(q.title.get(lang)))
    _legend(pdf, lang)
    flags = {}
    for key in texts.FLAGS:
        flags[f"{texts.flag_symbol(key)} {texts.flag_word(key, lang)}"] = key
    pdf.set_font(pdf.body_font, "", 7.5)
    with pdf.table(col_widths=(110, 22, 30, 12, 38, 60), text_align="LEFT", line_height=4.2,
                   first_row_as_headings=True, repeat_headings=1) as table:
        for r in rows:
            row = table.row()
            for pos, value in enumerate(r):
                key = next((k for label, k in flags.items() if pos == 4 and value.startswith(label)), None)
                style = FontFace(fill_color=_RGB[key], color=(255, 255, 255) if key == "red" else None) \
                    if key else None
                row.cell(_safe(pdf, value), style=style)
    _exposures(pdf, exposure_rows(report, q, lang, [unit_id]), lang)
    return bytes(pdf.output())
