"""The annual work-environment report as tables, drawn the same way on the web page, in the PDF and in Excel.

:func:`sections` turns the dict of ``survey.services.workenv.annual_report`` into a list of
:class:`Section` (title, header, rows of raw values); the page, :func:`pdf` and :func:`xlsx` only format and
draw those cells, so the three show the same numbers (tests compare them). Texts are Danish or English
(``lang``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from analysis import workenv as we

_T: dict[str, tuple[str, str]] = {
    "title": ("Arbejdsmiljø i tal", "Work environment in figures"),
    "report": ("Årlig arbejdsmiljørapport", "Annual work-environment report"),
    "whole": ("hele organisationen", "the whole organisation"),
    "metric": ("Nøgletal", "Figure"),
    "this": ("I år", "This year"),
    "last": ("Sidste år", "Last year"),
    "change": ("Ændring", "Change"),
    "unit": ("Enhed", "Unit"),
    "headcount": ("Ansatte", "Employees"),
    "fte": ("Årsværk", "FTE"),
    "sick_days": ("Sygedage", "Sick days"),
    "sick_days_per_fte": ("Sygedage pr. årsværk", "Sick days per FTE"),
    "absence_pct": ("Sygefravær %", "Absence %"),
    "long_term_share": ("Langtidsfravær, andel", "Long-term share"),
    "ltif": ("LTIF (ulykker med fravær pr. mio. timer)", "LTIF (lost-time accidents per million hours)"),
    "count_accident_absence": ("Ulykker med fravær", "Accidents with absence"),
    "accident_days": ("Fraværsdage efter ulykker", "Absence days after accidents"),
    "count_accident_no_absence": ("Ulykker uden fravær", "Accidents without absence"),
    "count_near_miss": ("Nærved-hændelser", "Near misses"),
    "count_violence": ("Vold", "Violence"),
    "count_threats": ("Trusler", "Threats"),
    "count_offensive_act": ("Krænkende handlinger", "Offensive acts"),
    "count_emotional_demands": ("Høje følelsesmæssige krav", "High emotional demands"),
    "reactions": ("Reaktioner fra Arbejdstilsynet", "Reactions of the Working Environment Authority"),
    "s_key": ("Nøgletal", "Key figures"),
    "s_reaction_list": (
        "Reaktioner fra Arbejdstilsynet, enkeltvis",
        "Reactions of the Authority, one by one",
    ),
    "counts_note": (
        "<3: 1 eller 2. –: ikke vist, fordi tallet ellers kunne regnes ud fra de øvrige enheders tal "
        "(eller fordi antallet er under 3, så frekvensen ville afsløre det).",
        "<3: 1 or 2. –: not shown, because it could otherwise be worked out from the other units' figures "
        "(or because the count is below 3 and the frequency would reveal it).",
    ),
    "counts_period_note": (
        "Antal (hændelser, ulykker, personer) vises kun for et helt kalenderår med alle årets data: "
        "to perioder, der overlapper (fx løbende 12 måneder og kalenderåret), ville ellers ved fratrækning "
        "afsløre få hændelser i en enkelt måned. Fraværstal og procenter vises altid.",
        "Counts (incidents, accidents, persons) are shown only for a complete calendar year with all its "
        "data: two overlapping periods (e.g. rolling twelve months and the calendar year) would otherwise "
        "reveal a few incidents in a single month by subtraction. Absence figures and percentages are "
        "always shown.",
    ),
    "pp": ("procentpoint", "percentage points"),
    "s_units": ("Sygefravær pr. enhed", "Sickness absence by unit"),
    "s_kinds": ("Fravær efter art", "Absence by kind"),
    "s_bands": ("Sygefravær efter længde", "Sickness absence by length"),
    "s_incidents": ("Ulykker og hændelser pr. enhed", "Accidents and incidents by unit"),
    "s_bradford": (
        "Bradford-faktor (S² × D): personer pr. interval",
        "Bradford factor (S² × D): persons per band",
    ),
    "s_reactions": ("Reaktioner fra Arbejdstilsynet", "Reactions of the Working Environment Authority"),
    "s_survey": ("Trivselsmåling", "Well-being survey"),
    "s_followup": ("Opfølgning og handleplaner", "Follow-up and action plans"),
    "s_dialogue": ("Til arbejdsmiljødrøftelsen", "For the annual work-environment discussion"),
    "kind": ("Art", "Kind"),
    "days": ("Dage", "Days"),
    "pct_workdays": ("% af arbejdsdage", "% of work days"),
    "share": ("Andel", "Share"),
    "band": ("Længde", "Length"),
    "count": ("Antal", "Count"),
    "date": ("Dato", "Date"),
    "topic": ("Emne", "Topic"),
    "flag": ("Flag", "Flag"),
    "finding": ("Resultat", "Finding"),
    "plan_none": (
        "enheden skal lave en handleplan, og der er ingen endnu",
        "the unit needs an action plan and has none yet",
    ),
    "plan_overdue": ("handleplanen er over sin frist", "the action plan is past its due date"),
    "plan_planned": ("der er en handleplan i gang", "an action plan is under way"),
    "plan_done": ("handleplanen er gennemført", "the action plan is done"),
    "red_theme": ("rødt tema", "red theme"),
    "orange_theme": ("orange tema", "orange theme"),
    "yellow_theme": ("gult tema", "yellow theme"),
    "s_exposed": (
        "udsat for mobning, chikane, trusler og vold",
        "exposed to bullying, harassment, threats and violence",
    ),
    "themes": ("Temaer", "Themes"),
    "why": ("Hvorfor", "Why"),
    "status": ("Status", "Status"),
    "question": ("Spørgsmål", "Question"),
    "respondents": ("Svar", "Answers"),
    "exposed": ("Udsat", "Exposed"),
    "told_no_one": ("Har ikke fortalt nogen", "Told no one"),
    "hidden_primary": ("skjult: færre end %(k)s ansatte", "hidden: fewer than %(k)s employees"),
    "hidden_secondary": ("skjult for at beskytte en anden enhed", "hidden to protect another unit"),
    "no_data": ("ingen data", "no data"),
    "none": ("ingen handleplan", "no action plan"),
    "overdue": ("overskredet", "overdue"),
    "planned": ("planlagt", "planned"),
    "done": ("gennemført", "done"),
    "red": ("rød", "red"),
    "orange": ("orange", "orange"),
    "yellow": ("gul", "yellow"),
    "decline": ("signifikant fald", "significant decline"),
    "improvement": ("signifikant forbedring", "significant improvement"),
    "internal": ("intern chikane", "internal harassment"),
    "external_unresolved": ("uløst ekstern chikane", "unresolved external harassment"),
    "grant": ("bevilling", "grant"),
    "band_0_9": ("0–9 dage", "0–9 days"),
    "band_10_29": ("10–29 dage", "10–29 days"),
    "band_30_plus": ("30 dage og mere", "30 days or more"),
    "days_own_illness": ("Egen sygdom", "Own illness"),
    "days_work_injury": ("Arbejdsskade", "Work injury"),
    "days_child_sick": ("Barns sygedag", "Child's sick day"),
    "days_senior": ("Seniordage", "Senior days"),
    "days_care": ("Omsorgsdage", "Care days"),
    "days_maternity": ("Barsel", "Maternity / parental leave"),
    "days_section56": ("§56-fravær", "§56 absence"),
    "strakspaabud": ("Strakspåbud", "Immediate improvement notice"),
    "paabud": ("Påbud", "Improvement notice"),
    "paatale": ("Påtale", "Reprimand"),
    "aftaleforloeb": ("Aftaleforløb", "Agreed process"),
    "vejledning": ("Vejledning", "Guidance"),
    "bullying": ("Mobning", "Bullying"),
    "sexual_harassment": ("Seksuel chikane", "Sexual harassment"),
    "threats": ("Trusler", "Threats"),
    "violence": ("Vold", "Violence"),
    "no_wave": (
        "Der er ingen afsluttet måling for %(year)s.",
        "There is no closed survey wave for %(year)s.",
    ),
    "no_flags": ("Ingen enheder med flag.", "No units with flags."),
    "no_followup": ("Ingen enheder har brug for en handleplan.", "No unit needs an action plan."),
    "no_reactions": ("Ingen reaktioner i perioden.", "No reactions in the period."),
    "no_figures": (
        "Der er ikke importeret fravær eller ulykker for perioden.",
        "No absence or accidents have been imported for the period.",
    ),
    "long_30": (
        "Langtidsfravær er her fravær i forløb på 30 dage og mere (filen havde ingen kolonne long_term).",
        "Long-term absence here means spells of 30 days or more (the file had no long_term column).",
    ),
    "long_20": (
        "Langtidsfravær er fravær i forløb på mere end 20 dage.",
        "Long-term absence means spells of more than 20 days.",
    ),
    "norm": (
        "Sygedage = egen sygdom + arbejdsskade. Timer: indberettet, ellers årsværk × %(h)s timer. "
        "Arbejdsdage: årsværk × %(d)s dage. Enheder med færre end %(k)s ansatte vises ikke; antal på 1 "
        "eller 2 vises som <3.",
        "Sick days = own illness + work injury. Hours: as reported, otherwise FTE × %(h)s hours. "
        "Work days: FTE × %(d)s days. Units with fewer than %(k)s employees are not shown; counts of 1 "
        "or 2 are shown as <3.",
    ),
    "q1": (
        "Hvad fylder mest i vores arbejdsmiljø lige nu – og genkender vi tallene?",
        "What matters most in our work environment right now – and do we recognise the figures?",
    ),
    "q2": (
        "Hvad gør vi allerede, som virker, og hvad skal vi gøre mere af?",
        "What do we already do that works, and what should we do more of?",
    ),
    "q3": (
        "Hvilke en til to ting vil vi ændre i det kommende år – og hvem gør hvad hvornår?",
        "Which one or two things will we change in the coming year – and who does what by when?",
    ),
    "help": (
        "Har du været udsat for vold, trusler, mobning eller chikane, så tal med din leder, din "
        "arbejdsmiljørepræsentant, din tillidsrepræsentant eller HR. Du kan også bruge "
        "organisationens rådgivningsordning.",
        "If you have experienced violence, threats, bullying or harassment, talk to your manager, your "
        "work-environment representative, your union representative or HR. You can also use the "
        "organisation's counselling service.",
    ),
    "dialogue_sheet": ("Dialogark", "Dialogue sheet"),
    "year": ("År", "Year"),
}


def t(key: str, lang: str, **args: Any) -> str:
    da, en = _T[key]
    text = da if lang == "da" else en
    return text % args if args else text


def _counts_note(report: Mapping[str, Any], lang: str) -> str:
    note = t("counts_note", lang)
    if report.get("settings", {}).get("counts_published") is False:
        note += " " + t("counts_period_note", lang)
    return note


@dataclass
class Section:
    """One table of the report: ``rows`` hold raw values (number, str, None); ``depth`` per row indents
    the first cell (unit tree)."""

    id: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    depth: list[int] = field(default_factory=list)
    note: str = ""
    #: per column: how to format a number (``"1"`` one decimal, ``"2"`` two, ``"0"`` whole, ``"%"`` share)
    formats: list[str] = field(default_factory=list)
    #: for a column format ``"row"``: the format of each row (a table of different figures)
    row_formats: list[str] = field(default_factory=list)
    #: per row: True when the row is a hidden unit (its second cell says why)
    hidden: list[bool] = field(default_factory=list)


def fmt(value: Any, lang: str, kind: str = "1") -> str:
    """A cell as text: numbers in the reader's language (``7,2`` in Danish), shares as percent."""
    if value is None:
        return "–"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    locale = "da_DK" if lang == "da" else "en_GB"
    if kind == "%":
        return format_decimal(100 * float(value), format="#,##0.0", locale=locale) + " %"
    pattern = {"0": "#,##0", "1": "#,##0.0", "2": "#,##0.00"}.get(kind, "#,##0.0")
    if isinstance(value, int) and kind != "2":
        pattern = "#,##0"
    text = format_decimal(value, format=pattern, locale=locale)
    return text.replace("-", "−") if float(value) < 0 else text


