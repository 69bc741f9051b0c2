"""Responses between the database, the contract's ``responses.csv`` (contract.md 1.3) and the analysis frames.

- :func:`import_responses` – a contract ``responses.csv`` into closed waves, all rows or none;
- :func:`export_responses` (audited; ``trivsel responses export``), :func:`prepare_export`,
  :func:`export_rows`, :func:`export_text`, :func:`export_csv` – a closed wave back out in the same format,
  safe to hand out: units below ``k_min`` respondents lifted into an ancestor, no free text, random order;
- :func:`analysis_frames` – the ``(units_df, responses_df)`` that ``analysis.report.analyse`` takes.

There is one validation path: the CSV import and :func:`analysis_frames` both hand contract cells (strings)
to ``analysis.inputs.responses_frame``, which checks every cell and raises ``analysis.csvio.InputError``
naming the file, line, column and value.

Stored form (see ``survey.models``): one :class:`~survey.models.Response` per row, ``answers`` = item id ->
code (``int`` scale code incl. the don't-know code, ``int`` 0–4 exposure question, ``list[str]`` source /
told in code order, ``str`` handled); a skipped cell has no key. Follow-up cells (source, handled, told) are
kept only when the exposure question is 1–4, as the answering form does; an import drops others and says how
many. Anonymity: rows are shuffled with an unseeded generator before insert and again in every export, so no
order follows storage, insertion or answering.
"""

from __future__ import annotations

import csv
import io
import os
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

import questionnaires
from analysis import csvio
from analysis.inputs import response_columns, responses_frame, units_frame
from questionnaires import SOURCE_CODES, TOLD_CODES, Questionnaire
from survey.extensions import db
from survey.models import Comment, Response, Unit, Wave, WaveQuestionnaire
from survey.services import Conflict, NotFound, ServiceError, audit
from survey.services.waves import snapshot

#: raised for every refusal of this module (a state conflict, an unknown wave or questionnaire)
DatasetError = ServiceError

#: language recorded for imported responses (the contract's file does not say which one was used)
IMPORT_LANGUAGE = "da"

