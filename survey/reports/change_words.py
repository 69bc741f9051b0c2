"""One sentence per row of the changes page, in plain words, that never contradicts itself.

The critical difference (``critical_difference``) is what one comparison alone would need; a change larger
than that can still be uncertain, because all of a unit's changes are tested together (contract 5.6: one
Benjamini-Hochberg family per unit and kind). The sentence says which of these holds, and with how many
changes tested at once, instead of stating the bar and then that the change passed it but is "not
significant". Every sentence is in the Babel catalogue (Danish and English).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from analysis import texts

SIGNIFICANT = ("significant_improvement", "significant_decline")


def families(scores: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """``(unit_id, kind) -> number of changes tested together`` (rows whose change has a ``q``)."""
    out: dict[tuple[str, str], int] = {}
    for s in scores:
        ch = s.get("change")
        if ch and ch.get("q") is not None:
            key = (str(s["unit_id"]), str(s["kind"]))
            out[key] = out.get(key, 0) + 1
    return out


def row_sentence(change: Mapping[str, Any], n_now: int, settings: Mapping[str, Any], together: int,
                 lang: str) -> str:
    """The row's sentence; ``together`` is the number of the unit's changes of this kind tested at once."""
    cls = change.get("class")
    delta = change.get("delta")
    crit = change.get("critical_difference")
    b = change.get("baseline_n")
    thr = float(settings.get("practical_delta", 0.2))
    if delta is None or change.get("q") is None or (cls not in SIGNIFICANT and (crit is None or b is None)):
        # not tested (too few, not comparable, everyone answered alike): the class sentence says why
        return texts.change_sentence(dict(change, critical_difference=None), n_now, lang, thr,
                                     int(settings.get("k_min", 5)))
    values = {
        "delta": texts.fmt_num(delta, lang, signed=True),
        "crit": texts.fmt_num(crit, lang) if crit is not None else "",
        "threshold": texts.fmt_num(thr, lang),
        "before": texts.fmt_num(b, lang, 0),
        "now": texts.fmt_num(n_now, lang, 0),
        "m": texts.fmt_num(together, lang, 0),
    }
    if cls in SIGNIFICANT:
        word = _("a real improvement") if cls == "significant_improvement" else _("a real decline")
        if not change.get("meaningful"):
            if together > 1:
                return _("The change of %(delta)s is statistically significant even when all %(m)s of this "
                         "unit's changes are tested at once, but it is small: less than %(threshold)s.",
                         **values)
            return _("The change of %(delta)s is statistically significant, but it is small: less than "
                     "%(threshold)s.", **values)
        if together > 1:
            return _("The change of %(delta)s is %(word)s: it is statistically significant even when all "
                     "%(m)s of this unit's changes are tested at once.", word=word, **values)
        return _("The change of %(delta)s is %(word)s: it is statistically significant.", word=word, **values)
    if cls == "stable":
        return _("Stable: the change of %(delta)s is statistically shown to be smaller than "
                 "±%(threshold)s, so nothing important changed.", **values)
    # not significant: compare what is shown (rounded), so that "0,98 is larger than 0,98" never appears
    larger = round(abs(float(delta)), 2) > round(float(crit), 2)
    if larger and together > 1:
        return _("The change of %(delta)s is larger than %(crit)s, which would be enough for a single "
                 "comparison with %(before)s and %(now)s answers, but when %(m)s of this unit's changes are "
                 "tested at once, it is not certain.", **values)
    if larger:
        return _("The change of %(delta)s is not statistically certain with %(before)s and %(now)s "
                 "answers.", **values)
    if abs(float(delta)) >= thr:
        return _("The change of %(delta)s looks large, but with %(before)s and %(now)s answers a change "
                 "must exceed %(crit)s to be certain, so it may be chance.", **values)
    return _("The change of %(delta)s is smaller than %(crit)s, which a change needs with %(before)s and "
             "%(now)s answers to be certain, so it may be chance.", **values)