def _signed(value: Any, lang: str, kind: str = "1") -> str:
    if value is None:
        return "–"
    if kind == "%":
        text = fmt(100 * float(value), lang, "1") + " " + t("pp", lang)
        return ("+" + text) if float(value) > 0 else text
    text = fmt(value, lang, kind)
    return ("+" + text) if float(value) > 0 else text


def _hidden(unit: Mapping[str, Any], k: int, lang: str) -> str:
    if unit["suppressed"] == "primary":
        return t("hidden_primary", lang, k=k)
    return t("hidden_secondary", lang)


def _units_section(report: Mapping[str, Any], lang: str) -> Section:
    k = report["settings"]["k_min"]
    header = [
        t(c, lang)
        for c in (
            "unit",
            "headcount",
            "fte",
            "sick_days",
            "sick_days_per_fte",
            "absence_pct",
            "long_term_share",
        )
    ] + [t("sick_days_per_fte", lang) + " " + t("last", lang).lower(), t("change", lang)]
    rows: list[list[Any]] = []
    depth: list[int] = []
    base = min(u["depth"] for u in report["units"])
    for u in report["units"]:
        depth.append(u["depth"] - base)
        f = u["figures"]
        if f is None:
            rows.append([u["name"], _hidden(u, k, lang), None, None, None, None, None, None, None])
            continue
        prev = u["previous"] or {}
        ch = u["change"] or {}
        rows.append(
            [
                u["name"],
                u["headcount"],
                f["fte_years"],
                f["sick_days"],
                f["sick_days_per_fte"],
                f["absence_pct"],
                f["long_term_share"],
                prev.get("sick_days_per_fte"),
                ch.get("sick_days_per_fte"),
            ]
        )
    return Section(
        "units",
        t("s_units", lang),
        header,
        rows,
        depth,
        formats=["", "0", "1", "1", "1", "2", "%", "1", "+1"],
    )