_MULTI_ORDER: Mapping[str, tuple[str, ...]] = {"source": SOURCE_CODES, "told": TOLD_CODES}


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_responses` stored."""

    questionnaire_id: str
    questionnaire_version: int
    #: responses stored per wave label, in the order the labels first appear in the file
    rows_per_wave: dict[str, int]
    #: wave labels created by this import (the others existed, closed, without this questionnaire's rows)
    created_waves: tuple[str, ...]
    #: follow-up cells (source/handled/told) left out because their exposure question was not 1–4
    dropped_followups: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows_per_wave.values())


# ---------------------------------------------------------------------------------------------------
# cells <-> stored answers
# ---------------------------------------------------------------------------------------------------


def _exposure_parts(q: Questionnaire) -> dict[str, tuple[str, str]]:
    """Column id -> (part, question column id of the same exposure)."""
    out: dict[str, tuple[str, str]] = {}
    for exposure in q.exposures:
        for part, question in exposure.parts():
            out[question.id] = (part, exposure.question.id)
    return out


def cells_to_answers(q: Questionnaire, cells: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    """Stored answers of one *validated* row of contract cells; also the number of dropped follow-ups."""
    answers: dict[str, Any] = {}
    for item in q.items:
        value = cells[item.id]
        if value not in ("", "NA"):
            answers[item.id] = int(value)
    parts = _exposure_parts(q)
    dropped = 0
    for col, (part, question_col) in parts.items():
        value = cells[col]
        if part == "question":
            if value != "":
                answers[col] = int(value)
            continue
        if value == "":
            continue
        if cells[question_col] in ("", "0"):
            dropped += 1
            continue
        if part == "handled":
            answers[col] = value
        else:
            chosen = {code.strip() for code in value.split(";")}
            answers[col] = [code for code in _MULTI_ORDER[part] if code in chosen]
    return answers, dropped


def answers_to_cells(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, str]:
    """Contract cells (strings) of stored answers, for the columns of ``q`` (absent key -> empty cell)."""
    cells: dict[str, str] = {}
    for item in q.items:
        value = answers.get(item.id)
        cells[item.id] = "" if value is None else str(int(value))
    for col, (part, _question_col) in _exposure_parts(q).items():
        value = answers.get(col)
        if value is None:
            cells[col] = ""
        elif part == "question":
            cells[col] = str(int(value))
        elif part == "handled":
            cells[col] = str(value)
        else:
            order = _MULTI_ORDER[part]
            codes = set(value)
            cells[col] = ";".join([c for c in order if c in codes] + sorted(codes - set(order)))
    return cells


# ---------------------------------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------------------------------


def _load_questionnaire(questionnaire: Questionnaire | str | Path) -> Questionnaire:
    if isinstance(questionnaire, Questionnaire):
        return questionnaire
    return questionnaires.load(questionnaire)  # raises QuestionnaireError with a clear message


def import_responses(
    path: str | Path,
    questionnaire: Questionnaire | str | Path,
    *,
    baselines: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Import a contract ``responses.csv`` as closed waves named by its ``wave`` column, in one transaction.

    Every cell is validated first (``analysis.inputs.responses_frame``; raises ``InputError`` naming file,
    line, column, value). A wave label that does not exist yet becomes a new *closed* wave running
    ``questionnaire`` (its definition stored as the wave's snapshot; ``baselines`` maps a new wave's label to
    its baseline's label). An existing wave is used only when it is closed, has no responses for this
    questionnaire yet, and (if it runs the questionnaire) runs the same version; otherwise :class:`Conflict`.
    Rows are shuffled before they are stored. On any error nothing is stored. Audited
    (``responses.import``: the file's name and the questionnaire).
    """
    q = _load_questionnaire(questionnaire)
    session = db.session
    unit_ids = set(session.scalars(sa.select(Unit.unit_id)))
    table = csvio.read_table(path, required=response_columns(q))
    if not table.rows:
        raise csvio.InputError(
            table.name, "the file has no response rows; add one row per respondent below the header", line=2
        )
    responses_frame(table.name, table, q, unit_ids)  # validation only: raises InputError

    labels: list[str] = []
    rows_by_wave: dict[str, list[dict[str, str]]] = {}
    for _line, record in table.records():
        label = record["wave"]
        if label not in rows_by_wave:
            labels.append(label)
            rows_by_wave[label] = []
        rows_by_wave[label].append(record)
    baselines = dict(baselines or {})
    for label, base in baselines.items():
        if label not in rows_by_wave:
            raise ServiceError(
                "baselines names wave '%(label)s', which is not in %(name)s",
                label=label,
                name=table.name,
            )
        if base == label:
            raise ServiceError("wave '%(label)s' cannot be its own baseline", label=label)

    created: list[str] = []
    dropped = 0
    counts: dict[str, int] = {}
    try:
        waves: dict[str, Wave] = {}
        for label in labels:
            wave = session.scalar(sa.select(Wave).where(Wave.label == label))
            if wave is None:
                wave = Wave(label=label, status="closed")
                wave.questionnaires.append(
                    WaveQuestionnaire(
                        position=0, questionnaire_id=q.id, version=q.version, definition=snapshot(q)
                    )
                )
                session.add(wave)
                created.append(label)
            else:
                _check_existing(wave, q)
            waves[label] = wave
        session.flush()
        for label, base in baselines.items():
            if label not in created:
                raise Conflict(
                    "wave '%(label)s' already exists; its baseline is set where the wave was made",
                    label=label,
                )
            base_wave = waves.get(base) or session.scalar(sa.select(Wave).where(Wave.label == base))
            if base_wave is None:
                raise NotFound(
                    "baseline wave '%(base)s' of wave '%(label)s' does not exist",
                    base=base,
                    label=label,
                )
            waves[label].baseline_id = base_wave.id

        values: list[dict[str, Any]] = []
        for label in labels:
            for record in rows_by_wave[label]:
                answers, n_dropped = cells_to_answers(q, record)
                dropped += n_dropped
                values.append(
                    {
                        "id": uuid.uuid4(),
                        "wave_id": waves[label].id,
                        "unit_id": record["unit_id"],
                        "questionnaire_id": q.id,
                        "language": IMPORT_LANGUAGE,
                        "answers": answers,
                    }
                )
            counts[label] = len(rows_by_wave[label])
        random.SystemRandom().shuffle(values)  # storage order must not follow file order
        if values:
            session.execute(sa.insert(Response), values)
        audit.record("responses.import", target=Path(path).name, detail=f"questionnaire={q.id}")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportSummary(
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        rows_per_wave=counts,
        created_waves=tuple(created),
        dropped_followups=dropped,
    )


def _check_existing(wave: Wave, q: Questionnaire) -> None:
    """Refuse to import into an open/draft wave, a different version, or a wave that already has rows."""
    if wave.status != "closed":
        raise Conflict(
            "wave '%(label)s' is %(status)s; responses can only be imported into a closed "
            "wave or under a new wave label (change the 'wave' column)",
            label=wave.label,
            status=wave.status,
        )
    existing = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .where(Response.wave_id == wave.id, Response.questionnaire_id == q.id)
    )
    if existing:
        raise Conflict(
            "wave '%(label)s' already has %(existing)s responses for questionnaire '%(id)s'; "
            "a wave is imported once (use a new wave label to import again)",
            label=wave.label,
            existing=existing,
            id=q.id,
        )
    runs = {wq.questionnaire_id: wq for wq in wave.questionnaires}
    if q.id in runs:
        if runs[q.id].version != q.version:
            raise Conflict(
                "wave '%(label)s' runs questionnaire '%(id)s' version %(version)s, the import "
                "uses version %(used_version)s; import with the matching definition file",
                label=wave.label,
                id=q.id,
                version=runs[q.id].version,
                used_version=q.version,
            )
    else:
        position = max((wq.position for wq in wave.questionnaires), default=-1) + 1
        wave.questionnaires.append(
            WaveQuestionnaire(
                position=position, questionnaire_id=q.id, version=q.version, definition=snapshot(q)
            )
        )


# ---------------------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------------------


def _wave_questionnaire(wave_label: str, questionnaire_id: str) -> tuple[Wave, Questionnaire]:
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == wave_label))
    if wave is None:
        known = ", ".join(db.session.scalars(sa.select(Wave.label).order_by(Wave.label))) or "none yet"
        raise NotFound(
            "no wave '%(wave_label)s'; known waves: %(known)s",
            wave_label=wave_label,
            known=known,
        )
    for wq in wave.questionnaires:
        if wq.questionnaire_id == questionnaire_id:
            return wave, wq.load()
    runs = ", ".join(wq.questionnaire_id for wq in wave.questionnaires) or "none"
    raise NotFound(
        "wave '%(wave_label)s' does not run questionnaire '%(questionnaire_id)s'; it "
        "runs: %(runs)s",
        wave_label=wave_label,
        questionnaire_id=questionnaire_id,
        runs=runs,
    )


def wave_questionnaire(wave_label: str, questionnaire_id: str) -> Questionnaire:
    """The questionnaire as the wave ran it (its stored snapshot)."""
    return _wave_questionnaire(wave_label, questionnaire_id)[1]


def _sorted_rows(rows: Iterable[dict[str, str]], columns: Sequence[str]) -> list[dict[str, str]]:
    """Sorted by unit, then by the cells themselves: the order says nothing about when a row was stored."""
    return sorted(rows, key=lambda r: tuple(r[c] for c in columns[1:]))


def _rows(wave: Wave, q: Questionnaire, label: str, columns: Sequence[str]) -> list[dict[str, str]]:
    result = db.session.execute(
        sa.select(Response.unit_id, Response.answers).where(
            Response.wave_id == wave.id, Response.questionnaire_id == q.id
        )
    )
    return [
        {"wave": label, "unit_id": unit_id, **answers_to_cells(q, answers)} for unit_id, answers in result
    ]


@dataclass(frozen=True)
class ResponsesExport:
    """What :func:`export_rows` / :func:`export_responses` give out for one wave and questionnaire."""

    wave_label: str
    questionnaire_id: str
    columns: tuple[str, ...]
    #: contract rows in random order; a lifted unit's rows carry its ancestor's ``unit_id``
    rows: list[dict[str, str]]
    k_min: int
    #: unit id -> (its respondents, the ancestor its rows were lifted into), sorted by unit id
    lifted: dict[str, tuple[int, str]]
    #: free-text comments of the wave and questionnaire that are not in the file
    dropped_comments: int

    @property
    def text(self) -> str:
        return rows_to_text(self.columns, self.rows)

    def summary_lines(self) -> list[str]:
        """The operator's summary (English; printed on stderr by ``trivsel responses export``)."""
        lines = [
            f"wave {self.wave_label}, questionnaire {self.questionnaire_id}: {len(self.rows)} responses "
            "exported in random order"
        ]
        into: dict[str, list[str]] = {}
        for unit, (n, ancestor) in self.lifted.items():
            into.setdefault(ancestor, []).append(f"{unit} ({n})")
        if into:
            total = sum(n for n, _a in self.lifted.values())
            lines.append(
                f"{len(self.lifted)} unit(s) with fewer than k_min={self.k_min} respondents were lifted into "
                f"their nearest ancestor with enough ({total} responses carry the ancestor's unit_id):"
            )
            lines.extend(f"  into {a}: {', '.join(units)}" for a, units in sorted(into.items()))
        else:
            lines.append(
                f"no unit was lifted: every unit in the file has at least k_min={self.k_min} responses"
            )
        lines.append(
            f"free text dropped: {self.dropped_comments} comment(s) of this wave and questionnaire are "
            "not in the file"
        )
        return lines


def lift_small_units(
    counts: Mapping[str, int], parents: Mapping[str, str | None], k_min: int
) -> dict[str, str]:
    """unit id -> the unit id its rows are exported under, so that every exported unit id has ≥ ``k_min``.

    ``counts`` are respondents per unit, ``parents`` the unit tree (``None`` for the root). Bottom-up: a
    unit whose own respondents plus those lifted into it from below number 1 to ``k_min - 1`` is lifted
    into its parent, and so on up the tree. Raises :class:`Conflict` when a root would still have fewer
    than ``k_min`` (nothing can be exported without singling people out).
    """
    depth: dict[str, int] = {}

    def _depth(unit: str) -> int:
        if unit not in depth:
            seen: list[str] = []
            u: str | None = unit
            while u is not None and u not in depth:
                if u in seen:
                    raise ServiceError("the unit tree has a cycle through '%(u)s'", u=u)
                seen.append(u)
                u = parents.get(u)
            base = -1 if u is None else depth[u]
            for i, s in enumerate(reversed(seen), start=1):
                depth[s] = base + i
        return depth[unit]

    for unit in counts:
        if unit not in parents:
            raise NotFound(
                "responses name unit '%(unit)s', which is not in the unit tree; import units.csv",
                unit=unit,
            )
    pool = {u: n for u, n in counts.items() if n}
    target = {u: u for u in pool}
    for unit in sorted(parents, key=lambda u: (-_depth(u), u)):
        n = pool.get(unit, 0)
        if n == 0 or n >= k_min:
            continue
        parent = parents[unit]
        if parent is None:
            raise Conflict(
                "only %(n)s responses in all under '%(unit)s', fewer than k_min=%(k_min)s: even "
                "the whole organisation is too small to export without singling people out; "
                "nothing was written",
                n=n,
                unit=unit,
                k_min=k_min,
            )
        pool[parent] = pool.get(parent, 0) + n
        pool[unit] = 0
        for u, t in target.items():
            if t == unit:
                target[u] = parent
    return target


def prepare_export(wave_label: str, questionnaire_id: str) -> ResponsesExport:
    """One closed wave in contract form (``wave, unit_id, <items>, <exposure columns>``), safe to hand out.

    Columns follow the wave's questionnaire snapshot; every cell is a string (empty when not answered,
    multi-codes joined by ``;`` in code order). The rows

    - are of a *closed* wave only (:class:`Conflict` otherwise): two exports of a running wave taken
      before and after one person answers would differ by exactly that person's row;
    - carry no unit id with fewer than ``k_min`` respondents: such a unit's rows are lifted into its
      nearest ancestor that has enough (:func:`lift_small_units`; :class:`Conflict` when even the root
      has fewer);
    - have no free text (comments are stored apart and never exported;
      :attr:`ResponsesExport.dropped_comments` counts them);
    - come in random order (an unseeded shuffle), never in storage or answering order.

    Reads only; :func:`export_responses` writes the file and the audit event.
    """
    from flask import current_app

    from analysis.publish import K_FLOOR
    from survey.services.reporting import analysis_settings

    wave, q = _wave_questionnaire(wave_label, questionnaire_id)
    if wave.status != "closed":
        raise Conflict(
            "wave '%(label)s' is %(status)s; responses are exported once the wave is closed "
            "(two exports of a running wave would single out the answers given in between)",
            label=wave.label,
            status=wave.status,
        )
    # never below the shipped floor or TRIVSEL_K_MIN, whatever a settings mapping says (as publication)
    k_min = max(int(analysis_settings().k_min), K_FLOOR, int(current_app.config.get("TRIVSEL_K_MIN") or 0))
    columns = response_columns(q)
    rows = _rows(wave, q, wave.label, columns)
    # the tree the wave was published with, when it has a publication: lifted along today's tree after an
    # edit, two exports (before and after) would differ by a unit the publication never showed apart
    from survey.services.reporting import versions

    stored = versions(wave, q.id)
    if stored:
        parents = {str(u["unit_id"]): (str(u.get("parent_id") or "") or None) for u in stored[-1].units}
    else:
        parents = {u: p for u, p in db.session.execute(sa.select(Unit.unit_id, Unit.parent_id))}
    counts = Counter(r["unit_id"] for r in rows)
    target = lift_small_units(counts, parents, k_min)
    for row in rows:
        row["unit_id"] = target[row["unit_id"]]
    random.SystemRandom().shuffle(rows)
    dropped = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Comment)
        .where(Comment.wave_id == wave.id, Comment.questionnaire_id == q.id)
    )
    return ResponsesExport(
        wave_label=wave.label,
        questionnaire_id=q.id,
        columns=tuple(columns),
        rows=rows,
        k_min=k_min,
        lifted={u: (counts[u], t) for u, t in sorted(target.items()) if t != u},
        dropped_comments=int(dropped or 0),
    )


def export_rows(wave_label: str, questionnaire_id: str) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    """``(columns, rows)`` of :func:`prepare_export` (small units lifted, no free text, random order)."""
    export = prepare_export(wave_label, questionnaire_id)
    return export.columns, export.rows


def rows_to_text(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """CSV text with ``,`` and RFC 4180 quoting (a ``colleague;citizen`` cell stays one cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return buf.getvalue()


def _write_temp(path: Path, text: str) -> Path:
    """``text`` in a new temporary file beside ``path`` (renamed into place by the caller)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def export_responses(
    wave_label: str, questionnaire_id: str, output: str | Path | None = None
) -> ResponsesExport:
    """The operator's export (``trivsel responses export``): :func:`export_rows`, audited.

    With ``output`` the file is written whole or not at all (a temporary file beside it, renamed into
    place once the audit event ``responses.export`` is committed); raises ``OSError`` when it cannot be
    written. Without ``output`` the caller writes :attr:`ResponsesExport.text`. The audit event holds the
    wave, questionnaire and counts, never answers.
    """
    export = prepare_export(wave_label, questionnaire_id)
    path = None if output is None else Path(output)
    tmp = None if path is None else _write_temp(path, export.text)
    session = db.session
    try:
        audit.record(
            "responses.export",
            target=export.wave_label,
            detail=(
                f"questionnaire={export.questionnaire_id} rows={len(export.rows)} "
                f"lifted_units={len(export.lifted)} "
                f"lifted_rows={sum(n for n, _a in export.lifted.values())} "
                f"dropped_comments={export.dropped_comments} k_min={export.k_min}"
            ),
        )
        session.commit()
    except BaseException:
        session.rollback()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    if path is not None and tmp is not None:
        os.replace(tmp, path)
    return export


def export_text(wave_label: str, questionnaire_id: str) -> str:
    """One wave as the text of a contract ``responses.csv`` (:func:`export_rows`; not audited)."""
    return prepare_export(wave_label, questionnaire_id).text


def export_csv(wave_label: str, questionnaire_id: str, path: str | Path) -> int:
    """:func:`export_responses` to ``path`` (UTF-8, audited); return the number of rows."""
    return len(export_responses(wave_label, questionnaire_id, path).rows)


# ---------------------------------------------------------------------------------------------------
# analysis frames
# ---------------------------------------------------------------------------------------------------


def units_rows() -> list[dict[str, str]]:
    """The unit tree in contract form (``units.csv`` cells), sorted by ``unit_id``."""
    units = db.session.scalars(sa.select(Unit).order_by(Unit.unit_id))
    return [
        {
            "unit_id": u.unit_id,
            "parent_id": u.parent_id or "",
            "name": u.name,
            "headcount": "" if u.headcount is None else str(u.headcount),
        }
        for u in units
    ]


UNIT_COLUMNS = ("unit_id", "parent_id", "name", "headcount")


def units_df_from_rows(name: str, rows: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """A units DataFrame (``analysis.inputs.units_frame``) from rows in :func:`units_rows` form."""
    return units_frame(name, _table(name, UNIT_COLUMNS, rows))


def _table(name: str, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> csvio.Table:
    return csvio.Table(
        name=name,
        columns=tuple(columns),
        rows=tuple((line, tuple(r[c] for c in columns)) for line, r in enumerate(rows, start=2)),
    )


def analysis_frames(
    wave_label: str, questionnaire_id: str, baseline: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(units_df, responses_df)`` for ``analysis.report.analyse``, through the CSV import's validation.

    ``responses_df`` holds the rows of ``wave_label`` and, when given, of ``baseline``, in the columns of
    ``wave_label``'s questionnaire snapshot (an item the baseline did not ask is empty there; an item only
    the baseline asked is left out). The baseline must run the same questionnaire id.
    """
    wave, q = _wave_questionnaire(wave_label, questionnaire_id)
    columns = response_columns(q)
    rows = _rows(wave, q, wave.label, columns)
    if baseline is not None:
        base_wave, base_q = _wave_questionnaire(baseline, questionnaire_id)
        for row in _rows(base_wave, base_q, base_wave.label, response_columns(base_q)):
            rows.append({c: row.get(c, "") for c in columns})
    rows = _sorted_rows(rows, columns)
    unit_list = units_rows()
    units_df = units_df_from_rows("units (database)", unit_list)
    name = f"responses of wave {wave_label} ({questionnaire_id}, database)"
    responses_df = responses_frame(name, _table(name, columns, rows), q, {u["unit_id"] for u in unit_list})
    return units_df, responses_df


def row_multiset(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> Counter[tuple[str, ...]]:
    """Rows as a multiset of cell tuples (for comparing an import with its export)."""
    return Counter(tuple(r[c] for c in columns) for r in rows)
