"""Plain-language texts for reports, in Danish (``da``) and English (``en``).

Everything a reader of the XLSX or HTML report sees as a sentence or a label comes from here, so the
two outputs (and later the web pages) say the same thing in the same words. Numbers are shown with two
decimals; Danish uses a decimal comma. The functions read the report dict of contract.md 2.3.

Colour is never the only signal: every flag has a word and a symbol (:func:`flag_label`), every change
class an arrow (:func:`change_arrow`): ↑/↓ for significant, ↗/↘ for a change that looks large but
is within noise, – for stable. Arrows are never triangles, so they cannot be read as a flag shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

LANGS: tuple[str, ...] = ("da", "en")

CHANGE_CLASSES: tuple[str, ...] = (
    "too_few",
    "not_testable",
    "significant_improvement",
    "significant_decline",
    "stable",
    "inconclusive_change",
    "no_significant_change",
    "not_comparable",
)
FLAGS: tuple[str, ...] = ("red", "orange", "yellow")
#: classes that went through the Welch test (they carry p and q)
TESTED_CLASSES: tuple[str, ...] = (
    "significant_improvement",
    "significant_decline",
    "stable",
    "inconclusive_change",
    "no_significant_change",
)

_FLAG_WORDS: dict[str, dict[str, str]] = {
    "red": {"da": "rød", "en": "red"},
    "orange": {"da": "orange", "en": "orange"},
    "yellow": {"da": "gul", "en": "yellow"},
}
#: a different symbol per flag so that the flags differ in shape as well as colour
_FLAG_SYMBOLS: dict[str, str] = {"red": "●", "orange": "◆", "yellow": "▲"}

_CLASS_LABELS: dict[str, dict[str, str]] = {
    "too_few": {"da": "for få besvarelser", "en": "too few answers"},
    "not_testable": {"da": "kan ikke testes", "en": "not testable"},
    "significant_improvement": {"da": "signifikant fremgang", "en": "significant improvement"},
    "significant_decline": {"da": "signifikant fald", "en": "significant decline"},
    "stable": {"da": "uændret", "en": "stable"},
    "inconclusive_change": {
        "da": "ser stor ud, men ikke sikker",
        "en": "looks large but not certain",
    },
    "no_significant_change": {"da": "ingen signifikant ændring", "en": "no significant change"},
    "not_comparable": {
        "da": "kan ikke sammenlignes (enheden er ændret)",
        "en": "not comparable (unit changed)",
    },
}

_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "none": {"da": "ikke polariseret", "en": "not polarised"},
    "polarised": {"da": "polariseret", "en": "polarised"},
    "strong": {"da": "stærkt polariseret", "en": "strongly polarised"},
}

#: a change whose 95 % interval excludes 0 but that is not significant after the correction (issue 16)
_SIGN_LABEL: dict[str, str] = {"da": "tegn på ændring, ikke sikker", "en": "a sign of change, not certain"}

MINUS = "\u2212"  # typographic minus sign


def is_sign_of_change(change: Mapping[str, Any] | None) -> bool:
    """True for a tested change that is not significant after the correction, although its 95 % interval
    excludes 0: "a sign of change, not certain" — never "within random variation"."""
    if not change or change.get("class") not in ("inconclusive_change", "no_significant_change"):
        return False
    ci = change.get("ci")
    if not ci or ci[0] is None or ci[1] is None:
        return False
    return bool(ci[0] > 0 or ci[1] < 0)


def change_label(change: Mapping[str, Any] | None, lang: str) -> str:
    """The verdict of a row's change in words: :func:`class_label`, except that a sign of change
    (:func:`is_sign_of_change`) is "tegn på ændring, ikke sikker" / "a sign of change, not certain"."""
    check_lang(lang)
    if not change:
        return ""
    if is_sign_of_change(change):
        return _SIGN_LABEL[lang]
    return class_label(change.get("class"), lang)


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def fmt_num(value: float | int | None, lang: str, decimals: int = 2, signed: bool = False) -> str:
    """``value`` for display: ``5.75`` / ``5,75`` (da); ``signed`` adds ``+``/``−``; None -> ``""``."""
    check_lang(lang)
    if value is None:
        return ""
    x = float(value)
    if math.isnan(x):
        return ""
    text = f"{abs(x):,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    # "−0.00" is not shown for a value that rounds to zero
    negative = x < 0 and text.strip("0.,") != ""
    if negative:
        return MINUS + text
    return ("+" + text) if signed else text


def fmt_share(value: float | None, lang: str, decimals: int = 0) -> str:
    """A share 0..1 as a percentage: ``12%`` (en) / ``12 %`` (da); None -> ``""``."""
    if value is None:
        return ""
    number = fmt_num(100 * float(value), lang, decimals)
    return f"{number} %" if lang == "da" else f"{number}%"


def fmt_q(q: float | None, lang: str) -> str:
    """A BH-adjusted p-value as people read it: ``q < 0,001``, ``q = 0,052``, ``q = 0,41`` (three decimals
    below 0.1, so a value near alpha is never rounded onto it); ``""`` for None."""
    if q is None:
        return ""
    if q < 0.001:
        return f"q < {fmt_num(0.001, lang, 3)}"
    return f"q = {fmt_num(q, lang, 3 if q < 0.1 else 2)}"


def fmt_count(value: Any, lang: str) -> str:
    """An exposure count: an integer, the string ``"<3"`` (contract 2.2) shown as is, or ``"–"`` for a
    count left out (None) because it could be worked out from other counts (red team A1/A3)."""
    check_lang(lang)
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{int(value):,}".replace(",", "." if lang == "da" else ",")


def flag_word(flag: str | None, lang: str) -> str:
    """``"rød"`` / ``"red"``; ``""`` for no flag."""
    check_lang(lang)
    if flag is None:
        return ""
    if flag not in _FLAG_WORDS:
        raise ValueError(f"unknown flag {flag!r}: expected one of {', '.join(FLAGS)} or null")
    return _FLAG_WORDS[flag][lang]


def flag_symbol(flag: str | None) -> str:
    if flag is None:
        return ""
    if flag not in _FLAG_SYMBOLS:
        raise ValueError(f"unknown flag {flag!r}: expected one of {', '.join(FLAGS)} or null")
    return _FLAG_SYMBOLS[flag]


def flag_label(flag: str | None, certain: bool | None, lang: str) -> str:
    """Symbol, word and certainty in plain words: ``"● rød (klart under grænsen)"`` when the 95 % ci's
    upper end is below the colour's limit (``flag_certain``), ``"◆ orange (tæt på grænsen)"`` when not;
    ``""`` for none."""
    if flag is None:
        return ""
    word = f"{flag_symbol(flag)} {flag_word(flag, lang)}"
    if certain is None:
        return word
    if lang == "da":
        return f"{word} ({'klart under grænsen' if certain else 'tæt på grænsen'})"
    return f"{word} ({'clearly below the limit' if certain else 'close to the limit'})"


def class_label(cls: str | None, lang: str) -> str:
    """The change class in words; ``""`` for no change."""
    check_lang(lang)
    if cls is None:
        return ""
    if cls not in _CLASS_LABELS:
        raise ValueError(f"unknown change class {cls!r}: expected one of {', '.join(CHANGE_CLASSES)}")
    return _CLASS_LABELS[cls][lang]


def level_label(level: str | None, lang: str) -> str:
    """The polarisation level in words; ``""`` when there is none."""
    check_lang(lang)
    if level is None:
        return ""
    if level not in _LEVEL_LABELS:
        raise ValueError(f"unknown polarisation level {level!r}: expected none, polarised or strong")
    return _LEVEL_LABELS[level][lang]


def change_arrow(change: Mapping[str, Any] | None) -> str:
    """↑/↓ significant, ↗/↘ inconclusive (looks large, within noise), – stable, ``""`` otherwise."""
    if not change:
        return ""
    cls = change.get("class")
    if cls == "significant_improvement":
        return "↑"
    if cls == "significant_decline":
        return "↓"
    if cls == "inconclusive_change" or (cls == "no_significant_change" and is_sign_of_change(change)):
        delta = change.get("delta") or 0.0
        return "↗" if delta > 0 else "↘"
    if cls == "stable":
        return "–"
    if cls not in CHANGE_CLASSES:
        raise ValueError(f"unknown change class {cls!r}: expected one of {', '.join(CHANGE_CLASSES)}")
    return ""


def critical_difference_sentence(baseline_n: int, n_now: int, critical_difference: float, lang: str) -> str:
    """The sentence: With 14 and 12 answers a change must exceed 0.98 to be statistically significant."""
    d = fmt_num(critical_difference, lang)
    if lang == "da":
        return (
            f"Med {baseline_n} og {n_now} besvarelser skal en ændring være større end {d} "
            "for at være statistisk signifikant."
        )
    return f"With {baseline_n} and {n_now} answers a change must exceed {d} to be statistically significant."


def _class_sentence(change: Mapping[str, Any], n_now: int, lang: str, practical_delta: float = 0.2,
                    k_min: int = 5) -> str:
    cls = change.get("class")
    delta = change.get("delta")
    b = change.get("baseline_n")
    da = lang == "da"
    if cls == "too_few":
        if b is not None and int(b) >= k_min:
            # the baseline row had enough answers but was hidden by the row rule: say the true reason
            return (
                "Tallet fra sidste måling er skjult, så en mindre gruppe ikke kan regnes ud; derfor vises "
                "ingen ændring." if da else "Last wave's figure is hidden so that a smaller group cannot be "
                "worked out, so no change is shown."
            )
        if b is None:  # the count is not shown (web pages): either reason may apply
            return (
                "Ingen ændring vises: sidste måling havde for få besvarelser, eller tallet er skjult, så en "
                "mindre gruppe ikke kan regnes ud." if da else "No change is shown: last wave had too few "
                "answers, or its figure is hidden so that a smaller group cannot be worked out."
            )
        return (
            "For få besvarelser til at vurdere en ændring." if da else "Too few answers to assess a change."
        )
    if cls == "not_comparable":
        return (
            "Enheden omfatter andre teams end ved sidste måling, så de to målinger kan ikke sammenlignes."
            if da
            else "The unit covers other teams than in the earlier survey, so the two surveys cannot be "
            "compared."
        )
    if delta is None:
        raise ValueError(f"change of class {cls!r} has no delta")
    signed = fmt_num(delta, lang, signed=True)
    size = fmt_num(abs(delta), lang)
    meaningful = bool(change.get("meaningful"))
    if cls == "not_testable":
        return (
            f"Alle svarede ens i begge målinger, så ændringen på {signed} kan ikke testes statistisk."
            if da
            else f"Everyone gave the same answer in both waves, so the change of {signed} cannot be tested."
        )
    thr = fmt_num(practical_delta, lang)
    if cls in ("significant_improvement", "significant_decline"):
        improvement = cls == "significant_improvement"
        if da:
            noun = "Fremgangen" if improvement else "Faldet"
            small = ", men den er lille" if not meaningful else ""
            return f"{noun} på {size} er statistisk signifikant{small}."
        noun = "improvement" if improvement else "decline"
        small = " but small" if not meaningful else ""
        return f"The {noun} of {size} is statistically significant{small}."
    if cls == "stable":
        # judged like significance, by an interval of the change (90 %, the equivalence test at 5 %):
        # the claim is that the change is smaller than the practical threshold, not that it is 0
        return (
            f"Uændret: ændringen på {signed} er med statistisk sikkerhed mindre end ±{thr}, "
            "så intet vigtigt har ændret sig."
            if da
            else f"Stable: the change of {signed} is statistically shown to be smaller than ±{thr}, "
            "so nothing important changed."
        )
    if is_sign_of_change(change):
        return (
            f"Tegn på ændring, ikke sikker: ændringen på {signed} er større, end tilfældigheder plejer at "
            "give for ét tal alene, men ikke signifikant efter korrektionen for, at alle enhedens tal "
            "testes samlet."
            if da
            else f"A sign of change, not certain: the change of {signed} is larger than chance usually "
            "gives for one figure alone, but not significant after the correction for testing all of "
            "this unit's figures together."
        )
    if cls == "inconclusive_change":
        return (
            f"Ændringen på {signed} ser stor ud, men ligger inden for, hvad tilfældigheder kan give "
            f"med {b} og {n_now} besvarelser."
            if da
            else f"The change of {signed} looks large but is within what chance can produce "
            f"with {b} and {n_now} answers."
        )
    if cls == "no_significant_change":
        return (
            f"Ændringen på {signed} er ikke statistisk signifikant."
            if da
            else f"The change of {signed} is not statistically significant."
        )
    raise ValueError(f"unknown change class {cls!r}: expected one of {', '.join(CHANGE_CLASSES)}")


def change_sentence(row_change: Mapping[str, Any] | None, n_now: int, lang: str,
                    practical_delta: float = 0.2, k_min: int = 5) -> str:
    """Plain-language summary of a row's ``change`` (contract 2.3) for a reader without statistics.

    The class sentence (``"The decline of 1.29 is statistically significant."``), followed, when the
    change was tested, by the critical difference (``"With 27 and 26 answers a change must exceed 0.60
    to be statistically significant."``; the baseline's n first). ``n_now`` is the row's ``n`` in the
    reported wave. ``None`` (no baseline, or a unit not published in both waves) gives ``""``.
    """
    check_lang(lang)
    if row_change is None:
        return ""
    sentence = _class_sentence(row_change, n_now, lang, practical_delta, k_min)
    composition = composition_sentence(row_change, n_now, lang, practical_delta)
    crit = row_change.get("critical_difference")
    b = row_change.get("baseline_n")
    if crit is not None and b is not None:
        sentence += " " + critical_difference_sentence(int(b), int(n_now), float(crit), lang)
        delta = row_change.get("delta")
        cls = row_change.get("class")
        if (
            delta is not None
            and abs(delta) > crit
            and cls not in ("significant_improvement", "significant_decline")
            and not is_sign_of_change(row_change)
        ):
            # the critical difference is for one test alone; BH over the unit's figures sets a higher bar
            sentence += " " + (
                "Ændringen er større end det, men ikke signifikant efter korrektionen for, "
                "at alle enhedens tal testes samlet."
                if lang == "da"
                else "This change is larger than that, but not significant after the correction "
                "for testing all of this unit's figures together."
            )
    if composition:
        sentence += " " + composition
    return sentence


def composition_sentence(row_change: Mapping[str, Any] | None, n_now: int, lang: str,
                         practical_delta: float = 0.2) -> str:
    """The change row's ``composition`` in words: who answered changed so much that it alone could move
    the mean by the practical threshold (docs/methods.md, section 3); ``""`` when it did not."""
    check_lang(lang)
    reasons = (row_change or {}).get("composition") or []
    thr = fmt_num(practical_delta, lang)
    b = (row_change or {}).get("baseline_n")
    out: list[str] = []
    if "mix" in reasons:
        out.append(
            "Fordelingen af besvarelserne på underenhederne har ændret sig så meget, at den alene kan flytte "
            f"gennemsnittet med {thr} eller mere, også selv om ingen har svaret anderledes."
            if lang == "da"
            else "The mix of answers across the sub-units changed so much that it alone could move the mean "
            f"by {thr} or more, even if nobody answered differently."
        )
    if "participation" in reasons:
        counts = f" (fra {b} til {n_now})" if lang == "da" else f" (from {b} to {n_now})"
        counts = counts if b is not None else ""
        out.append(
            f"Antallet af besvarelser har ændret sig så meget{counts}, at de nye eller manglende svar alene "
            f"kan flytte gennemsnittet med {thr} eller mere."
            if lang == "da"
            else f"The number of answers changed so much{counts} that the new or missing answers alone could "
            f"move the mean by {thr} or more."
        )
    return " ".join(out)


def chance_sentence(significance: Mapping[str, Any] | None, lang: str) -> str:
    """How many of the report's significant changes chance alone would be expected to give (contract 5.6):
    the report's ``significance`` object in words; ``""`` without one (no baseline)."""
    check_lang(lang)
    if not significance:
        return ""
    alpha = float(significance.get("alpha", 0.05))
    parts = []
    total = expected = 0.0
    for kind in ("theme", "item"):
        fam = significance.get(kind) or {}
        total += int(fam.get("significant", 0))
        expected += float(fam.get("expected_by_chance", 0.0))
    n = int(total)
    a = fmt_share(alpha, lang)
    e = fmt_num(expected, lang, 1)
    if lang == "da":
        parts.append(
            f"Rapporten har {n} signifikante ændringer (temaer og spørgsmål). Tilfældigheder alene kan "
            f"forventes at give omkring {e} af dem: korrektionen holdes for hver enhed for sig, så højst "
            f"{a} af en enheds signifikante ændringer forventes at være falske."
        )
    else:
        parts.append(
            f"The report has {n} significant changes (themes and questions). Chance alone would be expected "
            f"to give about {e} of them: the correction is made for each unit on its own, so that at most "
            f"{a} of a unit's significant changes are expected to be false."
        )
    return " ".join(parts)


def settings_sentence(row_change: Mapping[str, Any] | None, n_now: int, lang: str,
                      settings: Mapping[str, Any]) -> str:
    """:func:`change_sentence` with the report's ``practical_delta`` and ``k_min``."""
    return change_sentence(row_change, n_now, lang, float(settings.get("practical_delta", 0.2)),
                           int(settings.get("k_min", 5)))


def suppression_reason(unit_row: Mapping[str, Any], settings: Mapping[str, Any], lang: str) -> str:
    """Why a unit is hidden: ``"fewer than 5 answers"`` / ``"would reveal a smaller group"``.

    Uses the unit's ``suppressed_reason`` when the report carries a ``{lang: text}`` mapping (the engine's
    technical English string is not shown); otherwise the reason follows from ``suppressed``
    (``primary`` / ``secondary``) and ``settings["k_min"]``. A published unit gives ``""``.
    """
    check_lang(lang)
    suppressed = unit_row.get("suppressed")
    if suppressed is None and unit_row.get("published", True):
        return ""
    extra = unit_row.get("suppressed_reason")
    if isinstance(extra, Mapping) and extra.get(lang):
        return str(extra[lang])
    # the engine's own English reason ("primary: 3 respondents < 5", "secondary: protects the residual of
    # FIL") is technical and quotes counts and ids: readers get the plain, true reason below instead
    if suppressed == "primary":
        k = settings.get("k_min", 5)
        return f"færre end {k} besvarelser" if lang == "da" else f"fewer than {k} answers"
    if suppressed == "secondary":
        return "ville afsløre en mindre gruppe" if lang == "da" else "would reveal a smaller group"
    raise ValueError(
        f"unit {unit_row.get('unit_id')!r}: unknown suppression {suppressed!r}; "
        "expected 'primary', 'secondary' or null"
    )


def hidden(reason: str, lang: str) -> str:
    """``"hidden: fewer than 5 answers"`` / ``"skjult: færre end 5 besvarelser"``."""
    check_lang(lang)
    return f"skjult: {reason}" if lang == "da" else f"hidden: {reason}"


def row_hidden_reason(settings: Mapping[str, Any], lang: str) -> str:
    """Why a row of a published unit is missing (row rule, contract 4)."""
    check_lang(lang)
    k = settings.get("k_min", 5)
    if lang == "da":
        return f"færre end {k} svar på dette spørgsmål, eller ville afsløre en mindre gruppe"
    return f"fewer than {k} answers to this question, or would reveal a smaller group"


def no_answers(lang: str) -> str:
    check_lang(lang)
    return "ingen besvarelser" if lang == "da" else "no answers"


def exposure_hidden_reason(unit_row: Mapping[str, Any], settings: Mapping[str, Any], lang: str) -> str:
    """Why a published unit has no exposure rows (contract 2.2 and 4: n_min_exposure, exposure pattern)."""
    check_lang(lang)
    k = settings.get("n_min_exposure", 10)
    if int(unit_row.get("respondents") or 0) < int(k):
        return f"færre end {k} besvarelser" if lang == "da" else f"fewer than {k} answers"
    return "ville afsløre en mindre gruppe" if lang == "da" else "would reveal a smaller group"


# ---------------------------------------------------------------------------------------------
# reading the report dict (shared by the XLSX and HTML writers and the charts)

REPORT_SCHEMA = "trivsel-report/1"


def check_report(report: Mapping[str, Any], questionnaire: Any) -> None:
    """Raise ``ValueError`` (what, where, how to fix) unless ``report`` is a contract 2.3 report of
    ``questionnaire`` (a :class:`questionnaires.Questionnaire`)."""
    if not isinstance(report, Mapping):
        raise ValueError(f"report: expected a JSON object (contract 2.3), got {type(report).__name__}")
    schema = report.get("schema")
    if schema != REPORT_SCHEMA:
        raise ValueError(
            f"report: schema is {schema!r}, expected {REPORT_SCHEMA!r} (a `trivsel analyse` report)"
        )
    for key in ("questionnaire", "wave", "settings", "units", "scores"):
        if key not in report:
            raise ValueError(f"report: missing key {key!r} (contract 2.3)")
    qid = (report.get("questionnaire") or {}).get("id")
    if qid != questionnaire.id:
        raise ValueError(
            f"report: written for questionnaire {qid!r}, but questionnaire {questionnaire.id!r} was given; "
            "pass the questionnaire the report was made with"
        )
    unit_ids = {u.get("unit_id") for u in report["units"]}
    themes = {t.id for t in questionnaire.themes}
    items = {i.id for i in questionnaire.items}
    for pos, row in enumerate(report["scores"]):
        kind, id_ = row.get("kind"), row.get("id")
        known = themes if kind == "theme" else items if kind == "item" else None
        if known is None:
            raise ValueError(f"report: scores[{pos}]: kind is {kind!r}, expected 'theme' or 'item'")
        if id_ not in known:
            raise ValueError(
                f"report: scores[{pos}]: {kind} {id_!r} is not in questionnaire {questionnaire.id!r} "
                f"version {questionnaire.version}"
            )
        if row.get("unit_id") not in unit_ids:
            raise ValueError(
                f"report: scores[{pos}]: unit {row.get('unit_id')!r} is not in the report's units"
            )


def tree_order(units: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Units depth first from the root(s); children in the order of the report (units.csv order).

    A unit whose parent is missing from the list is treated as a root, so nothing is ever dropped.
    """
    ids = {u["unit_id"] for u in units}
    children: dict[Any, list[Mapping[str, Any]]] = {}
    roots: list[Mapping[str, Any]] = []
    for u in units:
        parent = u.get("parent_id")
        if parent is None or parent not in ids or parent == u["unit_id"]:
            roots.append(u)
        else:
            children.setdefault(parent, []).append(u)
    out: list[Mapping[str, Any]] = []
    seen: set[Any] = set()
    stack = list(reversed(roots))
    while stack:
        u = stack.pop()
        if u["unit_id"] in seen:
            continue
        seen.add(u["unit_id"])
        out.append(u)
        stack.extend(reversed(children.get(u["unit_id"], [])))
    # members of a cycle (not reachable from a root) still appear, at the end
    out.extend(u for u in units if u["unit_id"] not in seen)
    return out


def unit_status(unit: Mapping[str, Any], settings: Mapping[str, Any], lang: str) -> str:
    """``""`` for a published unit with answers; ``"hidden: …"`` or ``"no answers"`` otherwise."""
    reason = suppression_reason(unit, settings, lang)
    if reason:
        return hidden(reason, lang)
    if not unit.get("respondents"):
        return no_answers(lang)
    return ""
