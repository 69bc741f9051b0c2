"""The evidence behind each unit's criteria K1–K4, in the reader's language and number format.

Built from the round's report (the wave's one report): the theme rows of the unit (K1 low score: the
flagged themes with mean, 95 % interval and share of unfavourable answers; K4 split group: the polarised
themes) and the exposure evidence of the report's funding row (K2/K3: "internal exposure: at least 13 of
122 respondents" — the criterion met, never the pooled count, which would give away small groups).
Theme names come from the wave's questionnaires in the page's language; numbers are formatted for the
page (4,39 in Danish). Only published rows are used: the report holds nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

_EXPOSURE = re.compile(r"^(internal|unresolved external) exposure: at least (\d+) of (\d+) respondents$")
_RANK = {"red": 3, "orange": 2, "yellow": 1}


def theme_names(questionnaires: list[Any], lang: str) -> dict[str, str]:
    """theme id -> the theme's title in ``lang`` over the round's questionnaires (ids are unique, 5.3)."""
    out: dict[str, str] = {}
    for q in questionnaires:
        for t in q.themes:
            out[t.id] = str(t.title.get(lang)) if hasattr(t, "title") else t.id
    return out


def _num(value: float, decimals: int = 2) -> str:
    return str(format_decimal(value, format="0." + "0" * decimals))


def _colour(flag: str) -> str:
    return {"red": _("red"), "orange": _("orange"), "yellow": _("yellow")}.get(flag, flag)


def unit_evidence(report: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    """unit_id -> [(criterion number "1".."4", sentence)] for every unit with a funding row."""
    themes: dict[str, list[dict[str, Any]]] = {}
    for s in report.get("scores") or []:
        if s.get("kind") == "theme":
            themes.setdefault(s["unit_id"], []).append(s)
    out: dict[str, list[tuple[str, str]]] = {}
    for f in report.get("funding") or []:
        uid = f["unit_id"]
        lines: list[tuple[str, str]] = []
        rows = themes.get(uid, [])
        if f.get("low_score"):
            flagged = sorted(
                (s for s in rows if s.get("flag")), key=lambda s: (-_RANK.get(s["flag"], 0), s["mean"])
            )
            for s in flagged:
                ci = s.get("ci")
                text = _(
                    "%(theme)s: mean %(mean)s (95 %% interval %(low)s–%(high)s): %(colour)s",
                    theme=names.get(s["id"], s["id"]),
                    mean=_num(s["mean"]),
                    low=_num(ci[0]) if ci else "–",
                    high=_num(ci[1]) if ci else "–",
                    colour=_colour(s["flag"]),
                )
                if s.get("unfavourable_share") is not None:
                    text += _(
                        "; %(share)s %% unfavourable answers", share=_num(100 * s["unfavourable_share"], 0)
                    )
                lines.append(("1", text))
        if f.get("polarised"):
            for s in rows:
                level = (s.get("polarisation") or {}).get("level")
                if level in ("polarised", "strong"):
                    lines.append(
                        (
                            "4",
                            _(
                                "%(theme)s: answers split into two groups (%(level)s)",
                                theme=names.get(s["id"], s["id"]),
                                level=_("strongly polarised") if level == "strong" else _("polarised"),
                            ),
                        )
                    )
        for e in f.get("evidence") or []:
            m = _EXPOSURE.match(e)
            if not m:
                continue
            count = str(format_decimal(int(m.group(2)), format="#,##0"))
            total = str(format_decimal(int(m.group(3)), format="#,##0"))
            if m.group(1) == "internal":
                lines.append(
                    (
                        "2",
                        _(
                            "At least %(count)s of %(total)s respondents were exposed by someone at "
                            "work (manager, colleague or staff)",
                            count=count,
                            total=total,
                        ),
                    )
                )
            else:
                lines.append(
                    (
                        "3",
                        _(
                            "At least %(count)s of %(total)s respondents were exposed by citizens or "
                            "partners and it was not (fully) resolved",
                            count=count,
                            total=total,
                        ),
                    )
                )
        out[uid] = lines
    return out