def _scope(report: Mapping[str, Any]) -> Mapping[str, Any]:
    return next(u for u in report["units"] if u["unit_id"] == report["scope_unit"])


def key_rows(report: Mapping[str, Any]) -> list[tuple[str, Any, Any, str]]:
    """(metric key, this year, last year, format) of the scope unit."""
    unit = _scope(report)
    f = unit["figures"] or {}
    p = unit["previous"] or {}
    n_now = len(report["reactions"])
    out: list[tuple[str, Any, Any, str]] = []
    for key, kind in (
        ("sick_days_per_fte", "1"),
        ("absence_pct", "2"),
        ("long_term_share", "%"),
        ("sick_days", "1"),
        ("fte", "1"),
        ("ltif", "2"),
        ("count_accident_absence", "0"),
        ("accident_days", "1"),
        ("count_accident_no_absence", "0"),
        ("count_near_miss", "0"),
        ("count_violence", "0"),
        ("count_threats", "0"),
        ("count_offensive_act", "0"),
        ("count_emotional_demands", "0"),
    ):
        src = "fte_years" if key == "fte" else key
        out.append((key, f.get(src), p.get(src), kind))
    out.append(("reactions", n_now, report.get("reactions_previous"), "0"))
    return out


def sections(report: Mapping[str, Any], lang: str) -> list[Section]:
    """Every table of the annual report, in reading order."""
    settings = report["settings"]
    out: list[Section] = []
    scope = _scope(report)
    k = settings["k_min"]
    note = t(
        "norm",
        lang,
        h=fmt(settings["hours_per_fte"], lang, "0"),
        d=fmt(settings["hours_per_fte"] / settings["hours_per_day"], lang, "0"),
        k=k,
    )
    f = scope["figures"]
    if f is not None:
        note += " " + (t("long_20", lang) if f["long_term_rule"] == "over_20" else t("long_30", lang))
    if report.get("settings", {}).get("counts_published") is False:
        note += " " + t("counts_period_note", lang)
    rows: list[list[Any]] = []
    formats_rows = []
    for key, now, before, kind in key_rows(report):
        change = now - before if isinstance(now, int | float) and isinstance(before, int | float) else None
        rows.append([t(key, lang), now, before, change])
        formats_rows.append(kind)
    key_section = Section(
        "key",
        t("s_key", lang),
        [t("metric", lang), t("this", lang), t("last", lang), t("change", lang)],
        rows,
        note=note,
    )
    key_section.formats = ["", "row", "row", "+row"]
    key_section.row_formats = formats_rows
    out.append(key_section)
    out.append(_units_section(report, lang))
    if f is not None:
        workdays = (f["fte_years"] or 0) * settings["hours_per_fte"] / settings["hours_per_day"]
        kinds = []
        for kind in we.ABSENCE_KINDS:
            days = f[f"days_{kind}"]
            kinds.append([t(f"days_{kind}", lang), days, 100 * days / workdays if workdays else None])
        out.append(
            Section(
                "kinds",
                t("s_kinds", lang),
                [t("kind", lang), t("days", lang), t("pct_workdays", lang)],
                kinds,
                formats=["", "1", "2"],
            )
        )
        sick = f["sick_days"] or 0
        bands = [[t(b, lang), f[b], f[b] / sick if sick else None] for b in we.BANDS]
        out.append(
            Section(
                "bands",
                t("s_bands", lang),
                [t("band", lang), t("days", lang), t("share", lang)],
                bands,
                formats=["", "1", "%"],
            )
        )
    inc_header = [
        t("unit", lang),
        t("count_accident_absence", lang),
        "LTIF",
        t("count_near_miss", lang),
        t("count_near_miss", lang) + " " + t("last", lang).lower(),
        t("count_violence", lang),
        t("count_threats", lang),
        t("count_offensive_act", lang),
        t("count_emotional_demands", lang),
    ]
    inc_rows: list[list[Any]] = []
    depth: list[int] = []
    base = min(u["depth"] for u in report["units"])
    for u in report["units"]:
        depth.append(u["depth"] - base)
        fu = u["figures"]
        if fu is None:
            inc_rows.append([u["name"], _hidden(u, k, lang)] + [None] * 7)
            continue
        prev = u["previous"] or {}
        inc_rows.append(
            [
                u["name"],
                fu["count_accident_absence"],
                fu["ltif"],
                fu["count_near_miss"],
                prev.get("count_near_miss"),
                fu["count_violence"],
                fu["count_threats"],
                fu["count_offensive_act"],
                fu["count_emotional_demands"],
            ]
        )
    out.append(
        Section(
            "incidents",
            t("s_incidents", lang),
            inc_header,
            inc_rows,
            depth,
            formats=["", "0", "2", "0", "0", "0", "0", "0", "0"],
            note=_counts_note(report, lang),
        )
    )
    labels = we.bradford_band_labels()
    if any(
        isinstance(u["figures"] and u["figures"].get(f"bradford_{b}"), str)
        or (u["figures"] and (u["figures"].get(f"bradford_{b}") or 0) > 0)
        for u in report["units"]
        for b in range(len(labels))
    ):
        b_rows: list[list[Any]] = []
        for u in report["units"]:
            fu = u["figures"]
            if fu is None:
                b_rows.append([u["name"], _hidden(u, k, lang)] + [None] * (len(labels) - 1))
            else:
                b_rows.append([u["name"]] + [fu[f"bradford_{b}"] for b in range(len(labels))])
        out.append(
            Section(
                "bradford",
                t("s_bradford", lang),
                [t("unit", lang), *labels],
                b_rows,
                list(depth),
                formats=[""] + ["0"] * len(labels),
                note=_counts_note(report, lang),
            )
        )
    by_kind = report["reactions_summary"]["by_kind"]
    r_rows: list[list[Any]] = [[t(kind, lang), n] for kind, n in by_kind.items()]
    out.append(
        Section(
            "reactions",
            t("s_reactions", lang),
            [t("kind", lang), t("count", lang)],
            r_rows,
            formats=["", "0"],
        )
    )
    names = {u["unit_id"]: u["name"] for u in report["units"]}
    if report["reactions"]:
        out.append(
            Section(
                "reaction_list",
                t("s_reaction_list", lang),
                [t("date", lang), t("unit", lang), t("kind", lang), t("topic", lang)],
                [
                    [r["date"], names.get(r["unit_id"], r["unit_id"]), t(r["kind"], lang), r["topic"]]
                    for r in report["reactions"]
                ],
                formats=["", "", "", ""],
            )
        )
    hidden = [u["figures"] is None for u in report["units"]]
    for section in out:
        if section.id in ("units", "incidents", "bradford"):
            section.hidden = list(hidden)
    out.extend(survey_sections(report, lang))
    return out


