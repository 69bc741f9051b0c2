"""Altair chart specs of a report (contract 2.3 report dict), in Danish or English.

The specs are plain Vega-Lite: the HTML report renders them with the inlined vega-embed bundle, and
the web app renders the same specs with a locally served bundle (no CDN). Colour is never the only
signal: flags also carry a symbol and a word (``● rød``, ``◆ orange``, ``▲ gul``) in the cells and
the legend, and changes carry arrows (↑↓ significant, ↗↘ inconclusive, – stable). Nominal axes are
sorted explicitly: units in tree order, themes in questionnaire order.

``VL_VERSION`` is the Vega-Lite version of the installed Altair; pass it to
``vl_convert.javascript_bundle(vl_version=VL_VERSION)`` so the bundle matches the specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import altair as alt

from questionnaires import Questionnaire

from . import texts

#: "6.4" for Altair's schema "v6.4.1"
VL_VERSION: str = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

FLAG_COLOURS: dict[str, str] = {
    "red": "#d73027",
    "orange": "#fc8d59",
    "yellow": "#fee08b",
    "none": "#e5f5e0",
    "hidden": "#d9d9d9",
}

_WORDS: dict[str, dict[str, str]] = {
    "unit": {"da": "Enhed", "en": "Unit"},
    "theme": {"da": "Tema", "en": "Theme"},
    "flag": {"da": "Flag", "en": "Flag"},
    "no_flag": {"da": "intet flag", "en": "no flag"},
    "hidden": {"da": "skjult", "en": "hidden"},
    "mean": {"da": "Gennemsnit", "en": "Mean"},
    "ci": {"da": "95 % konfidensinterval", "en": "95% confidence interval"},
    "change": {"da": "Ændring", "en": "Change"},
    "answer": {"da": "Svar", "en": "Answer"},
    "share": {"da": "Andel", "en": "Share"},
    "status": {"da": "Status", "en": "Status"},
    "band": {"da": "Svargruppe", "en": "Answer band"},
    "low": {"da": "ugunstig (1–3)", "en": "unfavourable (1–3)"},
    "mid": {"da": "neutral (4)", "en": "neutral (4)"},
    "high": {"da": "gunstig (5–7)", "en": "favourable (5–7)"},
    "heatmap_title": {"da": "Temaer pr. enhed: flag og ændringer", "en": "Themes by unit: flags and changes"},
    "themes_title": {"da": "Temaer for {unit}", "en": "Themes for {unit}"},
    "dist_title": {"da": "Fordeling af svar", "en": "Distribution of answers"},
}


#: d3-format locales for Vega's numbers: Danish decimal comma and thousands point on axes and tooltips
NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "da": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0kr."]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["DKK\u00a0", ""]},
}


def spec(chart: alt.TopLevelMixin, lang: str) -> dict[str, Any]:
    """The chart's Vega-Lite spec with the number format of ``lang`` (axis labels, tooltips)."""
    out = chart.to_dict()
    config = out.setdefault("config", {})
    config["locale"] = {"number": NUMBER_LOCALES[texts.check_lang(lang)]}
    # Vega's own ARIA labels are English ("X-axis titled ... for a linear scale with values from ..."); each
    # chart has a heading and a table alternative in the page's language, so they are left out
    config["aria"] = False
    return out


def word(key: str, lang: str) -> str:
    return _WORDS[key][texts.check_lang(lang)]


def unit_label(unit: Mapping[str, Any]) -> str:
    """Axis label of a unit, unique and showing the tree: ``"· · Filial Nord (FNO)"``."""
    return f"{'· ' * int(unit.get('depth') or 0)}{unit['name']} ({unit['unit_id']})"


def flag_category(flag: str | None, lang: str) -> str:
    """The legend entry of a flag: symbol and word (``"● rød"``), or ``"intet flag"``."""
    if flag is None:
        return word("no_flag", lang)
    return f"{texts.flag_symbol(flag)} {texts.flag_word(flag, lang)}"


def _flag_scale(lang: str) -> alt.Scale:
    keys = ["red", "orange", "yellow", "none", "hidden"]
    domain = [flag_category(k, lang) for k in texts.FLAGS] + [word("no_flag", lang), word("hidden", lang)]
    return alt.Scale(domain=domain, range=[FLAG_COLOURS[k] for k in keys])


