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
    head = ["", "Gennemsnit" if lang == "da" else "Mean", "95 % ci", "n",
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
                parts = (texts.change_arrow(ch), texts.class_label(ch["class"], lang))
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


def overview_pdf(report: Mapping[str, Any], q: Any, lang: str) -> bytes:
    rows = overview_rows(report, q, lang)
    title = f"{q.title.get(lang)}: {report['wave']}"
    base = report.get("baseline")
    sub = (f"Sammenlignet med {base}. " if lang == "da" else f"Compared with {base}. ") if base else ""
    sub += ("Flag: ● rød, ◆ orange, ▲ gul. Ændringer: ↑ ↓ signifikant, ↗ ↘ ser stor ud, men inden for "
            "tilfældig variation, – uændret." if lang == "da" else
            "Flags: ● red, ◆ orange, ▲ yellow. Changes: ↑ ↓ significant, ↗ ↘ looks large but within noise, "
            "– stable.")
    pdf = _pdf(title, sub)
    n = len(rows[0]) - 1
    _table(pdf, rows, [70] + [max(25.0, 200.0 / max(n, 1))] * n)
    return bytes(pdf.output())


def unit_pdf(report: Mapping[str, Any], q: Any, unit_id: str, lang: str) -> bytes:
    rows = unit_rows(report, q, unit_id, lang)
    unit = next(u for u in report["units"] if u["unit_id"] == unit_id)
    pdf = _pdf(f"{unit['name']}: {report['wave']}", str(q.title.get(lang)))
    _table(pdf, rows, [110, 22, 30, 12, 38, 60])
    return bytes(pdf.output())
