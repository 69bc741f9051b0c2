"""Analysis settings (contract.md 2.1): defaults, validation and the report's ``settings`` object.

Every key is optional in ``settings.toml``; an unknown key is an error, and a partial table
(for example only ``points.red``) is merged key by key into the defaults (contract 4).

Per-theme flag thresholds (contract 5.7): ``[flag_mean_theme.ID]`` and ``[flag_unfavourable_theme.ID]``
give a theme its own values; settings win over the theme's ``flags`` in the questionnaire, which win over
the global ``flag_mean`` / ``flag_unfavourable``; a partial table is merged colour by colour. Items use
their theme's values. :func:`effective_settings` resolves them against a questionnaire.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .csvio import InputError

FLAG_COLOURS: tuple[str, ...] = ("red", "orange", "yellow")
POINT_KEYS: tuple[str, ...] = ("red", "orange", "yellow", "internal", "external_unresolved", "polarised")


def _flag_mean() -> dict[str, float]:
    return {"red": 4.0, "orange": 4.6, "yellow": 5.0}


def _flag_unfavourable() -> dict[str, float]:
    return {"red": 0.40, "orange": 0.30, "yellow": 0.20}


def _points() -> dict[str, int]:
    return {"red": 3, "orange": 2, "yellow": 1, "internal": 3, "external_unresolved": 2, "polarised": 2}


@dataclass(frozen=True)
class Settings:
    """Effective analysis settings. Defaults are those of contract.md 2.1."""

    alpha: float = 0.05
    practical_delta: float = 0.2
    theme_min_item_share: float = 0.5
    k_min: int = 5
    k_diff: int = 5
    n_min_bands: int = 10
    n_min_distribution: int = 20
    n_min_exposure: int = 10
    flag_mean: dict[str, float] = field(default_factory=_flag_mean)
    flag_unfavourable: dict[str, float] = field(default_factory=_flag_unfavourable)
    bp_polarised: float = 0.20
    bp_strong: float = 0.30
    exposure_share: float = 0.10
    exposure_count: int = 2
    points: dict[str, int] = field(default_factory=_points)
    #: per theme id: colour -> value (partial tables allowed here; complete after effective_settings)
    flag_mean_theme: dict[str, dict[str, float]] = field(default_factory=dict)
    flag_unfavourable_theme: dict[str, dict[str, float]] = field(default_factory=dict)
    #: not a contract setting (no settings file sets it): the web application turns it on so that exposure
    #: counts are also protected across the tree and within a row (red team A1, A3; docs/anonymity.md);
    #: off, the report is exactly contract 2.3 (counts are a number or "<3")
    protect_exposure_cells: bool = False

    def theme_flags(self, theme_id: str | None) -> tuple[dict[str, float], dict[str, float]]:
        """(flag_mean, flag_unfavourable) of a theme: its own values where given, else the global ones."""
        mean = {**self.flag_mean, **self.flag_mean_theme.get(theme_id or "", {})}
        unf = {**self.flag_unfavourable, **self.flag_unfavourable_theme.get(theme_id or "", {})}
        return mean, unf

    def to_dict(self) -> dict[str, Any]:
        """The report's ``settings`` object: every key of contract 2.1 with its effective value."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "protect_exposure_cells":
                if value:
                    out[f.name] = True  # echoed only when on: the contract report has no such key
                continue
            if isinstance(value, Mapping):
                value = {k: dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
            out[f.name] = value
        return out


# (kind, lower bound, upper bound, lower inclusive, upper inclusive)
_SCALARS: dict[str, tuple[str, float, float, bool, bool]] = {
    "alpha": ("float", 0.0, 1.0, False, False),
    "practical_delta": ("float", 0.0, math.inf, True, False),
    "theme_min_item_share": ("float", 0.0, 1.0, False, True),
    "k_min": ("int", 1, math.inf, True, False),
    "k_diff": ("int", 1, math.inf, True, False),
    "n_min_bands": ("int", 1, math.inf, True, False),
    "n_min_distribution": ("int", 1, math.inf, True, False),
    "n_min_exposure": ("int", 1, math.inf, True, False),
    "bp_polarised": ("float", 0.0, 1.0, True, True),
    "bp_strong": ("float", 0.0, 1.0, True, True),
    "exposure_share": ("float", 0.0, 1.0, True, True),
    "exposure_count": ("int", 0, math.inf, True, False),
}
# table name -> (keys, kind, lower, upper)
_TABLES: dict[str, tuple[tuple[str, ...], str, float, float]] = {
    "flag_mean": (FLAG_COLOURS, "float", -math.inf, math.inf),
    "flag_unfavourable": (FLAG_COLOURS, "float", 0.0, 1.0),
    "points": (POINT_KEYS, "int", 0, math.inf),
}


def _number(source: str, key: str, value: Any, kind: str, lo: float, hi: float,
            lo_incl: bool = True, hi_incl: bool = True) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        want = "a whole number" if kind == "int" else "a number"
        raise InputError(source, f"setting '{key}' must be {want}; got {value!r}", value=str(value))
    if kind == "int" and not isinstance(value, int):
        raise InputError(source, f"setting '{key}' must be a whole number without decimals; got {value!r}",
                         value=str(value))
    if not math.isfinite(value):
        raise InputError(source, f"setting '{key}' must be a finite number; got {value!r}", value=str(value))
    low_ok = value >= lo if lo_incl else value > lo
    high_ok = value <= hi if hi_incl else value < hi
    if not (low_ok and high_ok):
        lo_s = "" if lo == -math.inf else f"{'≥' if lo_incl else '>'} {lo:g}"
        hi_s = "" if hi == math.inf else f"{'≤' if hi_incl else '<'} {hi:g}"
        bounds = " and ".join(s for s in (lo_s, hi_s) if s)
        raise InputError(source, f"setting '{key}' must be {bounds}; got {value!r}", value=str(value))
    return float(value) if kind == "float" else int(value)


_THEME_TABLES: dict[str, tuple[float, float]] = {
    "flag_mean_theme": (-math.inf, math.inf),
    "flag_unfavourable_theme": (0.0, 1.0),
}


def _theme_table(source: str, key: str, value: Any) -> dict[str, dict[str, float]]:
    lo, hi = _THEME_TABLES[key]
    if not isinstance(value, Mapping):
        raise InputError(source, f"setting '{key}' must hold one table per theme, e.g. [{key}.tempo] with "
                                 "red = …, orange = …, yellow = …", value=str(value))
    out: dict[str, dict[str, float]] = {}
    for theme_id, table in value.items():
        where = f"{key}.{theme_id}"
        if not isinstance(table, Mapping):
            raise InputError(source, f"setting '{where}' must be a table with keys "
                                     f"{', '.join(FLAG_COLOURS)}, e.g. [{where}] red = …", value=str(table))
        out[str(theme_id)] = {}
        for sub, subvalue in table.items():
            if sub not in FLAG_COLOURS:
                raise InputError(source, f"unknown setting '{where}.{sub}'; allowed keys in '{where}': "
                                         f"{', '.join(FLAG_COLOURS)}")
            out[str(theme_id)][sub] = float(_number(source, f"{where}.{sub}", subvalue, "float", lo, hi))
    return out


def _check_order(source: str, key: str, values: Mapping[str, float], ascending: bool) -> None:
    r, o, y = (values[c] for c in FLAG_COLOURS)
    ok = r <= o <= y if ascending else r >= o >= y
    if not ok:
        rel = "≤" if ascending else "≥"
        raise InputError(source, f"setting '{key}': red ({r:g}) {rel} orange ({o:g}) {rel} yellow ({y:g}) "
                                 "is required; correct the order of the values")


def effective_settings(settings: Settings, questionnaire: Any, source: str = "settings.toml") -> Settings:
    """Resolve the per-theme flag thresholds against ``questionnaire`` (contract 5.7).

    The result holds, for every theme of the questionnaire whose thresholds differ from the global ones,
    its complete tables (settings > questionnaire ``flags`` > global), so the report echoes exactly the
    values it used. Raises :class:`~analysis.csvio.InputError` for a settings table naming an unknown
    theme, or when a theme's merged values are out of order (red ≤ orange ≤ yellow for means, red ≥
    orange ≥ yellow for shares).
    """
    from dataclasses import replace

    themes = {t.id: t for t in questionnaire.themes}
    for key in ("flag_mean_theme", "flag_unfavourable_theme"):
        for theme_id in getattr(settings, key):
            if theme_id not in themes:
                raise InputError(source, f"setting '{key}.{theme_id}': questionnaire '{questionnaire.id}' "
                                         f"has no theme '{theme_id}'; its themes: {', '.join(themes)}")
    mean_out: dict[str, dict[str, float]] = {}
    unf_out: dict[str, dict[str, float]] = {}
    for theme_id, theme in themes.items():
        flags = getattr(theme, "flags", None)
        mean = {**settings.flag_mean, **(dict(flags.mean) if flags and flags.mean else {}),
                **settings.flag_mean_theme.get(theme_id, {})}
        unf = {**settings.flag_unfavourable,
               **(dict(flags.unfavourable) if flags and flags.unfavourable else {}),
               **settings.flag_unfavourable_theme.get(theme_id, {})}
        if mean != settings.flag_mean:
            _check_order(source, f"flag_mean_theme.{theme_id}", mean, True)
            mean_out[theme_id] = mean
        if unf != settings.flag_unfavourable:
            _check_order(source, f"flag_unfavourable_theme.{theme_id}", unf, False)
            unf_out[theme_id] = unf
    return replace(settings, flag_mean_theme=mean_out, flag_unfavourable_theme=unf_out)


def settings_from_mapping(data: Mapping[str, Any], source: str = "settings.toml") -> Settings:
    """Validate a settings mapping (as read from TOML) and merge it into the defaults.

    Raises :class:`~analysis.csvio.InputError` naming ``source`` and the key for an unknown key,
    a value of the wrong type or a value out of range.
    """
    if not isinstance(data, Mapping):
        raise InputError(source, "expected a table of settings")
    known = list(_SCALARS) + list(_TABLES) + list(_THEME_TABLES)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SCALARS:
            kind, lo, hi, lo_incl, hi_incl = _SCALARS[key]
            values[key] = _number(source, key, value, kind, lo, hi, lo_incl, hi_incl)
        elif key in _TABLES:
            keys, kind, lo, hi = _TABLES[key]
            if not isinstance(value, Mapping):
                raise InputError(
                    source,
                    f"setting '{key}' must be a table with keys {', '.join(keys)}, "
                    f"e.g. {key} = {{ {keys[0]} = … }}",
                    value=str(value),
                )
            merged = dict(getattr(Settings(), key))
            for sub, subvalue in value.items():
                if sub not in keys:
                    raise InputError(
                        source, f"unknown setting '{key}.{sub}'; allowed keys in '{key}': {', '.join(keys)}"
                    )
                merged[sub] = _number(source, f"{key}.{sub}", subvalue, kind, lo, hi)
            values[key] = merged
        elif key in _THEME_TABLES:
            values[key] = _theme_table(source, key, value)
        else:
            raise InputError(source, f"unknown setting '{key}'; known settings: {', '.join(known)}")
    return Settings(**values)


def read_settings(path: str | Path) -> Settings:
    """Read ``settings.toml`` (contract 2.1)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(p.name, f"cannot read the file ({exc.strerror or exc}); check the path") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(p.name, "the file is not UTF-8 text; save it as UTF-8 and try again") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(p.name, f"not valid TOML: {exc}; write one 'key = value' per line") from None
    return settings_from_mapping(data, p.name)