def heatmap_rows(report: Mapping[str, Any], questionnaire: Questionnaire, lang: str) -> list[dict[str, Any]]:
    """One row per unit x theme (tree order x questionnaire order): the heatmap's data, also used
    for its table alternative."""
    texts.check_report(report, questionnaire)
    settings = report["settings"]
    scores = {(s["unit_id"], s["id"]): s for s in report["scores"] if s["kind"] == "theme"}
    rows: list[dict[str, Any]] = []
    for rank, u in enumerate(texts.tree_order(list(report["units"]))):
        status = texts.unit_status(u, settings, lang)
        for t in questionnaire.themes:
            s = scores.get((u["unit_id"], t.id))
            row: dict[str, Any] = {
                "unit_id": u["unit_id"],
                "unit": unit_label(u),
                "unit_rank": rank,
                "theme_id": t.id,
                "theme": t.title.get(lang),
            }
            if s is None:
                reason = status or texts.hidden(texts.row_hidden_reason(settings, lang), lang)
                row.update(
                    flag=word("hidden", lang),
                    text=word("hidden", lang),
                    status=reason,
                    mean=None,
                    n=None,
                    change="",
                )
            else:
                ch = s.get("change")
                arrow = texts.change_arrow(ch)
                symbol = texts.flag_symbol(s.get("flag"))
                cell = " ".join(x for x in (symbol, texts.fmt_num(s["mean"], lang), arrow) if x)
                row.update(
                    flag=flag_category(s.get("flag"), lang),
                    text=cell,
                    status=texts.flag_label(s.get("flag"), s.get("flag_certain"), lang)
                    or word("no_flag", lang),
                    mean=s["mean"],
                    n=s["n"],
                    change=(arrow + " " + texts.change_label(ch, lang)).strip() if ch else "",
                )
            rows.append(row)
    return rows


def heatmap(report: Mapping[str, Any], questionnaire: Questionnaire, lang: str) -> alt.LayerChart:
    """Units (rows, tree order) x themes (columns, questionnaire order), coloured by flag, each cell
    showing flag symbol, mean and change arrow; hidden units and rows are grey and say so.

    Units are sorted by the data field ``unit_rank`` (tree order), not by an explicit list: Vega compiles
    a sort list into one expression, and with 1,500 units that expression overflowed the JavaScript
    stack of the SVG conversion."""
    rows = heatmap_rows(report, questionnaire, lang)
    theme_order = [t.title.get(lang) for t in questionnaire.themes]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X(
            "theme:N",
            sort=theme_order,
            title=word("theme", lang),
            axis=alt.Axis(orient="top", labelLimit=200, labelAngle=-30),
        ),
        y=alt.Y(
            "unit:N",
            sort=alt.EncodingSortField(field="unit_rank", op="min"),
            title=word("unit", lang),
            axis=alt.Axis(labelLimit=260),
        ),
    )
    tooltip = [
        alt.Tooltip("unit:N", title=word("unit", lang)),
        alt.Tooltip("theme:N", title=word("theme", lang)),
        alt.Tooltip("mean:Q", title=word("mean", lang), format=".2f"),
        alt.Tooltip("n:Q", title="n"),
        alt.Tooltip("status:N", title=word("status", lang)),
        alt.Tooltip("change:N", title=word("change", lang)),
    ]
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("flag:N", scale=_flag_scale(lang), title=word("flag", lang)),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=12, color="black").encode(text="text:N", tooltip=tooltip)
    return (
        alt.layer(rect, text)
        .properties(
            title=word("heatmap_title", lang),
            width=alt.Step(130),
            height=alt.Step(24),
        )
        .configure_view(strokeWidth=0)
    )


def distribution(score_row: Mapping[str, Any], lang: str) -> alt.LayerChart | None:
    """Bars of the 7-point distribution (shares of 1..7) of one score row; None when the report
    holds no distribution for it (n below ``n_min_distribution``)."""
    texts.check_lang(lang)
    dist = score_row.get("distribution")
    if dist is None:
        return None
    if len(dist) != 7:
        raise ValueError(
            f"score row {score_row.get('unit_id')!r} {score_row.get('id')!r}: distribution has "
            f"{len(dist)} shares, expected 7 (answers 1..7)"
        )
    rows = []
    for k, share in enumerate(dist, start=1):
        band = "low" if k <= 3 else "mid" if k == 4 else "high"
        rows.append(
            {
                "answer": str(k),
                "share": share,
                "band": word(band, lang),
                "label": texts.fmt_share(share, lang),
            }
        )
    order = [str(k) for k in range(1, 8)]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("answer:O", sort=order, title=word("answer", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "share:Q", title=word("share", lang), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
        ),
    )
    bands = [word(b, lang) for b in ("low", "mid", "high")]
    bars = base.mark_bar().encode(
        color=alt.Color(
            "band:N",
            sort=bands,
            scale=alt.Scale(domain=bands, range=["#d73027", "#bdbdbd", "#4575b4"]),
            title=word("band", lang),
        ),
        tooltip=[
            alt.Tooltip("answer:O", title=word("answer", lang)),
            alt.Tooltip("label:N", title=word("share", lang)),
        ],
    )
    labels = base.mark_text(dy=-6, fontSize=11).encode(text="label:N")
    chart = alt.layer(bars, labels).properties(title=word("dist_title", lang), width=alt.Step(36), height=160)
    return cast(alt.LayerChart, chart)


