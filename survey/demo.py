"""Demo data: a synthetic Danish municipality with two survey waves, and the ``trivsel demo`` runner.

The first half of this module is a pure, deterministic generator (numpy only, no database):

- :data:`UNITS` – the organisation of "Demo Kommune": a root (HovedMED) over five areas (FagMED:
  Dagtilbud, Ældre og Sundhed, Teknik og Miljø, Kultur og Borgerservice, Økonomi og Personale) over
  departments and workplaces (LokalMED), 31 units on 4 levels, 432 employees. Some units have staff of their
  own besides their children; three teams have 3–4 employees so that suppression shows.
- :func:`generate_responses` – synthetic answers for any questionnaire, in the row form of contract.md 1.3
  (every cell a string: codes, ``""`` when not answered, the scale's don't-know code, multi-codes joined
  by ``;``), for the waves :data:`WAVES` (``2024`` baseline, ``2025``).

The story the data tells (:data:`STORY`), so that every part of the report has something to show:

- **declining department** – Hjemmeplejen (``AEL-HJE``): leadership and workload themes fall by about a
  point from 2024 to 2025 (a clear significant decline);
- **polarised team** – Vej og Park (``TEK-VEJ``): in 2025 half the team answers 1–2 and half 6–7 on the
  collaboration themes;
- **internal harassment** – Plejecenter Lindegården (``AEL-LIN``): several reports of bullying and sexual
  harassment from colleagues and managers, mostly not handled well (funding criterion C2);
- **unresolved threats** – Borgerservice (``KUB-BOR``): threats from citizens, mostly not handled (C3);
- **improving unit** – Børnehuset Solsikken (``DAG-N-SOL``): every theme improves by most of a point;
- **tiny teams** – ``DAG-S-PAE``, ``AEL-VIS``, ``TEK-GIS`` with 3–4 employees (suppressed);
- everyone else is stable around 5.3–5.9 on the 7-point scale, with response rates of 75–90 %.

Themes are matched to the story by their ids (:data:`ROLE_KEYWORDS`), so the generator works for the
shipped questionnaires and for any other definition; a role no theme matches simply has no effect.

The second half (:func:`run_demo`) builds a demo database through the application's services.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from questionnaires import (
    HANDLED_CODES,
    SOURCE_CODES,
    TOLD_CODES,
    Exposure,
    Questionnaire,
)

#: chosen among a few seeds so that chance findings do not blur the story (checked with analysis.report)
DEFAULT_SEED = 3

#: wave labels: baseline first, then the wave the demo reports on
WAVES: tuple[str, str] = ("2024", "2025")
BASELINE, CURRENT = WAVES

#: the shipped questionnaires the demo fills in
DEMO_QUESTIONNAIRES: tuple[str, ...] = ("trivsel", "emotional_demands", "offensive_behaviour")


@dataclass(frozen=True)
class DemoUnit:
    """One unit of the demo organisation in the form of contract.md 1.1 (``headcount`` = direct staff)."""

    unit_id: str
    parent_id: str | None
    name: str
    headcount: int


UNITS: tuple[DemoUnit, ...] = (
    DemoUnit("K", None, "Demo Kommune – Direktion og sekretariat", 8),
    DemoUnit("DAG", "K", "Dagtilbud", 7),
    DemoUnit("DAG-N", "DAG", "Dagtilbud Nord", 0),
    DemoUnit("DAG-N-SOL", "DAG-N", "Børnehuset Solsikken", 32),
    DemoUnit("DAG-N-MAR", "DAG-N", "Vuggestuen Mariehønen", 22),
    DemoUnit("DAG-S", "DAG", "Dagtilbud Syd", 2),
    DemoUnit("DAG-S-ENG", "DAG-S", "Børnehaven Engen", 26),
    DemoUnit("DAG-S-SKO", "DAG-S", "Skovbørnehaven Egern", 16),
    DemoUnit("DAG-S-PAE", "DAG-S", "Pædagogisk konsulentteam", 4),
    DemoUnit("AEL", "K", "Ældre og Sundhed", 7),
    DemoUnit("AEL-HJE", "AEL", "Hjemmeplejen", 0),
    DemoUnit("AEL-HJE-N", "AEL-HJE", "Hjemmepleje Nord", 38),
    DemoUnit("AEL-HJE-S", "AEL-HJE", "Hjemmepleje Syd", 34),
    DemoUnit("AEL-LIN", "AEL", "Plejecenter Lindegården", 44),
    DemoUnit("AEL-TRE", "AEL", "Træning og Rehabilitering", 18),
    DemoUnit("AEL-VIS", "AEL", "Visitationen", 3),
    DemoUnit("TEK", "K", "Teknik og Miljø", 6),
    DemoUnit("TEK-VEJ", "TEK", "Vej og Park", 26),
    DemoUnit("TEK-BYG", "TEK", "Byggesagsbehandling", 14),
    DemoUnit("TEK-NAT", "TEK", "Natur og Miljø", 11),
    DemoUnit("TEK-GIS", "TEK", "GIS og Data", 3),
    DemoUnit("KUB", "K", "Kultur og Borgerservice", 7),
    DemoUnit("KUB-BIB", "KUB", "Bibliotekerne", 0),
    DemoUnit("KUB-BIB-HOV", "KUB-BIB", "Hovedbiblioteket", 21),
    DemoUnit("KUB-BIB-FIL", "KUB-BIB", "Filialerne", 9),
    DemoUnit("KUB-BOR", "KUB", "Borgerservice", 24),
    DemoUnit("KUB-MUS", "KUB", "Museum og Lokalarkiv", 8),
    DemoUnit("OEK", "K", "Økonomi og Personale", 7),
    DemoUnit("OEK-REG", "OEK", "Regnskab og Budget", 14),
    DemoUnit("OEK-HR", "OEK", "HR og Løn", 11),
    DemoUnit("OEK-IT", "OEK", "IT og Digitalisering", 10),
)


@dataclass(frozen=True)
class Story:
    """Which units carry which effect (see the module docstring)."""

    declining: str = "AEL-HJE"
    polarised: str = "TEK-VEJ"
    harassment: str = "AEL-LIN"
    threats: str = "KUB-BOR"
    improving: str = "DAG-N-SOL"
    tiny: tuple[str, ...] = ("DAG-S-PAE", "AEL-VIS", "TEK-GIS")
    #: units whose staff work with citizens in care (more threats and violence, mostly handled)
    care_areas: tuple[str, ...] = ("AEL", "DAG")


STORY = Story()

#: substrings of theme ids (lower case) that give a theme a role in the story
ROLE_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "leadership": ("ledelse", "leder", "leadership", "manage"),
    "workload": ("tempo", "arbejdsmaengde", "maengde", "workload", "krav", "demands", "pres"),
    "collaboration": ("samarbejde", "faellesskab", "kolleg", "social", "collaboration", "team"),
    "handling": ("haandtering", "handling"),
}

#: size of the effects on the 7-point scale (latent points)
DECLINE = 1.1
IMPROVEMENT = 1.0
IMPROVEMENT_START = 0.8
HANDLING_DROP = 1.2


def unit_rows(units: Sequence[DemoUnit] = UNITS) -> list[dict[str, str]]:
    """The units as contract.md 1.1 rows (strings; empty ``parent_id`` for the root)."""
    return [
        {"unit_id": u.unit_id, "parent_id": u.parent_id or "", "name": u.name, "headcount": str(u.headcount)}
        for u in units
    ]


def units_csv(units: Sequence[DemoUnit] = UNITS) -> str:
    """The units as the text of a contract ``units.csv``."""
    return rows_to_csv(["unit_id", "parent_id", "name", "headcount"], unit_rows(units))


def rows_to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """Contract CSV text: ``,`` delimiter, RFC 4180 quoting (e.g. ``colleague;citizen`` stays one cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return buf.getvalue()


def subtree(unit_id: str, units: Sequence[DemoUnit] = UNITS) -> set[str]:
    """``unit_id`` and all its descendants."""
    children: dict[str | None, list[str]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.unit_id)
    out: set[str] = set()
    todo = [unit_id]
    while todo:
        current = todo.pop()
        out.add(current)
        todo.extend(children.get(current, []))
    return out


def theme_roles(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """Theme ids per story role (see :data:`ROLE_KEYWORDS`), matched by keywords in the theme id."""
    roles: dict[str, list[str]] = {role: [] for role in ROLE_KEYWORDS}
    for theme in questionnaire.themes:
        tid = theme.id.lower()
        for role, words in ROLE_KEYWORDS.items():
            if any(w in tid for w in words):
                roles[role].append(theme.id)
                break
    return roles


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator for one purpose, stable across runs and independent of the other purposes."""
    keys = [zlib.crc32(p.encode("utf-8")) for p in parts]
    return np.random.default_rng([seed, *keys])


def respondent_counts(
    seed: int = DEFAULT_SEED, units: Sequence[DemoUnit] = UNITS
) -> dict[tuple[str, str], int]:
    """Respondents attached directly to each unit per wave: ``{(wave, unit_id): n}``.

    Each unit's response rate is drawn from 75–90 % per wave; ``n = round(headcount × rate)``.
    The counts do not depend on the questionnaire, so every questionnaire of a wave has the same
    participation (as when one survey holds several questionnaires).
    """
    out: dict[tuple[str, str], int] = {}
    for wave in WAVES:
        rng = _rng(seed, "counts", wave)
        rates = rng.uniform(0.75, 0.90, size=len(units))
        for u, rate in zip(units, rates, strict=True):
            out[(wave, u.unit_id)] = int(np.floor(u.headcount * rate + 0.5))
    return out


def generate_responses(
    questionnaire: Questionnaire,
    seed: int = DEFAULT_SEED,
    *,
    units: Sequence[DemoUnit] = UNITS,
    story: Story = STORY,
) -> pd.DataFrame:
    """Synthetic responses for both waves in contract row form (contract.md 1.3).

    Returns a DataFrame of strings with the columns ``wave, unit_id, <items>, <exposure columns>``
    (``questionnaire.response_columns`` order), one row per respondent, sorted by wave and unit.
    Deterministic for a given ``seed`` and questionnaire id.

    Model: a respondent's latent score on a theme is the unit's level for that theme (5.4–5.85 plus small
    area and unit effects) plus a personal general factor (sd 0.55) plus a theme-specific deviation (sd 0.5);
    an item answer is the latent score plus item noise (sd 0.65), rounded and clipped to the scale. Reverse
    items are written mirrored, so that the analysed value follows the latent score. About 3 % of scale cells
    are empty and 2 % carry the don't-know code when the scale has one.
    """
    frames = [_generate_wave(questionnaire, seed, wave, units=units, story=story) for wave in WAVES]
    return pd.concat(frames, ignore_index=True)


def _unit_levels(questionnaire: Questionnaire, seed: int, units: Sequence[DemoUnit]) -> np.ndarray:
    """Latent level per (unit, theme) shared by both waves: theme mean + area effect + unit effect."""
    rng = _rng(seed, "levels", questionnaire.id)
    n_themes = len(questionnaire.themes)
    theme_mean = rng.uniform(5.4, 5.85, size=n_themes)
    areas = sorted({_area(u.unit_id, units) for u in units})
    area_effect = dict(zip(areas, rng.normal(0.0, 0.12, size=(len(areas), n_themes)), strict=True))
    unit_effect = rng.normal(0.0, 0.12, size=(len(units), n_themes))
    levels = np.empty((len(units), n_themes))
    for i, u in enumerate(units):
        levels[i] = theme_mean + area_effect[_area(u.unit_id, units)] + unit_effect[i]
    return levels


def _area(unit_id: str, units: Sequence[DemoUnit]) -> str:
    """The child of the root that holds ``unit_id`` (the root itself for the root)."""
    parent = {u.unit_id: u.parent_id for u in units}
    current = unit_id
    while True:
        up = parent.get(current)
        if up is None or parent.get(up) is None:
            return current
        current = up


def _generate_wave(
    questionnaire: Questionnaire,
    seed: int,
    wave: str,
    *,
    units: Sequence[DemoUnit],
    story: Story,
) -> pd.DataFrame:
    counts = respondent_counts(seed, units)
    rng = _rng(seed, "answers", questionnaire.id, wave)
    unit_ids = np.array([u.unit_id for u in units])
    per_unit = np.array([counts[(wave, u.unit_id)] for u in units])
    unit_idx = np.repeat(np.arange(len(units)), per_unit)
    n = unit_idx.size
    themes = questionnaire.themes
    theme_index = {t.id: j for j, t in enumerate(themes)}
    roles = theme_roles(questionnaire)

    # latent score per respondent and theme
    levels = _unit_levels(questionnaire, seed, units)
    if wave != BASELINE:
        drift = _rng(seed, "drift", questionnaire.id, wave).normal(0.0, 0.05, size=levels.shape)
        levels = levels + drift
    in_unit = {
        name: np.isin(unit_ids[unit_idx], sorted(subtree(uid, units)))
        for name, uid in (
            ("declining", story.declining),
            ("polarised", story.polarised),
            ("improving", story.improving),
        )
    }
    general = rng.normal(0.0, 0.55, size=(n, 1))
    latent = levels[unit_idx] + general + rng.normal(0.0, 0.5, size=(n, len(themes)))
    if wave != BASELINE:
        for role in ("leadership", "workload"):
            for tid in roles[role]:
                latent[in_unit["declining"], theme_index[tid]] -= DECLINE
        latent[in_unit["improving"]] += IMPROVEMENT
    # the improving unit starts from a weak 2024 (below the others), so it has room to improve
    latent[in_unit["improving"]] -= IMPROVEMENT_START
    # where offensive behaviour goes on, the handling of it is rated low (more so in the current wave)
    bad_handling = np.isin(
        unit_ids[unit_idx], sorted(subtree(story.harassment, units) | subtree(story.threats, units))
    )
    for tid in roles["handling"]:
        latent[bad_handling, theme_index[tid]] -= HANDLING_DROP if wave != BASELINE else HANDLING_DROP / 2
    polar_rows = np.flatnonzero(in_unit["polarised"]) if wave != BASELINE else np.array([], dtype=int)
    low_side = rng.permutation(polar_rows.size) < (polar_rows.size + 1) // 2
    item_noise_sd = np.full(n, 0.65)

    columns: dict[str, np.ndarray] = {"wave": np.full(n, wave, dtype=object), "unit_id": unit_ids[unit_idx]}
    for theme in themes:
        j = theme_index[theme.id]
        theme_latent = latent[:, j].copy()
        split = polar_rows.size > 0 and theme.id in roles["collaboration"]
        if split:
            theme_latent[polar_rows] = np.where(low_side, 1.4, 6.6)
        for item in theme.items:
            scale = questionnaire.scale_of(item)
            noise = rng.normal(0.0, 1.0, size=n) * item_noise_sd
            if split:
                noise[polar_rows] *= 0.5
            # the latent scale is 1..7; map it onto the item's scale
            span = (scale.max - scale.min) / 6.0
            value = np.clip(
                np.floor(scale.min + (theme_latent + noise - 1.0) * span + 0.5), scale.min, scale.max
            )
            raw = (scale.min + scale.max) - value if item.reverse else value
            cells = raw.astype(int).astype(str).astype(object)
            u = rng.random(n)
            cells[u < 0.03] = ""
            if scale.dont_know is not None:
                cells[(u >= 0.03) & (u < 0.05)] = str(scale.dont_know)
            columns[item.id] = cells

    for exposure in questionnaire.exposures:
        columns.update(_exposure_cells(exposure, rng, unit_ids[unit_idx], wave, units, story))

    frame = pd.DataFrame(columns, columns=["wave", "unit_id", *questionnaire.response_columns])
    return frame.astype(object)


# exposure profiles: source weights in SOURCE_CODES order, handled weights in HANDLED_CODES order
_SOURCE_INTERNAL = (0.35, 0.55, 0.05, 0.03, 0.02)
_SOURCE_EXTERNAL = (0.02, 0.03, 0.0, 0.85, 0.10)
_HANDLED_WELL = (0.65, 0.15, 0.05, 0.15)
_HANDLED_BADLY = (0.10, 0.45, 0.40, 0.05)

_BASE_RATE: Mapping[str, float] = {
    "bullying": 0.03,
    "sexual_harassment": 0.015,
    "threats": 0.03,
    "violence": 0.01,
}
_EXTERNAL_KINDS = ("threats", "violence")


def _exposure_profile(
    kind: str, unit_id: str, wave: str, units: Sequence[DemoUnit], story: Story
) -> tuple[float, tuple[float, ...], tuple[float, ...]]:
    """``(P(exposed), source weights, handled weights)`` for one kind in one unit and wave."""
    external = kind in _EXTERNAL_KINDS
    rate = _BASE_RATE.get(kind, 0.02)
    source = _SOURCE_EXTERNAL if external else _SOURCE_INTERNAL
    handled = _HANDLED_WELL
    if external and _area(unit_id, units) in story.care_areas:
        rate = {"threats": 0.09, "violence": 0.05}[kind]
    if unit_id in subtree(story.harassment, units) and not external:
        rate = {"bullying": 0.22, "sexual_harassment": 0.12}.get(kind, rate) * (
            1.0 if wave == CURRENT else 0.4
        )
        handled = _HANDLED_BADLY
    if unit_id in subtree(story.threats, units) and kind == "threats":
        rate = 0.35
        handled = _HANDLED_BADLY
    return rate, source, handled


def _exposure_cells(
    exposure: Exposure,
    rng: np.random.Generator,
    respondent_units: np.ndarray,
    wave: str,
    units: Sequence[DemoUnit],
    story: Story,
) -> dict[str, np.ndarray]:
    """Cells of one exposure block (question 0–4, source, handled, told) for every respondent."""
    n = respondent_units.size
    rate = np.empty(n)
    source_w = np.empty((n, len(SOURCE_CODES)))
    handled_w = np.empty((n, len(HANDLED_CODES)))
    for uid in np.unique(respondent_units):
        mask = respondent_units == uid
        r, s, h = _exposure_profile(exposure.kind, str(uid), wave, units, story)
        rate[mask], source_w[mask], handled_w[mask] = r, s, h

    exposed = rng.random(n) < rate
    freq = rng.choice([1, 2, 3, 4], size=n, p=[0.6, 0.25, 0.1, 0.05])
    question = np.where(exposed, freq, 0)
    q_missing = rng.random(n) < 0.02
    out: dict[str, np.ndarray] = {}
    q_cells = question.astype(str).astype(object)
    q_cells[q_missing] = ""
    out[exposure.question.id] = q_cells
    answered = exposed & ~q_missing

    if exposure.source is not None:
        cum = np.cumsum(source_w, axis=1)
        primary = (rng.random((n, 1)) * cum[:, -1:] > cum).sum(axis=1)
        second = rng.integers(0, len(SOURCE_CODES), size=n)
        two = rng.random(n) < 0.15
        src = np.full(n, "", dtype=object)
        unanswered = rng.random(n) < 0.03
        for i in np.flatnonzero(answered & ~unanswered):
            picked = {int(primary[i])} | ({int(second[i])} if two[i] else set())
            src[i] = ";".join(SOURCE_CODES[k] for k in sorted(picked))
        out[exposure.source.id] = src
    if exposure.handled is not None:
        cum = np.cumsum(handled_w, axis=1)
        pick = (rng.random((n, 1)) * cum[:, -1:] > cum).sum(axis=1)
        handled = np.full(n, "", dtype=object)
        handled[answered] = np.array(HANDLED_CODES, dtype=object)[pick[answered]]
        out[exposure.handled.id] = handled
    if exposure.told is not None:
        no_one = rng.random(n) < 0.3
        told_sets = rng.random((n, len(TOLD_CODES) - 1)) < 0.3
        told = np.full(n, "", dtype=object)
        for i in np.flatnonzero(answered):
            if no_one[i]:
                told[i] = "no_one"
            else:
                chosen = [TOLD_CODES[k] for k in range(len(TOLD_CODES) - 1) if told_sets[i, k]]
                told[i] = ";".join(chosen or [TOLD_CODES[0]])
        out[exposure.told.id] = told
    return out


def responses_csv(frame: pd.DataFrame) -> str:
    """Contract ``responses.csv`` text of a frame from :func:`generate_responses`."""
    return rows_to_csv(list(frame.columns), frame.to_dict("records"))


def write_demo_files(
    directory: str | Path, questionnaires: Sequence[Questionnaire], seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write ``units.csv`` and one ``responses_<id>.csv`` per questionnaire; return the paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"units": d / "units.csv"}
    paths["units"].write_text(units_csv(), encoding="utf-8")
    for q in questionnaires:
        path = d / f"responses_{q.id}.csv"
        path.write_text(responses_csv(generate_responses(q, seed)), encoding="utf-8")
        paths[q.id] = path
    return paths


# =====================================================================================================
# the demo runner (``trivsel demo``): a database built through the application's services
# =====================================================================================================

#: the open wave a person can answer right away
OPEN_WAVE = "2026"
#: units that get unused invitations in the open wave: (unit_id, links, codes)
INVITED: tuple[tuple[str, int, int], ...] = (("TEK-VEJ", 3, 3), ("DAG-N-SOL", 3, 3), ("AEL-HJE-N", 2, 2))
DEMO_EMAIL_DOMAIN = "demo.trivsel.example"
#: the reason the committee typed for the demo's override
OVERRIDE_REASON = (
    "Besluttet i HovedMED: enheden har en konkret plan for et trivselsforløb, selv om kriterierne giver 0 kr."
)
#: the themes the demo's funding applications name (typed by the committee, so Danish on every page)
APPLICATION_THEMES = (
    "Ledelse", "Arbejdsmængde", "Samarbejde", "Vold og trusler", "Krænkende adfærd", "Stress",
)
#: the organisation's help contacts in the demo (shown at the end of the offensive-behaviour part and on every
#: dialogue sheet); invented names, reserved example phone numbers and addresses
DEMO_HELP_CONTACTS = {
    "hr": {
        "name": "Mette Holm, HR-partner", "phone": "+45 70 00 00 01",
        "email": f"hr-partner@{DEMO_EMAIL_DOMAIN}",
        "text_da": "Ring eller skriv, hvis du vil tale om mobning, chikane eller trusler. Det er fortroligt.",
        "text_en": "Call or write if you want to talk about bullying, harassment or threats. "
        "It is confidential.",
    },
    "representative": {
        "name": "Jonas Berg, arbejdsmiljørepræsentant", "phone": "+45 70 00 00 02",
        "email": f"amr@{DEMO_EMAIL_DOMAIN}",
        "text_da": "Arbejdsmiljørepræsentanten kan tage en sag op uden at nævne dit navn.",
        "text_en": "The work-environment representative can raise a matter without naming you.",
    },
    "counselling": {
        "name": "Psykologisk rådgivning", "phone": "+45 70 00 00 03",
        "email": f"raadgivning@{DEMO_EMAIL_DOMAIN}",
        "text_da": "Gratis og anonym samtale med en psykolog, hele døgnet.",
        "text_en": "A free and anonymous talk with a psychologist, day and night.",
    },
}
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class DemoSetup:
    """What :func:`build_demo` made (printed by :func:`run_demo`)."""

    db_path: Path
    url: str
    #: (role, e-mail, password, unit or None)
    logins: tuple[tuple[str, str, str, str | None], ...]
    links: tuple[str, ...]
    codes: tuple[str, ...]
    responses: Mapping[str, int]
    #: folder with the imported files (units.csv, responses_<id>.csv) for trying ``trivsel analyse``
    files: Path


class DemoError(RuntimeError):
    """The demo cannot be built (e.g. ``--db`` names a file that is not a SQLite database)."""


def _remove_database(path: Path) -> None:
    """Delete an earlier demo database (refusing anything that is not a SQLite file)."""
    if path.exists():
        if path.is_dir():
            raise DemoError(f"{path} is a directory; give --db a file name such as instance/demo.sqlite")
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise DemoError(
                f"{path} exists and is not a SQLite database; the demo only replaces its own database. "
                "Choose another --db path / vælg en anden sti"
            )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo(
    db_path: str | Path,
    *,
    base_url: str = "http://127.0.0.1:5000",
    seed: int = DEFAULT_SEED,
    progress: bool = True,
) -> tuple[Any, DemoSetup]:
    """(Re)create a SQLite demo database at ``db_path``; return ``(app, setup)``.

    Steps, each through the application's services: migrations; the unit tree; waves 2024 and 2025
    (closed, imported from the generated ``responses.csv`` of each shipped questionnaire, written with
    ``units.csv`` into the folder ``<db name>-files`` beside the database; 2025 with baseline 2024);
    three years of absence, accidents and incidents and a few authority reactions (``survey.demo_workenv``);
    an open wave 2026 with unused invitation links and codes; one user per role with a random demo
    password.
    """
    import secrets

    import click
    from flask_migrate import upgrade

    import questionnaires as qmod
    from survey import MIGRATIONS_DIR, create_app
    from survey.services import dataset, invitations, users, waves
    from survey.services.units import UnitRow, replace_units

    path = Path(db_path).expanduser().resolve()
    _remove_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files = path.parent / f"{path.stem}-files"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": secrets.token_hex(32)})
    loaded = [qmod.load(qid) for qid in DEMO_QUESTIONNAIRES]
    counts: dict[str, int] = {}
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        replace_units([UnitRow(u.unit_id, u.parent_id, u.name, u.headcount) for u in UNITS])
        files.mkdir(parents=True, exist_ok=True)
        (files / "units.csv").write_text(units_csv(), encoding="utf-8")
        steps = click.progressbar(
            loaded,
            label="Importing waves 2024 and 2025 / importerer målinger",
            item_show_func=lambda q: q.id if q is not None else "",
            file=None if progress else io.StringIO(),
        )
        with steps as bar:
            for i, q in enumerate(bar):
                csv_path = files / f"responses_{q.id}.csv"
                csv_path.write_text(responses_csv(generate_responses(q, seed)), encoding="utf-8")
                summary = dataset.import_responses(
                    csv_path, q, baselines={CURRENT: BASELINE} if i == 0 else None
                )
                counts[q.id] = summary.total
        from survey import demo_workenv  # three years of absence, accidents and incidents (annual report)

        demo_workenv.write_and_import(files, [(u.unit_id, u.headcount) for u in UNITS])
        waves.create_wave(OPEN_WAVE, loaded, baseline=CURRENT)
        waves.open_wave(OPEN_WAVE)
        links: list[str] = []
        codes: list[str] = []
        for unit_id, n_links, n_codes in INVITED:
            links += [f"{base_url}/r/{t}" for t in invitations.create_links(OPEN_WAVE, unit_id, n_links)]
            codes += invitations.create_codes(OPEN_WAVE, unit_id, n_codes)
        logins = []
        for role, unit in (("admin", None), ("hr", None), ("committee", None), ("manager", STORY.declining)):
            email = f"{role}@{DEMO_EMAIL_DOMAIN}"
            password = secrets.token_urlsafe(12)
            users.create_user(email, role, password, unit_id=unit)
            logins.append((role, email, password, unit))
        demo_funding_round(f"committee@{DEMO_EMAIL_DOMAIN}", seed)
        from survey.services import help_contacts

        help_contacts.save(DEMO_HELP_CONTACTS)
    setup = DemoSetup(
        db_path=path,
        url=base_url + "/",
        logins=tuple(logins),
        links=tuple(links),
        codes=tuple(codes),
        responses=counts,
        files=files,
    )
    return app, setup


def demo_funding_round(actor: str, seed: int = DEFAULT_SEED) -> None:
    """The committee's funding round over the closed wave (as Vejle's steering group had it): a budget of
    900.000 kr., one application from each of the 31 units (requested amount, themes, MED area), version 1
    run and locked, and a draft version 2 with one override (a unit the criteria give nothing, decided by
    the committee with its reason). Everything through :mod:`survey.services.funding`."""
    from survey.services import funding

    areas = {
        "K": "HovedMED",
        "DAG": "FagMED Dagtilbud",
        "AEL": "FagMED Senior",
        "TEK": "FagMED Teknik",
        "KUB": "FagMED Kultur",
        "OEK": "FagMED Administration",
    }
    themes = APPLICATION_THEMES
    rng = _rng(seed, "funding")
    rnd = funding.create_round(CURRENT, 900_000, None, 1.0)
    for n, unit in enumerate(UNITS, start=1):
        picked = rng.choice(len(themes), size=int(rng.integers(1, 4)), replace=False)
        funding.add_application(
            rnd.id,
            f"SAG-{100 + n}",
            unit.unit_id,
            int(rng.integers(15, 71)) * 1000,
            "; ".join(themes[int(i)] for i in sorted(picked)),
            "",
            areas[_area(unit.unit_id, UNITS)],
        )
    first = funding.run_allocation(rnd.id, actor)
    funding.lock_decision(rnd.id, first.version, actor)
    # the largest team (a unit without units below it) the criteria give nothing
    parents = {u.parent_id for u in UNITS}
    nothing = [g for g in first.result["grants"] if g["amount"] == 0 and g["unit_id"] not in parents]
    nothing.sort(key=lambda g: (-int(g["headcount"] or 0), g["unit_id"]))
    unit_id = (nothing or first.result["grants"])[0]["unit_id"]
    funding.set_override(
        rnd.id,
        unit_id,
        25_000,
        OVERRIDE_REASON,
    )
    funding.run_allocation(rnd.id, actor)


def describe(setup: DemoSetup) -> str:
    """The text ``trivsel demo`` prints after the setup."""
    names = {u.unit_id: u.name for u in UNITS}
    lines = [
        "",
        "Trivsel demo is ready / Trivsel-demo er klar",
        f"  database: {setup.db_path}",
        "  responses: "
        + ", ".join(f"{qid} {n}" for qid, n in setup.responses.items())
        + f" (waves {BASELINE} and {CURRENT}); wave {OPEN_WAVE} is open",
        "",
        f"  Open / Åbn: {setup.url}",
        "",
        "  DEMO ONLY – these passwords are shown on screen; never use this database for real answers.",
        "  KUN DEMO – adgangskoderne vises på skærmen; brug aldrig denne database til rigtige besvarelser.",
    ]
    for role, email, password, unit in setup.logins:
        extra = f"  (unit {unit}: {names.get(unit, unit)})" if unit else ""
        lines.append(f"    {role:<10} {email:<34} {password}{extra}")
    lines += ["", f"  Answer wave {OPEN_WAVE} / Besvar måling {OPEN_WAVE}:"]
    lines += [f"    link:  {link}" for link in setup.links[:2]]
    lines += [f"    code / kode: {code}  (enter at {setup.url}kode)" for code in setup.codes[:2]]
    lines += [
        "",
        f"  The imported files are in {setup.files}; try the analysis on them / prøv analysen:",
        f"    {trivsel_command()} analyse --units {setup.files / 'units.csv'}"
        f" --responses {setup.files / 'responses_trivsel.csv'} --questionnaire trivsel"
        f" --wave {CURRENT} --baseline {BASELINE} --json report.json --html report.html",
        "",
    ]
    return "\n".join(lines)


def trivsel_command() -> str:
    """How to type the ``trivsel`` command so that it runs as printed: plain ``trivsel`` when that is
    the one on PATH, else the script beside this Python (``.venv/bin/trivsel`` from a checkout whose
    venv is not activated; relative to the current folder when it is inside it)."""
    script = Path(sys.executable).with_name("trivsel")
    if not script.exists():
        return "trivsel"
    on_path = shutil.which("trivsel")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "trivsel"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def run_demo(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    serve: bool = True,
    seed: int = DEFAULT_SEED,
) -> DemoSetup:
    """``trivsel demo``: build the demo database, print how to use it, and serve it unless not ``serve``."""
    import click

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    app, setup = build_demo(db_path, base_url=f"http://{shown_host}:{port}", seed=seed)
    click.echo(describe(setup))
    if serve:
        from werkzeug.serving import run_simple

        click.echo("Serving; stop with Ctrl+C / Stop med Ctrl+C")
        # app.run() refuses to start inside the flask CLI (the trivsel command is a FlaskGroup); run_simple is
        # what app.run calls, without debugger or reloader
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
    return setup


__all__ = [
    "BASELINE",
    "CURRENT",
    "DEFAULT_SEED",
    "DEMO_QUESTIONNAIRES",
    "STORY",
    "UNITS",
    "WAVES",
    "DemoError",
    "DemoSetup",
    "DemoUnit",
    "Story",
    "build_demo",
    "describe",
    "generate_responses",
    "respondent_counts",
    "responses_csv",
    "rows_to_csv",
    "run_demo",
    "subtree",
    "theme_roles",
    "unit_rows",
    "units_csv",
    "write_demo_files",
]
