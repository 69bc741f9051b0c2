"""Self-contained HTML report (one file that opens offline) of a contract 2.3 report dict.

The file holds, in this order: title, wave and baseline, the settings, the units with participation,
the flag heatmap (units x themes, with change arrows), one section per unit (theme and item tables and
a chart of the theme means), the significance table with the plain-language sentences in Danish and
English, the spread table, exposures and funding.

Charts: the Altair specs from :mod:`analysis.charts` are embedded as JSON and drawn by the vega-embed
bundle of ``vl_convert.javascript_bundle(vl_version=charts.VL_VERSION)``, inlined once in a
``<script>``; nothing is fetched from the network. Every chart has a table alternative next to it
(for screen readers and for reading the exact numbers), and the heatmap also a static SVG fallback
that shows when scripts do not run. Charts inside a unit's section are drawn when it is opened.

Hidden (suppressed) units and rows are listed with their reason, never left out silently.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import vl_convert as vlc

from questionnaires import Questionnaire

from . import charts, texts

_L: dict[str, dict[str, str]] = {
    "wave": {"da": "Måling", "en": "Wave"},
    "baseline": {"da": "Sammenlignet med", "en": "Compared with"},
    "no_baseline": {"da": "ingen sammenligning", "en": "no comparison"},
    "contents": {"da": "Indhold", "en": "Contents"},
    "settings": {"da": "Indstillinger", "en": "Settings"},
    "setting": {"da": "Indstilling", "en": "Setting"},
    "setting_key": {"da": "Navn i indstillingsfilen", "en": "Name in the settings file"},
    "settings_note": {
        "da": "Reglerne rapporten er lavet efter: hvornår tal skjules, hvornår en enhed får et flag, "
              "og hvornår en ændring regnes for reel.",
        "en": "The rules this report was made with: when numbers are hidden, when a unit gets a flag "
              "and when a change counts as real.",
    },
    "scope": {
        "da": "Denne rapport dækker {unit} og enhederne under den ({n} enheder).",
        "en": "This report covers {unit} and the units under it ({n} units).",
    },
    "value": {"da": "Værdi", "en": "Value"},
    "units": {"da": "Enheder og deltagelse", "en": "Units and participation"},
    "unit": {"da": "Enhed", "en": "Unit"},
    "headcount": {"da": "Ansatte", "en": "Headcount"},
    "respondents": {"da": "Besvarelser", "en": "Respondents"},
    "rate": {"da": "Svarprocent", "en": "Response rate"},
    "status": {"da": "Status", "en": "Status"},
    "shown": {"da": "vist", "en": "shown"},
    "heatmap": {"da": "Overblik: temaer pr. enhed", "en": "Overview: themes by unit"},
    "heatmap_note": {
        "da": "Farve og symbol viser flaget (● rød, ◆ orange, ▲ gul); pilene viser ændringen: "
        "↑↓ signifikant, ↗↘ tegn på ændring eller ser stor ud, men ikke sikker, – uændret. "
        "Tabellen under figuren har de samme tal.",
        "en": "Colour and symbol show the flag (● red, ◆ orange, ▲ yellow); arrows show the change: "
        "↑↓ significant, ↗↘ a sign of change or looks large, but not certain, – stable. "
        "The table below the chart has the same figures.",
    },
    "per_unit": {"da": "Resultater pr. enhed", "en": "Results by unit"},
    "themes": {"da": "Temaer", "en": "Themes"},
    "items": {"da": "Spørgsmål", "en": "Questions"},
    "theme": {"da": "Tema", "en": "Theme"},
    "item": {"da": "Spørgsmål", "en": "Question"},
    "mean": {"da": "Gennemsnit", "en": "Mean"},
    "ci": {"da": "95 % ci", "en": "95% ci"},
    "unfav": {"da": "Andel 1–3", "en": "Share 1–3"},
    "flag": {"da": "Flag", "en": "Flag"},
    "polarisation": {"da": "Polarisering", "en": "Polarisation"},
    "change": {"da": "Ændring", "en": "Change"},
    "delta": {"da": "Forskel", "en": "Difference"},
    "changes": {"da": "Signifikans af ændringer", "en": "Significance of changes"},
    "changes_note": {
        "da": "Reelle ændringer (statistisk signifikante) og ændringer, der ikke er signifikante, men er "
        "tegn på ændring eller på mindst {delta} point (de ser store ud, men er ikke sikre), sorteret "
        "efter q "
        "(p justeret efter Benjamini–Hochberg for hver enhed for sig). De øvrige {rest} testede ændringer er "
        "små og ikke signifikante; de står i Excel-filens ark Ændringer.",
        "en": "Real changes (statistically significant) and changes that are not significant but are a sign "
        "of change or at least {delta} points (they look large, but are not certain), sorted by q "
        "(p adjusted by Benjamini–Hochberg within each unit). The other {rest} tested changes are small "
        "and not significant; they are in the Excel workbook's Changes sheet.",
    },
    "sentence": {"da": "Forklaring", "en": "Explanation"},
    "baseline_n": {"da": "n før", "en": "n before"},
    "baseline_mean": {"da": "Gns. før", "en": "Mean before"},
    "crit": {"da": "Kritisk forskel", "en": "Critical difference"},
    "class": {"da": "Vurdering", "en": "Verdict"},
    "sentence_da": {"da": "Forklaring (dansk)", "en": "Explanation (Danish)"},
    "sentence_en": {"da": "Forklaring (engelsk)", "en": "Explanation (English)"},
    "spread": {"da": "Spredning (fordeling af svar 1–7)", "en": "Spread (distribution of answers 1–7)"},
    "spread_note": {
        "da": "Vises for rækker med mindst {n} svar.",
        "en": "Shown for rows with at least {n} answers.",
    },
    "agreement": {"da": "Enighed A", "en": "Agreement A"},
    "exposures": {"da": "Krænkende adfærd", "en": "Offensive behaviour"},
    "kind": {"da": "Type", "en": "Kind"},
    "exposed": {"da": "Udsat", "en": "Exposed"},
    "internal": {"da": "Intern kilde", "en": "Internal source"},
    "external": {"da": "Ekstern kilde", "en": "External source"},
    "external_unresolved": {"da": "Ekstern, ikke løst", "en": "External, unresolved"},
    "told_no_one": {"da": "Fortalt ingen", "en": "Told no one"},
    "funding": {"da": "Midler til opfølgning", "en": "Follow-up funding"},
    "c1": {"da": "K1 lav score", "en": "C1 low score"},
    "c2": {"da": "K2 intern", "en": "C2 internal"},
    "c3": {"da": "K3 ekstern uløst", "en": "C3 external unresolved"},
    "c4": {"da": "K4 polariseret", "en": "C4 polarised"},
    "points": {"da": "Point", "en": "Points"},
    "eligible": {"da": "Berettiget", "en": "Eligible"},
    "evidence": {"da": "Begrundelse", "en": "Evidence"},
    "yes": {"da": "ja", "en": "yes"},
    "no": {"da": "nej", "en": "no"},
    "chart_alt": {
        "da": "Figur; tallene står i tabellen herunder.",
        "en": "Chart; the figures are in the table below.",
    },
    "no_rows": {"da": "Ingen rækker.", "en": "No rows."},
    "no_static_chart": {
        "da": "Figuren tegnes, når siden åbnes i en browser med JavaScript; tabellen herunder har de "
        "samme tal.",
        "en": "The chart is drawn when the page is opened in a browser with JavaScript; the table below has "
        "the same figures.",
    },
}

# The heatmap's static SVG (shown without JavaScript, and while the interactive chart loads) is drawn only
# up to this many units: for 1,500 units it took about 25 s and 10 MB; the table alternative is always there.
SVG_FALLBACK_MAX_UNITS = 300

_INDENT = "\u00a0\u00a0"  # two no-break spaces per tree level

_KIND_WORDS: dict[str, dict[str, str]] = {
    "bullying": {"da": "mobning", "en": "bullying"},
    "sexual_harassment": {"da": "seksuel chikane", "en": "sexual harassment"},
    "threats": {"da": "trusler", "en": "threats"},
    "violence": {"da": "vold", "en": "violence"},
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#111;
line-height:1.4}
header,main,nav{max-width:1200px;margin:0 auto;padding:0 1rem}
h1{margin-top:1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #ccc;padding:.2rem .45rem;vertical-align:top}
th{background:#eef1f5;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.hidden td{color:#444;background:#f3f3f3;font-style:italic}
.flag-red{background:#f4b6b0}.flag-orange{background:#fdd0b1}.flag-yellow{background:#fff1bf}
.scroll{overflow-x:auto}
details{margin:.3rem 0;border:1px solid #ddd;padding:.3rem .6rem}
summary{cursor:pointer;font-weight:600}
figure{margin:.5rem 0}
.note{color:#333;font-size:.9rem}
"""