def _reason(code: str, lang: str) -> str:
    if code.startswith("flag:"):
        return t(code[5:] + "_theme", lang)
    if code.startswith("grant:"):
        return t("grant", lang) + " " + fmt(int(code[6:]), lang, "0") + " kr."
    return t(code, lang) if code in _T else code


def survey_sections(report: Mapping[str, Any], lang: str) -> list[Section]:
    survey = report.get("survey")
    if survey is None:
        return [Section("survey", t("s_survey", lang), [], [], note=t("no_wave", lang, year=report["year"]))]
    out: list[Section] = []
    for q in survey["questionnaires"]:
        title = f"{q['title'].get(lang)} {survey['wave']}"
        themes = q["theme_titles"]
        rows: list[list[Any]] = []
        for f in q["flagged"]:
            rows.append(
                [f["name"], t(f["flag"], lang), ", ".join(str(themes[x].get(lang)) for x in f["themes"])]
            )
        for d in q["declines"]:
            rows.append([d["name"], t("decline", lang), str(themes[d["theme"]].get(lang))])
        for d in q["improvements"]:
            rows.append([d["name"], t("improvement", lang), str(themes[d["theme"]].get(lang))])
        note = "" if rows else t("no_flags", lang)
        out.append(
            Section(
                f"survey_{q['id']}",
                title,
                [t("unit", lang), t("finding", lang), t("themes", lang)],
                rows,
                note=note,
                formats=["", "", ""],
            )
        )
        if q["exposures"]:
            ex_rows = [
                [
                    t(e["kind"], lang) if e["kind"] in _T else e["kind"],
                    e["n"],
                    e["exposed"],
                    e["share"],
                    e["told_no_one"],
                ]
                for e in q["exposures"]
            ]
            out.append(
                Section(
                    f"exposures_{q['id']}",
                    f"{title}: {t('s_exposed', lang)}",
                    [
                        t("kind", lang),
                        t("respondents", lang),
                        t("exposed", lang),
                        t("share", lang),
                        t("told_no_one", lang),
                    ],
                    ex_rows,
                    formats=["", "0", "0", "%", "0"],
                    note=t("help", lang),
                )
            )
        fu_rows = [
            [r["name"], ", ".join(_reason(c, lang) for c in r["reasons"]), t(r["status"], lang)]
            for r in q["followup"]
        ]
        out.append(
            Section(
                f"followup_{q['id']}",
                f"{t('s_followup', lang)}: {q['title'].get(lang)}",
                [t("unit", lang), t("why", lang), t("status", lang)],
                fu_rows,
                note="" if fu_rows else t("no_followup", lang),
                formats=["", "", ""],
            )
        )
    return out