def themes_for_unit(
    report: Mapping[str, Any], questionnaire: Questionnaire, unit_id: str, lang: str
) -> alt.LayerChart:
    """Theme means of one unit with their 95 % ci, one row per theme (questionnaire order); the point's
    shape and label carry the flag. Raises ``ValueError`` for an unknown or hidden unit."""
    texts.check_report(report, questionnaire)
    unit = next((u for u in report["units"] if u["unit_id"] == unit_id), None)
    if unit is None:
        raise ValueError(f"unit {unit_id!r} is not in the report")
    status = texts.unit_status(unit, report["settings"], lang)
    if status:
        raise ValueError(f"unit {unit_id!r} has no theme scores to chart ({status})")
    scores = {s["id"]: s for s in report["scores"] if s["kind"] == "theme" and s["unit_id"] == unit_id}
    return unit_themes_chart(questionnaire, unit["name"], scores, lang)


def unit_themes_chart(
    questionnaire: Questionnaire, unit_name: str, scores: Mapping[str, Mapping[str, Any]], lang: str
) -> alt.LayerChart:
    """:func:`themes_for_unit` from one unit's theme rows (theme id -> score row) of a checked report;
    the HTML writer calls it once per unit without scanning the whole report each time."""
    rows = []
    for t in questionnaire.themes:
        s = scores.get(t.id)
        if s is None:
            continue
        ci = s.get("ci") or [None, None]
        rows.append(
            {
                "theme": t.title.get(lang),
                "mean": s["mean"],
                "lo": ci[0],
                "hi": ci[1],
                "n": s["n"],
                "flag": flag_category(s.get("flag"), lang),
                "label": " ".join(
                    x
                    for x in (
                        texts.fmt_num(s["mean"], lang),
                        texts.change_arrow(s.get("change")),
                        texts.flag_label(s.get("flag"), s.get("flag_certain"), lang),
                    )
                    if x
                ),
            }
        )
    theme_order = [t.title.get(lang) for t in questionnaire.themes]
    scale = questionnaire.scales[questionnaire.themes[0].items[0].scale] if questionnaire.themes else None
    lo_axis, hi_axis = (scale.min, scale.max) if scale is not None else (1, 7)
    x_scale = alt.Scale(domain=[lo_axis, hi_axis])
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("theme:N", sort=theme_order, title=word("theme", lang), axis=alt.Axis(labelLimit=220))
    )
    ci_rule = base.mark_rule(strokeWidth=2, color="#555").encode(
        x=alt.X("lo:Q", scale=x_scale, title=f"{word('mean', lang)} ({word('ci', lang)})"), x2="hi:Q"
    )
    shapes = ["circle", "diamond", "triangle-up", "square", "cross"]
    point = base.mark_point(filled=True, size=120, stroke="black", strokeWidth=0.5).encode(
        x=alt.X("mean:Q", scale=x_scale),
        color=alt.Color("flag:N", scale=_flag_scale(lang), title=word("flag", lang)),
        shape=alt.Shape(
            "flag:N", scale=alt.Scale(domain=_flag_scale(lang).domain, range=shapes), legend=None
        ),
        tooltip=[
            alt.Tooltip("theme:N", title=word("theme", lang)),
            alt.Tooltip("mean:Q", title=word("mean", lang), format=".2f"),
            alt.Tooltip("lo:Q", title="ci", format=".2f"),
            alt.Tooltip("hi:Q", title="ci", format=".2f"),
            alt.Tooltip("n:Q", title="n"),
            alt.Tooltip("label:N", title=word("flag", lang)),
        ],
    )
    label = base.mark_text(align="left", dx=8, dy=-10, fontSize=11).encode(
        x=alt.X("mean:Q", scale=x_scale), text="label:N"
    )
    chart = alt.layer(ci_rule, point, label).properties(
        title=word("themes_title", lang).format(unit=unit_name), width=420, height=alt.Step(36)
    )
    return cast(alt.LayerChart, chart)