_JS = """
(function () {
  var specs = JSON.parse(document.getElementById("trivsel-chart-specs").textContent);
  function render(el) {
    if (el.getAttribute("data-rendered") || typeof vegaEmbed !== "function") { return; }
    el.setAttribute("data-rendered", "1");
    var target = document.createElement("div");
    el.appendChild(target);
    vegaEmbed(target, specs[el.getAttribute("data-chart")], {renderer: "svg", actions: false})
      .then(function () {
        var fallback = el.querySelector(".fallback");
        if (fallback) { fallback.remove(); }
      })
      .catch(function () { target.remove(); el.removeAttribute("data-rendered"); });
  }
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    if (!el.closest("details")) { render(el); }
  });
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (d.open) { d.querySelectorAll("[data-chart]").forEach(render); }
    });
  });
})();
"""


def t(key: str, lang: str) -> str:
    return _L[key][lang]


#: settings whose values are shares (0..1), written as percentages
_SHARE_SETTINGS = frozenset({"theme_min_item_share", "flag_unfavourable", "flag_unfavourable_theme",
                             "bp_polarised", "bp_strong", "exposure_share"})

_COLOUR_WORDS: dict[str, dict[str, str]] = {
    "red": {"da": "Rødt flag", "en": "Red flag"},
    "orange": {"da": "Orange flag", "en": "Orange flag"},
    "yellow": {"da": "Gult flag", "en": "Yellow flag"},
}