def cell_text(section: Section, row: int, col: int, lang: str) -> str:
    """The text of one cell as the page and the PDF show it."""
    value = section.rows[row][col]
    kind = section.formats[col] if col < len(section.formats) else ""
    if kind in ("row", "+row"):
        row_kind = section.row_formats[row] if row < len(section.row_formats) else "1"
        kind = ("+" if kind == "+row" else "") + row_kind
    if kind.startswith("+"):
        return _signed(value, lang, kind[1:])
    if isinstance(value, str) or value is None:
        return fmt(value, lang)
    return fmt(value, lang, kind or "1")


def title(report: Mapping[str, Any], lang: str) -> str:
    scope = report["area_name"] or t("whole", lang)
    return f"{t('report', lang)} {report['period']['label']}: {scope}"


def dialogue_questions(lang: str) -> list[str]:
    return [t("q1", lang), t("q2", lang), t("q3", lang)]


# ---------------------------------------------------------------------------------------------
# PDF and Excel
# ---------------------------------------------------------------------------------------------


def pdf(report: Mapping[str, Any], lang: str, drawn: list[str] | None = None) -> bytes:
    """The report as a PDF (A4 landscape; the same cells as the page). ``drawn`` collects every text
    written into a table cell (tests compare them with the page)."""
    from survey.reports.pdf import _pdf, _safe

    subtitle = t(
        "norm",
        lang,
        h=fmt(report["settings"]["hours_per_fte"], lang, "0"),
        d=fmt(report["settings"]["hours_per_fte"] / report["settings"]["hours_per_day"], lang, "0"),
        k=report["settings"]["k_min"],
    )
    doc = _pdf(title(report, lang), subtitle)
    for s in sections(report, lang):
        doc.set_font(doc.body_font, "B", 11)
        doc.ln(2)
        doc.multi_cell(0, 6, _safe(doc, s.title), new_x="LMARGIN", new_y="NEXT")
        doc.set_font(doc.body_font, "", 8)
        if s.note:
            doc.multi_cell(0, 4.5, _safe(doc, s.note), new_x="LMARGIN", new_y="NEXT")
        if not s.rows:
            continue
        width = 277.0
        first = 70.0 if len(s.header) > 3 else 110.0
        rest = (width - first) / max(len(s.header) - 1, 1)
        with doc.table(
            col_widths=(first, *([rest] * (len(s.header) - 1))),
            text_align="LEFT",
            line_height=4.2,
            first_row_as_headings=True,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for h in s.header:
                head.cell(_safe(doc, h))
            for i in range(len(s.rows)):
                row = table.row()
                for j in range(len(s.header)):
                    text = cell_text(s, i, j, lang)
                    if j == 0 and s.depth:
                        text = "   " * s.depth[i] + text
                    row.cell(_safe(doc, text))
                    if drawn is not None:
                        drawn.append(text)
    doc.set_font(doc.body_font, "B", 11)
    doc.ln(2)
    doc.cell(0, 6, _safe(doc, t("s_dialogue", lang)), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(doc.body_font, "", 9)
    for i, q in enumerate(dialogue_questions(lang), start=1):
        doc.multi_cell(0, 5, _safe(doc, f"{i}. {q}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def xlsx(report: Mapping[str, Any], lang: str, path: str | Path | None = None) -> bytes:
    """The report as an Excel workbook: one sheet per section, numbers as numbers. Returns the bytes (and
    writes ``path`` when given)."""
    from analysis.xlsxfile import Book, Indented

    buffer = io.BytesIO()
    book = Book(buffer)  # type: ignore[arg-type]
    try:
        used: set[str] = set()
        for s in sections(report, lang):
            name = "".join(c for c in s.title if c not in "[]:*?/\\")[:28]
            while name in used:
                name = name[:26] + str(len(used))
            used.add(name)
            width = max(len(s.header), 1)
            sheet = book.sheet(name, [40.0] + [16.0] * (width - 1), [None] * width)
            sheet.header(s.header or [s.note or ""])
            for i, row in enumerate(s.rows):
                values: list[Any] = []
                for j, v in enumerate(row):
                    if isinstance(v, float) and s.formats and j < len(s.formats) and s.formats[j] == "%":
                        v = round(v, 6)
                    if j == 0 and s.depth:
                        values.append(Indented(v, s.depth[i]) if s.depth[i] else v)
                    else:
                        values.append(v)
                sheet.row(values)
            if s.note and s.header:
                sheet.row([s.note] + [None] * (width - 1))
        book.save()
    except Exception:
        book.close()
        raise
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def sheet_rows(report: Mapping[str, Any], lang: str) -> dict[str, list[list[Any]]]:
    """Section id -> rows of raw values (what :func:`xlsx` writes), for tests."""
    return {s.id: s.rows for s in sections(report, lang)}


def dialogue_lines(report: Mapping[str, Any], unit: Mapping[str, Any], lang: str) -> list[str]:
    """The unit's published figures and survey results in plain words, for its dialogue sheet."""
    da = lang == "da"
    k = report["settings"]["k_min"]
    f = unit["figures"]
    lines: list[str] = []
    period = report["period"]["label"]
    if f is None:
        lines.append(
            (f"Fravær og ulykker vises ikke for {unit['name']}: {_hidden(unit, k, lang)}.")
            if da
            else f"Absence and accidents are not shown for {unit['name']}: {_hidden(unit, k, lang)}."
        )
    else:
        prev = unit["previous"] or {}
        per_fte = fmt(f["sick_days_per_fte"], lang)
        before = (
            (
                f" (sidste år {fmt(prev['sick_days_per_fte'], lang)})"
                if da
                else f" (last year {fmt(prev['sick_days_per_fte'], lang)})"
            )
            if prev.get("sick_days_per_fte") is not None
            else ""
        )
        lines.append(
            f"I {period} var sygefraværet {per_fte} sygedage pr. årsværk{before}, det er "
            f"{fmt(f['absence_pct'], lang, '2')} % af arbejdsdagene."
            if da
            else f"In {period}, sickness absence was {per_fte} sick days per FTE{before}, which is "
            f"{fmt(f['absence_pct'], lang, '2')} % of the work days."
        )
        if f["long_term_share"] is not None:
            lines.append(
                f"{fmt(f['long_term_share'], lang, '%')} af sygefraværet var langtidsfravær."
                if da
                else f"{fmt(f['long_term_share'], lang, '%')} of the sickness absence was long-term."
            )
        counts = ", ".join(
            f"{t(key, lang).lower()}: {fmt(f[key], lang, '0')}"
            for key in (
                "count_accident_absence",
                "count_near_miss",
                "count_violence",
                "count_threats",
                "count_offensive_act",
                "count_emotional_demands",
            )
        )
        lines.append(f"Registreret: {counts}." if da else f"Registered: {counts}.")
    survey = report.get("survey")
    if survey is not None:
        for q in survey["questionnaires"]:
            themes = q["theme_titles"]
            flagged = next((x for x in q["flagged"] if x["unit_id"] == unit["unit_id"]), None)
            qt = q["title"].get(lang)
            if flagged:
                names = ", ".join(str(themes[x].get(lang)) for x in flagged["themes"])
                lines.append(
                    f"{qt} {survey['wave']}: "
                    + (f"temaer med flag: {names}." if da else f"themes with a flag: {names}.")
                )
            declines = [
                str(themes[d["theme"]].get(lang)) for d in q["declines"] if d["unit_id"] == unit["unit_id"]
            ]
            if declines:
                lines.append(
                    f"{qt} {survey['wave']}: "
                    + ("signifikant fald i " if da else "significant decline in ")
                    + ", ".join(declines)
                    + "."
                )
            plan = next((r for r in q["followup"] if r["unit_id"] == unit["unit_id"]), None)
            if plan is not None:
                lines.append(f"{qt} {survey['wave']}: {t('plan_' + plan['status'], lang)}.")
    return lines
