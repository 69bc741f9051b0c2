"""Excel workbook of a report (contract 2.3 report dict) that HR can filter.

Sheets: Overview, Themes, Items, Changes, Spread, Exposures, Funding, Settings. Every sheet has a frozen,
filterable header row and number formats (2 decimals for means, % for shares). A unit that is hidden
(suppressed) appears in every sheet where its rows would be, with the reason in the ``status`` column
(``"hidden: fewer than 5 answers"``), never as an unexplained gap. ``lang`` (``en`` default, ``da``) sets the
language of sheet names, headers, statuses, titles and labels; the plain-language sentences are given in
Danish and English in both.

The workbook is streamed by :mod:`analysis.xlsxfile` (a plain XLSX writer: openpyxl's write-only mode
took a minute for the 6 million cells of a 1,500-unit report) to a temporary file beside ``path`` and
renamed into place, so ``path`` is either the complete workbook or untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from questionnaires import Questionnaire

from . import texts
from .xlsxfile import Book, Indented

F_MEAN = "0.00"
F_SHARE = "0.0%"
F_P = "0.0000"
F_INT = "0"


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 12
    fmt: str | None = None


#: sheet names and column headers of a Danish workbook
DA: dict[str, str] = {
    "Overview": "Overblik", "Themes": "Temaer", "Items": "Spørgsmål", "Changes": "Ændringer",
    "Spread": "Spredning", "Exposures": "Krænkelser", "Funding": "Puljemidler", "Settings": "Indstillinger",
    "unit_id": "enheds-id", "unit": "enhed", "theme_id": "tema-id", "theme": "tema", "status": "status",
    "item_id": "spørgsmåls-id", "item": "spørgsmål", "reverse": "vendt", "depth": "niveau",
    "parent_id": "overordnet enhed", "headcount": "ansatte", "respondents": "besvarelser",
    "response rate": "svarprocent", "published": "vist", "n": "n", "mean": "gennemsnit", "sd": "sd",
    "ci low": "95 % ki, fra", "ci high": "95 % ki, til", "unfavourable share": "andel ugunstige (1–3)",
    "flag": "flag", "flag certain": "klart under grænsen", "polarisation bp": "polarisering (bp)",
    "agreement A": "enighed (A)", "polarisation level": "polarisering", "baseline n": "n sidst",
    "baseline mean": "gennemsnit sidst", "change (delta)": "ændring", "change ci low": "ændring, 95 % ki fra",
    "change ci high": "ændring, 95 % ki til", "p": "p", "q (BH)": "q (korrigeret)",
    "change class": "ændringstype", "critical difference": "kritisk forskel", "meaningful": "mindst 0,2",
    "sentence (en)": "forklaring (engelsk)", "sentence (da)": "forklaring (dansk)", "family": "række",
    "id": "id", "title": "titel", "verdict": "vurdering", "kind": "type",
    "unfavourable share (1-3)": "andel ugunstige (1–3)", "exposed": "udsatte", "share": "andel",
    "internal": "indefra", "internal share": "andel indefra", "external": "udefra",
    "external share": "andel udefra", "external unresolved": "udefra, ikke håndteret",
    "external unresolved share": "andel udefra, ikke håndteret", "told no one": "fortalt til ingen",
    "told no one share": "andel fortalt til ingen", "C1 low score": "K1 lav score",
    "C2 internal": "K2 indefra",
    "C3 external unresolved": "K3 udefra, ikke håndteret", "C4 polarised": "K4 polariseret",
    "points": "point", "eligible": "kan søge", "evidence": "begrundelse", "setting": "indstilling",
    "value": "værdi", "shown": "vist", "significant": "signifikant",
    "looks large but within noise": "ser stor ud, men inden for tilfældig variation",
    "no funding row in the report": "ingen række om puljemidler i rapporten",
    "questionnaire": "spørgeskema", "questionnaire version": "spørgeskemaets version",
    "questionnaire title": "spørgeskemaets titel", "wave": "måling", "baseline": "sammenlignet med",
    "schema": "format", "significance (in words)": "signifikans (i ord)",
    "bullying": "mobning", "sexual_harassment": "seksuel chikane", "threats": "trusler",
    "violence": "fysisk vold",
}
for _k in range(1, 8):
    DA[f"share {_k}"] = f"andel {_k}"


def word(text: str, lang: str) -> str:
    """``text`` (an English header, sheet name or label of this module) in ``lang``."""
    return DA.get(text, text) if texts.check_lang(lang) == "da" else text


def _sheet(
    wb: Book, title: str, cols: Sequence[Col], rows: Iterable[Sequence[Any]], lang: str = "en"
) -> None:
    """A sheet with a bold shaded, frozen, filterable header row and a number format per column."""
    ws = wb.sheet(word(title, lang), [c.width for c in cols], [c.fmt for c in cols])
    ws.header([word(c.header, lang) for c in cols])
    ws.add_rows(rows)


def _ci(ci: Sequence[float] | None) -> tuple[float | None, float | None]:
    if not ci:
        return None, None
    return ci[0], ci[1]


class _Report:
    """The report dict indexed for writing."""

    def __init__(self, report: Mapping[str, Any], questionnaire: Questionnaire, lang: str = "en") -> None:
        texts.check_report(report, questionnaire)
        self.lang = texts.check_lang(lang)
        self.report = report
        self.q = questionnaire
        self.settings: Mapping[str, Any] = report["settings"]
        self.units = texts.tree_order(list(report["units"]))
        self.scores: dict[tuple[str, str, str], Mapping[str, Any]] = {
            (s["unit_id"], s["kind"], s["id"]): s for s in report["scores"]
        }
        self.exposures: dict[tuple[str, str], Mapping[str, Any]] = {
            (e["unit_id"], e["kind"]): e for e in report.get("exposures") or []
        }
        self.funding: dict[str, Mapping[str, Any]] = {f["unit_id"]: f for f in report.get("funding") or []}
        self.sentences = _Sentences(self.settings)
        self.status = {u["unit_id"]: texts.unit_status(u, self.settings, lang) for u in self.units}
        self.row_hidden = texts.hidden(texts.row_hidden_reason(self.settings, lang), lang)
        self.shown = word("shown", lang)
        self.kinds = [e.kind for e in questionnaire.exposures]
        for key in self.exposures:
            if key[1] not in self.kinds:
                self.kinds.append(key[1])

    def rows(self) -> Iterable[tuple[Mapping[str, Any], str, Any, Any, Mapping[str, Any] | None, str]]:
        """(unit, kind, theme, item or None, score row or None, status) in tree x questionnaire order."""
        for u in self.units:
            for theme in self.q.themes:
                yield from self._one(u, "theme", theme, None)
            for theme in self.q.themes:
                for item in theme.items:
                    yield from self._one(u, "item", theme, item)

    def _one(
        self, u: Mapping[str, Any], kind: str, theme: Any, item: Any
    ) -> Iterable[tuple[Mapping[str, Any], str, Any, Any, Mapping[str, Any] | None, str]]:
        id_ = theme.id if item is None else item.id
        row = self.scores.get((u["unit_id"], kind, id_))
        status = self.status[u["unit_id"]]
        if row is None and not status:
            status = self.row_hidden
        yield u, kind, theme, item, row, status or self.shown


def _score_values(row: Mapping[str, Any] | None, lang: str = "en") -> list[Any]:
    if row is None:
        return [None] * 21
    ci_lo, ci_hi = _ci(row.get("ci"))
    pol = row.get("polarisation") or {}
    ch = row.get("change") or {}
    cci_lo, cci_hi = _ci(ch.get("ci"))
    return [
        row.get("n"),
        row.get("mean"),
        row.get("sd"),
        ci_lo,
        ci_hi,
        row.get("unfavourable_share"),
        texts.flag_label(row.get("flag"), None, lang) or None,
        row.get("flag_certain"),
        pol.get("bp"),
        pol.get("agreement"),
        (texts.level_label(pol.get("level"), lang) or None) if lang == "da" else pol.get("level"),
        ch.get("baseline_n"),
        ch.get("baseline_mean"),
        ch.get("delta"),
        cci_lo,
        cci_hi,
        ch.get("p"),
        ch.get("q"),
        (texts.change_arrow(ch) + " " + texts.change_label(ch, lang)).strip() or None,
        ch.get("critical_difference"),
        ch.get("meaningful"),
    ]


_SCORE_COLS = [
    Col("n", 7, F_INT),
    Col("mean", 8, F_MEAN),
    Col("sd", 8, F_MEAN),
    Col("ci low", 8, F_MEAN),
    Col("ci high", 8, F_MEAN),
    Col("unfavourable share", 12, F_SHARE),
    Col("flag", 10),
    Col("flag certain", 9),
    Col("polarisation bp", 11, F_SHARE),
    Col("agreement A", 11, F_MEAN),
    Col("polarisation level", 12),
    Col("baseline n", 9, F_INT),
    Col("baseline mean", 10, F_MEAN),
    Col("change (delta)", 10, F_MEAN),
    Col("change ci low", 10, F_MEAN),
    Col("change ci high", 10, F_MEAN),
    Col("p", 9, F_P),
    Col("q (BH)", 9, F_P),
    Col("change class", 24),
    Col("critical difference", 11, F_MEAN),
    Col("meaningful", 10),
    Col("sentence (en)", 60),
    Col("sentence (da)", 60),
]


def _sentences(row: Mapping[str, Any] | None, settings: Mapping[str, Any] | None = None) -> list[str | None]:
    if row is None or row.get("change") is None:
        return [None, None]
    return [texts.settings_sentence(row["change"], row["n"], lang, settings or {}) for lang in ("en", "da")]


class _Sentences:
    """:func:`_sentences` once per score row (the Themes / Items and Changes sheets both show them)."""

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.done: dict[int, list[str | None]] = {}
        self.settings = settings

    def __call__(self, row: Mapping[str, Any] | None) -> list[str | None]:
        if row is None:
            return [None, None]
        key = id(row)
        found = self.done.get(key)
        if found is None:
            found = self.done[key] = _sentences(row, self.settings)
        return found


def _themes_sheet(wb: Book, r: _Report) -> None:
    cols = [Col("unit_id", 10), Col("unit", 30), Col("theme_id", 12), Col("theme", 28), Col("status", 30)]

    def rows() -> Iterable[list[Any]]:
        for u, kind, theme, _item, row, status in r.rows():
            if kind == "theme":
                head = [u["unit_id"], u["name"], theme.id, theme.title.get(r.lang), status]
                yield head + _score_values(row, r.lang) + r.sentences(row)

    _sheet(wb, "Themes", cols + _SCORE_COLS, rows(), r.lang)


def _items_sheet(wb: Book, r: _Report) -> None:
    cols = [
        Col("unit_id", 10),
        Col("unit", 30),
        Col("theme_id", 12),
        Col("item_id", 9),
        Col("item", 45),
        Col("reverse", 8),
        Col("status", 30),
    ]

    def full() -> Iterable[list[Any]]:
        for u, kind, theme, item, row, status in r.rows():
            if kind == "item":
                text = item.text.get(r.lang)
                head = [u["unit_id"], u["name"], theme.id, item.id, text, item.reverse, status]
                yield head + _score_values(row, r.lang) + r.sentences(row)

    _sheet(wb, "Items", cols + _SCORE_COLS, full(), r.lang)


def _overview_sheet(wb: Book, r: _Report) -> None:
    cols = [
        Col("unit_id", 10),
        Col("unit", 40),
        Col("depth", 6, F_INT),
        Col("parent_id", 10),
        Col("headcount", 10, F_INT),
        Col("respondents", 11, F_INT),
        Col("response rate", 11, F_SHARE),
        Col("published", 10),
        Col("status", 36),
    ]

    def rows() -> Iterable[list[Any]]:
        for u in r.units:
            depth = int(u.get("depth") or 0)
            yield [
                u["unit_id"],
                Indented(u["name"], depth) if depth else u["name"],
                u.get("depth"),
                u.get("parent_id"),
                u.get("headcount"),
                u.get("respondents"),
                u.get("response_rate"),
                bool(u.get("published")),
                r.status[u["unit_id"]] or r.shown,
            ]

    _sheet(wb, "Overview", cols, rows(), r.lang)


def _changes_sheet(wb: Book, r: _Report) -> None:
    cols = [
        Col("family", 8),
        Col("unit_id", 10),
        Col("unit", 30),
        Col("id", 12),
        Col("title", 40),
        Col("baseline n", 9, F_INT),
        Col("n", 7, F_INT),
        Col("baseline mean", 10, F_MEAN),
        Col("mean", 8, F_MEAN),
        Col("change (delta)", 10, F_MEAN),
        Col("change ci low", 10, F_MEAN),
        Col("change ci high", 10, F_MEAN),
        Col("p", 9, F_P),
        Col("q (BH)", 9, F_P),
        Col("critical difference", 11, F_MEAN),
        Col("meaningful", 10),
        Col("change class", 24),
        Col("verdict", 28),
        Col("sentence (en)", 60),
        Col("sentence (da)", 60),
    ]
    order = {u["unit_id"]: i for i, u in enumerate(r.units)}
    names = {u["unit_id"]: u["name"] for u in r.units}
    titles: dict[tuple[str, str], str] = {("theme", t.id): t.title.get(r.lang) for t in r.q.themes}
    titles.update({("item", i.id): i.text.get(r.lang) for i in r.q.items})
    tested = [
        s for s in r.report["scores"] if s.get("change") and s["change"].get("class") in texts.TESTED_CLASSES
    ]
    tested.sort(
        key=lambda s: (
            s["change"].get("q") if s["change"].get("q") is not None else 2.0,
            s["kind"] != "theme",
            order.get(s["unit_id"], 0),
            s["id"],
        )
    )

    def verdict(ch: Mapping[str, Any]) -> str:
        cls = str(ch["class"])
        if cls.startswith("significant"):
            return word("significant", r.lang)
        return texts.change_label(ch, r.lang)

    def rows() -> Iterable[list[Any]]:
        for s in tested:
            ch = s["change"]
            lo, hi = _ci(ch.get("ci"))
            yield [
                s["kind"],
                s["unit_id"],
                names.get(s["unit_id"]),
                s["id"],
                titles.get((s["kind"], s["id"])),
                ch.get("baseline_n"),
                s.get("n"),
                ch.get("baseline_mean"),
                s.get("mean"),
                ch.get("delta"),
                lo,
                hi,
                ch.get("p"),
                ch.get("q"),
                ch.get("critical_difference"),
                ch.get("meaningful"),
                (texts.change_arrow(ch) + " " + texts.change_label(ch, r.lang)).strip(),
                verdict(ch),
                *r.sentences(s),
            ]

    _sheet(wb, "Changes", cols, rows(), r.lang)


def _spread_sheet(wb: Book, r: _Report) -> None:
    cols = [
        Col("unit_id", 10),
        Col("unit", 30),
        Col("kind", 7),
        Col("id", 12),
        Col("title", 40),
        Col("status", 36),
        Col("n", 7, F_INT),
        *[Col(f"share {k}", 8, F_SHARE) for k in range(1, 8)],
        Col("unfavourable share (1-3)", 12, F_SHARE),
        Col("polarisation bp", 11, F_SHARE),
        Col("agreement A", 11, F_MEAN),
        Col("polarisation level", 12),
    ]
    n_dist = r.settings.get("n_min_distribution", 20)

    def rows() -> Iterable[list[Any]]:
        for u, kind, theme, item, row, status in r.rows():
            id_ = theme.id if item is None else item.id
            title = theme.title.get(r.lang) if item is None else item.text.get(r.lang)
            dist = (row or {}).get("distribution")
            if row is not None and dist is None:
                status = (f"fordeling skjult: færre end {n_dist} besvarelser" if r.lang == "da"
                          else f"distribution hidden: fewer than {n_dist} answers")
            # what people answered: a reversed item's analysed shares turned back (answer 1..7)
            shares = (list(reversed(dist)) if item is not None and item.reverse else list(dist)) if dist \
                else [None] * 7
            pol = (row or {}).get("polarisation") or {}
            yield [
                u["unit_id"],
                u["name"],
                kind,
                id_,
                title,
                status,
                (row or {}).get("n"),
                *shares,
                (row or {}).get("unfavourable_share"),
                pol.get("bp"),
                pol.get("agreement"),
                pol.get("level"),
            ]

    _sheet(wb, "Spread", cols, rows(), r.lang)


_EXPOSURE_FIELDS = (
    ("exposed", "share"),
    ("internal", "internal_share"),
    ("external", "external_share"),
    ("external_unresolved", "external_unresolved_share"),
    ("told_no_one", "told_no_one_share"),
)


def _exposures_sheet(wb: Book, r: _Report) -> None:
    cols = [Col("unit_id", 10), Col("unit", 30), Col("kind", 18), Col("status", 36), Col("n", 7, F_INT)]
    for count, share in _EXPOSURE_FIELDS:
        cols += [Col(count.replace("_", " "), 10, F_INT), Col(share.replace("_", " "), 10, F_SHARE)]

    def rows() -> Iterable[list[Any]]:
        for u in r.units:
            status = r.status[u["unit_id"]]
            for kind in r.kinds:
                e = r.exposures.get((u["unit_id"], kind))
                st = status
                if e is None and not st:
                    st = texts.hidden(texts.exposure_hidden_reason(u, r.settings, r.lang), r.lang)
                values: list[Any] = [u["unit_id"], u["name"], word(kind, r.lang), st or r.shown,
                                     (e or {}).get("n")]
                for count, share in _EXPOSURE_FIELDS:
                    values += [(e or {}).get(count), (e or {}).get(share)]
                yield values

    _sheet(wb, "Exposures", cols, rows(), r.lang)


def _funding_sheet(wb: Book, r: _Report) -> None:
    cols = [
        Col("unit_id", 10),
        Col("unit", 30),
        Col("status", 36),
        Col("C1 low score", 12),
        Col("C2 internal", 11),
        Col("C3 external unresolved", 13),
        Col("C4 polarised", 11),
        Col("points", 8, F_INT),
        Col("eligible", 9),
        Col("evidence", 80),
    ]

    def rows() -> Iterable[list[Any]]:
        for u in r.units:
            f = r.funding.get(u["unit_id"])
            missing = "shown" if f is not None else "no funding row in the report"
            status = r.status[u["unit_id"]] or word(missing, r.lang)
            if f is None:
                yield [u["unit_id"], u["name"], status] + [None] * 7
                continue
            yield [
                u["unit_id"],
                u["name"],
                status,
                texts.flag_label(f.get("low_score"), None, r.lang) or None,
                f.get("internal"),
                f.get("external_unresolved"),
                f.get("polarised"),
                f.get("points"),
                f.get("eligible"),
                "; ".join(str(x) for x in f.get("evidence") or []),
            ]

    _sheet(wb, "Funding", cols, rows(), r.lang)


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list | tuple):
        yield prefix, ", ".join(str(x) for x in value)
    else:
        yield prefix, value


def _settings_sheet(wb: Book, r: _Report) -> None:
    rep = r.report
    meta: list[tuple[str, Any]] = [
        ("schema", rep.get("schema")),
        ("questionnaire", rep["questionnaire"].get("id")),
        ("questionnaire version", rep["questionnaire"].get("version")),
        ("questionnaire title", r.q.title.get(r.lang)),
        ("wave", rep.get("wave")),
        ("baseline", rep.get("baseline")),
    ]
    rows = [[word(k, r.lang), v] for k, v in meta] + [[k, v] for k, v in _flatten("", r.settings)]
    sig = rep.get("significance")
    if sig:  # contract 5.6: BH per unit, and how many significant changes chance alone would give
        rows += [[k, v] for k, v in _flatten("significance", sig)]
        rows.append([word("significance (in words)", r.lang), texts.chance_sentence(sig, r.lang)])
    _sheet(wb, "Settings", [Col("setting", 32), Col("value", 40)], rows, r.lang)


def write_xlsx(
    report: Mapping[str, Any], questionnaire: Questionnaire, path: str | Path, lang: str = "en"
) -> None:
    """Write the report as an Excel workbook at ``path`` (complete, or not at all), in ``lang``.

    Raises ``ValueError`` when ``report`` is not a contract 2.3 report of ``questionnaire``; ``path``
    is then left as it was.
    """
    r = _Report(report, questionnaire, lang)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    wb = Book(tmp)
    try:
        _overview_sheet(wb, r)
        _themes_sheet(wb, r)
        _items_sheet(wb, r)
        _changes_sheet(wb, r)
        _spread_sheet(wb, r)
        _exposures_sheet(wb, r)
        _funding_sheet(wb, r)
        _settings_sheet(wb, r)
        wb.save()
        os.replace(tmp, target)
    except BaseException:
        wb.close()
        Path(tmp).unlink(missing_ok=True)
        raise