#: plain words for each setting (contract 2.1); ``{colour}`` is the flag, ``{theme}`` a theme's title
_SETTING_WORDS: dict[str, dict[str, str]] = {
    "alpha": {
        "da": "Signifikansniveau: den risiko for at kalde en ændring reel, selv om den skyldes "
              "tilfældigheder, som accepteres (før korrektionen for mange ændringer testet på én gang)",
        "en": "Significance level: the risk accepted of calling a change real when it is chance (before the "
              "correction for many changes tested at once)",
    },
    "practical_delta": {
        "da": "Mindste ændring på skalaen fra 1 til 7, der regnes for stor",
        "en": "Smallest change on the scale from 1 to 7 that counts as large",
    },
    "theme_min_item_share": {
        "da": "Andel af et temas udsagn, en person mindst skal have svaret på, for at personen tæller "
              "med i temaet",
        "en": "Share of a theme's statements a person must at least have answered to count in the theme",
    },
    "k_min": {
        "da": "Mindste antal besvarelser, før en enheds resultater vises",
        "en": "Fewest answers before a unit's results are shown",
    },
    "k_diff": {
        "da": "Mindste forskel i antal besvarelser mellem en enhed og enhederne under den, så ingen lille "
              "gruppe kan findes ved at trække tal fra hinanden",
        "en": "Smallest difference in answers between a unit and the units under it, so that no small group "
              "can be found by subtracting one figure from another",
    },
    "n_min_bands": {
        "da": "Mindste antal besvarelser, før andelen af negative svar og splittede grupper vises",
        "en": "Fewest answers before the share of unfavourable answers and split groups are shown",
    },
    "n_min_distribution": {
        "da": "Mindste antal besvarelser, før fordelingen af svarene (hvor mange svarede 1 til 7) vises",
        "en": "Fewest answers before the spread of answers (how many answered 1 to 7) is shown",
    },
    "n_min_exposure": {
        "da": "Mindste antal besvarelser, før tallene om krænkende adfærd vises",
        "en": "Fewest answers before the figures on offensive behaviour are shown",
    },
    "flag_mean": {
        "da": "{colour}, når gennemsnittet er under",
        "en": "{colour} when the mean is below",
    },
    "flag_unfavourable": {
        "da": "{colour}, når andelen af svar 1–3 er mindst",
        "en": "{colour} when the share of answers 1–3 is at least",
    },
    "flag_mean_theme": {
        "da": "{theme}: {colour_lower}, når gennemsnittet er under",
        "en": "{theme}: {colour_lower} when the mean is below",
    },
    "flag_unfavourable_theme": {
        "da": "{theme}: {colour_lower}, når andelen af svar 1–3 er mindst",
        "en": "{theme}: {colour_lower} when the share of answers 1–3 is at least",
    },
    "bp_polarised": {
        "da": "Splittet gruppe, når både andelen af svar 1–2 og andelen af svar 6–7 er mindst",
        "en": "Split group when both the share of answers 1–2 and the share of answers 6–7 are at least",
    },
    "bp_strong": {
        "da": "Stærkt splittet gruppe, når begge de andele er mindst",
        "en": "Strongly split group when both those shares are at least",
    },
    "exposure_share": {
        "da": "Støtte på grund af krænkelser: andelen af udsatte skal mindst være",
        "en": "Funding for offensive behaviour: the share of people exposed must be at least",
    },
    "exposure_count": {
        "da": "… og antallet af udsatte skal mindst være",
        "en": "… and the number of people exposed must be at least",
    },
    "protect_exposure_cells": {
        "da": "Tallene om krænkende adfærd beskyttes også på tværs af enhederne og inden for hver række",
        "en": "The offensive-behaviour counts are also protected across units and within each row",
    },
}

_POINT_WORDS: dict[str, dict[str, str]] = {
    "red": {"da": "rødt flag", "en": "a red flag"},
    "orange": {"da": "orange flag", "en": "an orange flag"},
    "yellow": {"da": "gult flag", "en": "a yellow flag"},
    "internal": {"da": "krænkelser fra kolleger eller ledere", "en": "offensive behaviour from inside"},
    "external_unresolved": {"da": "krænkelser udefra, der ikke er blevet håndteret",
                            "en": "offensive behaviour from outside that was not handled"},
    "polarised": {"da": "en splittet gruppe", "en": "a split group"},
}


def setting_words(key: str, lang: str, theme_titles: Mapping[str, str] | None = None) -> str:
    """A settings key (``k_min``, ``flag_mean.red``, ``flag_mean_theme.ledelse.red``, ``points.red``)
    in plain words in ``lang``; an unknown key is given as it is."""
    texts.check_lang(lang)
    parts = key.split(".")
    top = parts[0]
    if top == "points" and len(parts) == 2 and parts[1] in _POINT_WORDS:
        label = "Point til støtte for" if lang == "da" else "Funding points for"
        return f"{label} {_POINT_WORDS[parts[1]][lang]}"
    words = _SETTING_WORDS.get(top)
    if words is None:
        return key
    colour = _COLOUR_WORDS.get(parts[-1], {}).get(lang, parts[-1]) if len(parts) > 1 else ""
    theme = (theme_titles or {}).get(parts[1], parts[1]) if len(parts) == 3 else ""
    return words[lang].format(colour=colour, colour_lower=colour.lower(), theme=theme)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


@lru_cache(maxsize=2)
def _bundle(vl_version: str) -> str:
    """The vega-embed bundle (vega, vega-lite, vega-embed), safe to place inside ``<script>``."""
    # without a snippet the default one sets window.vegaEmbed (the stub marks snippet as required)
    js = vlc.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element early."""
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _table(
    caption: str,
    header: Sequence[str],
    rows: Iterable[str],
    table_id: str | None = None,
) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join(rows)
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _td(value: Any, field: str | None = None, num: bool = False, cls: str = "") -> str:
    """One cell. ``field`` names the column for the reader of the code only: a cell carries no attribute
    beyond its class (the 1,500-unit report has millions of cells; the column header says what it is)."""
    classes = " ".join(c for c in ("num" if num else "", cls) if c)
    attrs = f' class="{classes}"' if classes else ""
    return f"<td{attrs}>{_e(value)}</td>"


class _Writer:
    def __init__(self, report: Mapping[str, Any], questionnaire: Questionnaire, lang: str) -> None:
        texts.check_report(report, questionnaire)
        self.r = report
        self.q = questionnaire
        self.lang = texts.check_lang(lang)
        self.settings: Mapping[str, Any] = report["settings"]
        self.units = texts.tree_order(list(report["units"]))
        self.status = {u["unit_id"]: texts.unit_status(u, self.settings, lang) for u in self.units}
        self.scores = {(s["unit_id"], s["kind"], s["id"]): s for s in report["scores"]}
        self.exposures = {(e["unit_id"], e["kind"]): e for e in report.get("exposures") or []}
        self.funding = {f["unit_id"]: f for f in report.get("funding") or []}
        self.titles: dict[tuple[str, str], str] = {
            ("theme", th.id): th.title.get(lang) for th in questionnaire.themes
        }
        self.titles.update({("item", i.id): i.text.get(lang) for i in questionnaire.items})
        self.specs: dict[str, Any] = {}
        self._unit_chart_validated = False
        self.kinds = [e.kind for e in questionnaire.exposures]
        for _, kind in self.exposures:
            if kind not in self.kinds:
                self.kinds.append(kind)

    # -- helpers -----------------------------------------------------------------------------
    def num(self, value: Any, decimals: int = 2, signed: bool = False) -> str:
        return texts.fmt_num(value, self.lang, decimals, signed)

    def share(self, value: Any) -> str:
        return texts.fmt_share(value, self.lang)

    def yes_no(self, value: Any) -> str:
        if value is None:
            return ""
        return t("yes" if value else "no", self.lang)

    def ci(self, ci: Sequence[float] | None) -> str:
        if not ci:
            return ""
        return f"{self.num(ci[0])} – {self.num(ci[1])}"

    def unit_name(self, u: Mapping[str, Any]) -> str:
        return _INDENT * int(u.get("depth") or 0) + str(u["name"])

    def hidden_row(self, cells_before: Sequence[str], reason: str, span: int, attrs: str = "") -> str:
        return (
            f'<tr class="hidden"{attrs}>'
            + "".join(cells_before)
            + f'<td colspan="{span}" data-field="status">{_e(reason)}</td></tr>'
        )

    # -- sections ------------------------------------------------------------------------------
    def header(self) -> str:
        lang = self.lang
        base = self.r.get("baseline")
        return (
            f"<header><h1>{_e(self.q.title.get(lang))}</h1>"
            f'<p><strong>{t("wave", lang)}:</strong> <span id="wave">{_e(self.r["wave"])}</span> · '
            f"<strong>{t('baseline', lang)}:</strong> "
            f'<span id="baseline">{_e(base) if base is not None else t("no_baseline", lang)}</span> · '
            f"{_e(self.q.id)} v{_e(self.r['questionnaire'].get('version'))}</p>{self.scope_line()}</header>"
        )

    def scope_line(self) -> str:
        """For the report of one part of the organisation (:func:`subtree_report`): which part."""
        scope = self.r.get("scope")
        if not scope:
            return ""
        root = next((u for u in self.units if u["unit_id"] == scope["unit_id"]), None)
        name = root["name"] if root is not None else scope["unit_id"]
        text = t("scope", self.lang).format(unit=name, n=texts.fmt_num(len(self.units), self.lang, 0))
        return f'<p id="scope">{_e(text)}</p>'

    def nav(self) -> str:
        lang = self.lang
        entries = [
            ("units", "units"),
            ("heatmap", "heatmap"),
            ("per-unit", "per_unit"),
            ("changes", "changes"),
            ("spread", "spread"),
            ("exposures", "exposures"),
            ("funding", "funding"),
            ("settings", "settings"),
        ]
        links = "".join(f'<li><a href="#{a}">{_e(t(k, lang))}</a></li>' for a, k in entries)
        return f'<nav aria-label="{_e(t("contents", lang))}"><ul>{links}</ul></nav>'

    def settings_section(self) -> str:
        """The settings the report was made with, each in plain words with its value in the report's
        language; the settings file's own key is in the last column for whoever edits that file."""
        lang = self.lang
        theme_titles = {th.id: str(th.title.get(lang)) for th in self.q.themes}
        rows = []
        for key, value in _flatten("", self.settings):
            words = setting_words(key, lang, theme_titles)
            rows.append(
                f'<tr><th scope="row">{_e(words)}</th>'
                + _td(self.setting_value(key, value), key, num=True)
                + f"<td><code>{_e(key)}</code></td></tr>"
            )
        table = _table(t("settings", lang), [t("setting", lang), t("value", lang), t("setting_key", lang)],
                       rows, "settings-table")
        note = f'<p class="note">{_e(t("settings_note", lang))}</p>'
        return f'<section id="settings"><h2>{_e(t("settings", lang))}</h2>{note}{table}</section>'

    def setting_value(self, key: str, value: Any) -> str:
        if isinstance(value, bool):
            return self.yes_no(value)
        if not isinstance(value, (int, float)):
            return "" if value is None else str(value)
        if key.split(".", 1)[0] in _SHARE_SETTINGS:
            return texts.fmt_share(value, self.lang)
        if isinstance(value, int):
            return texts.fmt_num(value, self.lang, 0)
        text = texts.fmt_num(value, self.lang, 3)  # 0,050 -> 0,05; 4,000 -> 4
        sep = "," if self.lang == "da" else "."
        if len(text) > 4 and text[-4] == sep:
            text = text.rstrip("0").rstrip(sep)
        return text

    def units_section(self) -> str:
        lang = self.lang
        rows = []
        for u in self.units:
            status = self.status[u["unit_id"]] or t("shown", lang)
            rows.append(
                f'<tr data-unit="{_e(u["unit_id"])}"><th scope="row">{_e(self.unit_name(u))}</th>'
                + _td(u.get("headcount"), "headcount", True)
                + _td(u.get("respondents"), "respondents", True)
                + _td(self.share(u.get("response_rate")), "response_rate", True)
                + _td(status, "status")
                + "</tr>"
            )
        header = [
            t("unit", lang),
            t("headcount", lang),
            t("respondents", lang),
            t("rate", lang),
            t("status", lang),
        ]
        table = _table(t("units", lang), header, rows, "units-table")
        return f'<section id="units"><h2>{_e(t("units", lang))}</h2>{table}</section>'

    def heatmap_section(self) -> str:
        lang = self.lang
        chart = charts.heatmap(self.r, self.q, lang)
        spec = charts.spec(chart, lang)
        self.specs["heatmap"] = spec
        if len(self.units) <= SVG_FALLBACK_MAX_UNITS:
            svg = vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION)
        else:  # a static picture of thousands of rows costs half a minute and helps nobody
            svg = f'<p class="note">{_e(t("no_static_chart", lang))}</p>'
        figure = (
            f'<figure><div data-chart="heatmap" role="img" aria-label="{_e(t("heatmap", lang))}. '
            f'{_e(t("chart_alt", lang))}"><div class="fallback">{svg}</div></div>'
            f'<figcaption class="note">{_e(t("heatmap_note", lang))}</figcaption></figure>'
        )
        rows_by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in charts.heatmap_rows(self.r, self.q, lang):
            rows_by_unit.setdefault(row["unit_id"], []).append(row)
        trs = []
        for u in self.units:
            cells = []
            for row in rows_by_unit.get(u["unit_id"], []):
                if row["mean"] is None:
                    cells.append(_td(row["status"], f"{row['theme_id']}", cls="hidden-cell"))
                else:
                    flag = self.scores[(u["unit_id"], "theme", row["theme_id"])].get("flag")
                    text = f"{row['text']} ({row['status']})" if flag else row["text"]
                    if row["change"]:
                        text += f"; {row['change']}"
                    cells.append(_td(text, row["theme_id"], cls=f"flag-{flag}" if flag else ""))
            trs.append(
                f'<tr data-unit="{_e(u["unit_id"])}"><th scope="row">{_e(self.unit_name(u))}</th>'
                + "".join(cells)
                + "</tr>"
            )
        header = [t("unit", lang)] + [th.title.get(lang) for th in self.q.themes]
        table = _table(t("heatmap", lang), header, trs, "heatmap-table")
        return f'<section id="heatmap"><h2>{_e(t("heatmap", lang))}</h2>{figure}{table}</section>'

    def _score_header(self, first: str) -> list[str]:
        lang = self.lang
        head = [first, "n", t("mean", lang), "sd", t("ci", lang), t("unfav", lang), t("flag", lang)]
        head += [t("polarisation", lang), t("change", lang), t("delta", lang), "q"]
        return head

    def _score_cells(self, s: Mapping[str, Any]) -> str:
        lang = self.lang
        ch = s.get("change") or {}
        pol = s.get("polarisation") or {}
        flag = s.get("flag")
        return (
            _td(s.get("n"), "n", True)
            + _td(self.num(s.get("mean")), "mean", True)
            + _td(self.num(s.get("sd")), "sd", True)
            + _td(self.ci(s.get("ci")), "ci", True)
            + _td(self.share(s.get("unfavourable_share")), "unfavourable_share", True)
            + _td(
                texts.flag_label(flag, s.get("flag_certain"), lang),
                "flag",
                cls=f"flag-{flag}" if flag else "",
            )
            + _td(texts.level_label(pol.get("level"), lang), "polarisation")
            + _td((texts.change_arrow(ch) + " " + texts.change_label(ch, lang)).strip(), "class")
            + _td(self.num(ch.get("delta"), signed=True), "delta", True)
            + _td(texts.fmt_q(ch.get("q"), lang), "q", True)
        )

    def unit_sections(self) -> str:
        lang = self.lang
        parts = []
        row_hidden = texts.hidden(texts.row_hidden_reason(self.settings, lang), lang)
        for u in self.units:
            uid = u["unit_id"]
            status = self.status[uid]
            summary = f"{_e(self.unit_name(u).strip())} ({_e(uid)})"
            if status:
                summary += f" — {_e(status)}"
                parts.append(
                    f'<details id="unit-{_e(uid)}" data-unit="{_e(uid)}"><summary>{summary}</summary>'
                    f'<p class="note" data-field="status">{_e(status)}</p></details>'
                )
                continue
            body = []
            for kind, caption in (("theme", t("themes", lang)), ("item", t("items", lang))):
                rows = []
                ids = (
                    [th.id for th in self.q.themes]
                    if kind == "theme"
                    else [i.id for th in self.q.themes for i in th.items]
                )
                for id_ in ids:
                    attrs = f' data-unit="{_e(uid)}" data-kind="{kind}" data-id="{_e(id_)}"'
                    title = f'<th scope="row">{_e(self.titles[(kind, id_)])}</th>'
                    s = self.scores.get((uid, kind, id_))
                    if s is None:
                        rows.append(self.hidden_row([title], row_hidden, 10, attrs))
                    else:
                        rows.append(f"<tr{attrs}>{title}{self._score_cells(s)}</tr>")
                first = t("theme", lang) if kind == "theme" else t("item", lang)
                body.append(_table(f"{caption}: {u['name']}", self._score_header(first), rows))
            if any(self.scores.get((uid, "theme", th.id)) for th in self.q.themes):
                key = f"unit-{uid}"
                theme_rows = {
                    th.id: self.scores[(uid, "theme", th.id)]
                    for th in self.q.themes
                    if (uid, "theme", th.id) in self.scores
                }
                # the unit charts differ only in their data: Altair's schema validation (about 30 ms
                # each) is done for the first and skipped for the rest
                self.specs[key] = charts.unit_themes_chart(self.q, u["name"], theme_rows, lang).to_dict(
                    validate=not self._unit_chart_validated
                )
                self._unit_chart_validated = True
                body.insert(
                    0,
                    f'<figure><div data-chart="{_e(key)}" role="img" aria-label="'
                    f'{_e(t("themes", lang))}: {_e(u["name"])}. {_e(t("chart_alt", lang))}"></div></figure>',
                )
            parts.append(
                f'<details id="unit-{_e(uid)}" data-unit="{_e(uid)}"><summary>{summary}</summary>'
                + "".join(body)
                + "</details>"
            )
        return f'<section id="per-unit"><h2>{_e(t("per_unit", lang))}</h2>{"".join(parts)}</section>'

    def changes_section(self) -> str:
        lang = self.lang
        order = {u["unit_id"]: i for i, u in enumerate(self.units)}
        names = {u["unit_id"]: u["name"] for u in self.units}
        attention = ("significant_improvement", "significant_decline", "inconclusive_change")
        all_tested = [
            s
            for s in self.r["scores"]
            if s.get("change") and s["change"].get("class") in texts.TESTED_CLASSES
        ]
        # what needs attention; the small non-significant rest is counted (the XLSX lists every change)
        tested = [s for s in all_tested
                  if s["change"]["class"] in attention or texts.is_sign_of_change(s["change"])]
        tested.sort(
            key=lambda s: (
                s["change"]["q"] if s["change"].get("q") is not None else 2.0,
                s["kind"] != "theme",
                order.get(s["unit_id"], 0),
                s["id"],
            )
        )
        rows = []
        for s in tested:
            ch = s["change"]
            rows.append(
                f'<tr data-unit="{_e(s["unit_id"])}" data-kind="{_e(s["kind"])}" data-id="{_e(s["id"])}">'
                f'<th scope="row">{_e(names.get(s["unit_id"], s["unit_id"]))}</th>'
                + _td(self.titles[(s["kind"], s["id"])], "title")
                + _td(ch.get("baseline_n"), "baseline_n", True)
                + _td(s.get("n"), "n", True)
                + _td(self.num(ch.get("baseline_mean")), "baseline_mean", True)
                + _td(self.num(s.get("mean")), "mean", True)
                + _td(self.num(ch.get("delta"), signed=True), "delta", True)
                + _td(self.ci(ch.get("ci")), "ci", True)
                + _td(self.num(ch.get("p"), 4), "p", True)
                + _td(texts.fmt_q(ch.get("q"), lang), "q", True)
                + _td(self.num(ch.get("critical_difference")), "critical_difference", True)
                + _td((texts.change_arrow(ch) + " " + texts.change_label(ch, lang)).strip(), "class")
                + f'<td>{_e(texts.settings_sentence(ch, s["n"], lang, self.settings))}</td>'
                + "</tr>"
            )
        header = [t("unit", lang), f"{t('theme', lang)} / {t('item', lang)}", t("baseline_n", lang), "n"]
        header += [t("baseline_mean", lang), t("mean", lang), t("delta", lang), t("ci", lang), "p", "q"]
        header += [t("crit", lang), t("class", lang), t("sentence", lang)]
        note = t("changes_note", lang).format(
            delta=self.num(self.settings.get("practical_delta"), 1), rest=len(all_tested) - len(tested))
        body = (
            _table(t("changes", lang), header, rows, "changes-table")
            if rows
            else f"<p>{t('no_rows', lang)}</p>"
        )
        return (
            f'<section id="changes"><h2>{_e(t("changes", lang))}</h2>'
            f'<p class="note">{_e(note)}</p>'
            f'<p class="note" data-field="expected_by_chance">'
            f'{_e(texts.chance_sentence(self.r.get("significance"), lang))}</p>{body}</section>'
        )

    def spread_section(self) -> str:
        lang = self.lang
        rows = []
        names = {u["unit_id"]: u["name"] for u in self.units}
        for u in self.units:
            for th in self.q.themes:
                for kind, id_ in [("theme", th.id)] + [("item", i.id) for i in th.items]:
                    s = self.scores.get((u["unit_id"], kind, id_))
                    if s is None or s.get("distribution") is None:
                        continue
                    pol = s.get("polarisation") or {}
                    rows.append(
                        f'<tr data-unit="{_e(u["unit_id"])}" data-kind="{kind}" data-id="{_e(id_)}">'
                        f'<th scope="row">{_e(names[u["unit_id"]])}</th>'
                        + _td(self.titles[(kind, id_)], "title")
                        + _td(s["n"], "n", True)
                        + "".join(
                            _td(self.share(x), f"share{k}", True)
                            for k, x in enumerate(s["distribution"], start=1)
                        )
                        + _td(self.share(pol.get("bp")), "bp", True)
                        + _td(self.num(pol.get("agreement")), "agreement", True)
                        + _td(texts.level_label(pol.get("level"), lang), "level")
                        + "</tr>"
                    )
        header = [t("unit", lang), f"{t('theme', lang)} / {t('item', lang)}", "n"]
        header += [str(k) for k in range(1, 8)] + ["bp", t("agreement", lang), t("polarisation", lang)]
        note = t("spread_note", lang).format(n=self.settings.get("n_min_distribution", 20))
        figures = []
        root = self.units[0]["unit_id"] if self.units else None
        for th in self.q.themes:
            s = self.scores.get((root, "theme", th.id)) if root is not None else None
            chart = charts.distribution(s, lang) if s is not None else None
            if chart is None:
                continue
            key = f"dist-{th.id}"
            spec = charts.spec(
                chart.properties(title=f"{th.title.get(lang)} ({self.units[0]['name']})"), lang
            )
            self.specs[key] = spec
            figures.append(
                f'<figure><div data-chart="{_e(key)}" role="img" aria-label="{_e(th.title.get(lang))}. '
                f'{_e(t("chart_alt", lang))}"></div></figure>'
            )
        body = (
            _table(t("spread", lang), header, rows, "spread-table")
            if rows
            else f"<p>{t('no_rows', lang)}</p>"
        )
        return (
            f'<section id="spread"><h2>{_e(t("spread", lang))}</h2><p class="note">{_e(note)}</p>'
            f"{''.join(figures)}{body}</section>"
        )

    def exposures_section(self) -> str:
        lang = self.lang
        rows = []
        fields = ("exposed", "internal", "external", "external_unresolved", "told_no_one")
        shares = (
            "share",
            "internal_share",
            "external_share",
            "external_unresolved_share",
            "told_no_one_share",
        )
        for u in self.units:
            uid = u["unit_id"]
            status = self.status[uid]
            name = f'<th scope="row">{_e(self.unit_name(u))}</th>'
            for kind in self.kinds:
                kind_word = _KIND_WORDS.get(kind, {}).get(lang, kind)
                attrs = f' data-unit="{_e(uid)}" data-kind="{_e(kind)}"'
                e = self.exposures.get((uid, kind))
                if e is None:
                    reason = status or texts.hidden(
                        texts.exposure_hidden_reason(u, self.settings, lang), lang
                    )
                    rows.append(self.hidden_row([name, _td(kind_word, "kind")], reason, 6, attrs))
                    continue
                cells = [name, _td(kind_word, "kind"), _td(e.get("n"), "n", True)]
                for f, sh in zip(fields, shares, strict=True):
                    count = texts.fmt_count(e.get(f), lang)
                    pct = self.share(e.get(sh))
                    cells.append(_td(f"{count} ({pct})" if pct else count, f, True))
                rows.append(f"<tr{attrs}>{''.join(cells)}</tr>")
        header = [t("unit", lang), t("kind", lang), "n"] + [t(f, lang) for f in fields]
        body = (
            _table(t("exposures", lang), header, rows, "exposures-table")
            if rows
            else f"<p>{t('no_rows', lang)}</p>"
        )
        return f'<section id="exposures"><h2>{_e(t("exposures", lang))}</h2>{body}</section>'

    def funding_section(self) -> str:
        lang = self.lang
        rows = []
        for u in self.units:
            uid = u["unit_id"]
            name = f'<th scope="row">{_e(self.unit_name(u))}</th>'
            f = self.funding.get(uid)
            attrs = f' data-unit="{_e(uid)}"'
            if f is None:
                rows.append(self.hidden_row([name], self.status[uid] or t("no_rows", lang), 7, attrs))
                continue
            evidence = "".join(f"<li>{_e(x)}</li>" for x in f.get("evidence") or [])
            rows.append(
                f"<tr{attrs}>{name}"
                + _td(texts.flag_label(f.get("low_score"), None, lang), "low_score")
                + _td(self.yes_no(f.get("internal")), "internal")
                + _td(self.yes_no(f.get("external_unresolved")), "external_unresolved")
                + _td(self.yes_no(f.get("polarised")), "polarised")
                + _td(f.get("points"), "points", True)
                + _td(self.yes_no(f.get("eligible")), "eligible")
                + f'<td data-field="evidence"><ul>{evidence}</ul></td></tr>'
            )
        header = [t("unit", lang), t("c1", lang), t("c2", lang), t("c3", lang), t("c4", lang)]
        header += [t("points", lang), t("eligible", lang), t("evidence", lang)]
        body = _table(t("funding", lang), header, rows, "funding-table")
        return f'<section id="funding"><h2>{_e(t("funding", lang))}</h2>{body}</section>'

    def document(self) -> str:
        lang = self.lang
        main = "".join(
            [
                self.units_section(),
                self.heatmap_section(),
                self.unit_sections(),
                self.changes_section(),
                self.spread_section(),
                self.exposures_section(),
                self.funding_section(),
                self.settings_section(),
            ]
        )
        title = f"{self.q.title.get(lang)} – {self.r['wave']}"
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            f"{self.header()}{self.nav()}<main>{main}</main>"
            '<script type="application/json" id="trivsel-chart-specs">'
            f"{_json_for_script(self.specs)}</script>"
            f'<script id="vega-embed-bundle">{_bundle(charts.VL_VERSION)}</script>'
            f"<script>{_JS}</script></body></html>\n"
        )


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    else:
        yield prefix, value


def render_html(report: Mapping[str, Any], questionnaire: Questionnaire, lang: str = "da") -> str:
    """The complete HTML document as a string (see :func:`write_html`)."""
    return _Writer(report, questionnaire, lang).document()


def subtree_report(report: Mapping[str, Any], unit_id: str, where: str = "the report") -> dict[str, Any]:
    """The report of ``unit_id`` and every unit under it, for an HTML report of one part of the
    organisation (``trivsel analyse --unit``, ``trivsel report html --unit``).

    Nothing is computed: the unit, score, exposure and funding rows are those of ``report`` (a
    publication, already suppressed), so a unit hidden there stays hidden here; the settings and the
    wave-wide significance summary stay as they are. ``scope`` records the root for the page header.
    Raises ``ValueError`` naming the unit (and ``where``, the report's source) when it is not in the
    report.
    """
    from analysis.publish import subtree

    parent = {u["unit_id"]: u.get("parent_id") for u in report["units"]}
    if unit_id not in parent:
        roots = ", ".join([u for u, p in parent.items() if p is None][:5]) or "none"
        raise ValueError(f"no unit '{unit_id}' in {where}; give one of its unit ids "
                         f"(the top of the tree is {roots})")
    keep = subtree(parent, unit_id)
    out = dict(report)
    for key in ("units", "scores", "exposures", "funding"):
        out[key] = [row for row in report.get(key) or [] if row.get("unit_id") in keep]
    out["scope"] = {"unit_id": unit_id, "units": len(out["units"])}
    return out


def write_html(
    report: Mapping[str, Any], questionnaire: Questionnaire, path: str | Path, lang: str = "da"
) -> None:
    """Write the self-contained HTML report at ``path`` (complete, or not at all).

    Raises ``ValueError`` when ``report`` is not a contract 2.3 report of ``questionnaire`` or ``lang``
    is not ``da``/``en``; ``path`` is then left as it was.
    """
    document = render_html(report, questionnaire, lang)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(document)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
