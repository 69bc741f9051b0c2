"""The contract's input files as validated DataFrames (contract.md 1.1, 1.3 and 4).

Every problem raises :class:`analysis.csvio.InputError` naming the file, the line (header = line 1),
the column and the value, and saying how to fix it.

Responses are validated column by column on the *distinct* values of each column, so a file of 100,000
rows × 80 columns costs one pass in C per column plus a little Python per distinct value, never Python
work per cell. A plain machine-written file is read straight into categoricals by pandas' C parser
(:func:`analysis.csvio.read_columns_fast`); anything unusual (quotes, stray whitespace, empty lines, a
wrong number of fields) goes through the csv-module parser, with the same messages either way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from questionnaires import HANDLED_CODES, SOURCE_CODES, TOLD_CODES, Questionnaire

from . import csvio
from .csvio import InputError

UNIT_COLUMNS: tuple[str, ...] = ("unit_id", "parent_id", "name")
UNIT_OPTIONAL: tuple[str, ...] = ("headcount",)
EXPOSURE_QUESTION_CODES: tuple[int, ...] = (0, 1, 2, 3, 4)


# ---------------------------------------------------------------------------------------------
# units.csv
# ---------------------------------------------------------------------------------------------


def read_units(path: str | Path) -> pd.DataFrame:
    """Read and validate ``units.csv`` (contract 1.1). See :func:`units_frame` for the result."""
    table = csvio.read_table(path, required=UNIT_COLUMNS, optional=UNIT_OPTIONAL)
    return units_frame(table.name, table)


def units_frame(name: str, table: csvio.Table) -> pd.DataFrame:
    """Validate an already-parsed units table and return the unit tree.

    Returns
    -------
    DataFrame in file order with columns ``unit_id`` (str), ``parent_id`` (str, None for the root),
    ``name`` (str) and ``headcount`` (nullable ``Int64``: employees attached directly to the unit).
    """
    cols = table.columns
    for col in UNIT_COLUMNS:
        if col not in cols:
            raise InputError(name, "missing required column; add it to the header", line=1, column=col)
    i_id, i_parent, i_name = (cols.index(c) for c in UNIT_COLUMNS)
    i_head = cols.index("headcount") if "headcount" in cols else None
    ids: list[str] = []
    parents: list[str | None] = []
    names: list[str] = []
    heads: list[int | None] = []
    lines: dict[str, int] = {}
    for line, cells in table.rows:
        uid = cells[i_id]
        if uid == "":
            raise InputError(name, "unit_id is empty; every unit needs an id", line=line, column="unit_id")
        if uid in lines:
            raise InputError(
                name,
                f"duplicate unit_id (first used on line {lines[uid]}); unit ids must be unique",
                line=line,
                column="unit_id",
                value=uid,
            )
        lines[uid] = line
        ids.append(uid)
        parents.append(cells[i_parent] or None)
        if cells[i_name] == "":
            raise InputError(name, "name is empty; give the unit a display name", line=line, column="name",
                             value="")
        names.append(cells[i_name])
        if i_head is not None and cells[i_head] != "":
            heads.append(csvio.parse_int(name, line, "headcount", cells[i_head], minimum=0))
        else:
            heads.append(None)
    if not ids:
        raise InputError(name, "the file has no units; add at least the root unit", line=2)
    roots = [u for u, p in zip(ids, parents, strict=True) if p is None]
    if not roots:
        raise InputError(name, "no root unit: exactly one unit must have an empty parent_id", line=2,
                         column="parent_id")
    if len(roots) > 1:
        raise InputError(
            name,
            f"more than one root ({', '.join(roots[:5])}): exactly one unit may have an empty parent_id",
            line=lines[roots[1]],
            column="parent_id",
            value="",
        )
    for uid, parent in zip(ids, parents, strict=True):
        if parent is not None and parent not in lines:
            raise InputError(name, "parent_id is not a unit_id of this file; add that unit or fix the id",
                             line=lines[uid], column="parent_id", value=parent)
        if parent == uid:
            raise InputError(name, "a unit cannot be its own parent", line=lines[uid], column="parent_id",
                             value=parent)
    # with one root and every parent known, a unit is on a cycle iff it is not reachable from the root
    children: dict[str, list[str]] = {}
    for uid, parent in zip(ids, parents, strict=True):
        if parent is not None:
            children.setdefault(parent, []).append(uid)
    reached = {roots[0]}
    stack = [roots[0]]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    if len(reached) != len(ids):
        first = next(u for u in ids if u not in reached)
        raise InputError(
            name,
            "the parent_id links form a cycle (this unit does not lead up to the root); fix the parent ids",
            line=lines[first],
            column="parent_id",
            value=parents[ids.index(first)],
        )
    return pd.DataFrame(
        {
            "unit_id": pd.Series(ids, dtype=object),
            "parent_id": pd.Series(parents, dtype=object),
            "name": pd.Series(names, dtype=object),
            "headcount": pd.array(heads, dtype="Int64"),
        }
    )


# ---------------------------------------------------------------------------------------------
# responses.csv
# ---------------------------------------------------------------------------------------------


def response_columns(questionnaire: Questionnaire) -> tuple[str, ...]:
    """Every column ``responses.csv`` must have for this questionnaire, in a natural order."""
    return ("wave", "unit_id", *questionnaire.response_columns)


def read_responses(path: str | Path, questionnaire: Questionnaire, unit_ids: Collection[str]) -> pd.DataFrame:
    """Read and validate ``responses.csv`` (contract 1.3). See :func:`responses_frame`."""
    cols = response_columns(questionnaire)
    name, raw, text = csvio.read_bytes_text(path)
    fast = csvio.read_columns_fast(name, raw, text, required=cols)
    del raw
    if fast is not None and "" not in fast.uniques["wave"]:  # an all-empty row has an empty wave
        return _validated(fast, questionnaire, unit_ids)
    table = csvio.parse_table_fast(name, text, required=cols)
    return responses_frame(table.name, table, questionnaire, unit_ids)


def _first_line(table_lines: np.ndarray, codes: np.ndarray, bad_code: int) -> int:
    return int(table_lines[int(np.argmax(codes == bad_code))])


def _whole_number(value: str) -> int | None:
    """The integer of a cell written without decimals (as :func:`csvio.parse_int` accepts), else None."""
    try:
        return int(value) if value.lstrip("-").isdigit() else None
    except ValueError:
        return None


def responses_frame(
    name: str, table: csvio.Table, questionnaire: Questionnaire, unit_ids: Collection[str]
) -> pd.DataFrame:
    """Validate an already-parsed responses table and return one row per respondent.

    Returns
    -------
    DataFrame in file order with columns ``wave`` and ``unit_id`` (str); one ``float64`` column per scale
    item (raw codes min..max, *not* reversed; NaN = empty, ``NA`` or the scale's don't-know code); one
    ``float64`` column per exposure ``question`` (0..4 or NaN); one object column per ``source`` / ``told``
    (``frozenset`` of codes, or None for an empty cell) and per ``handled`` (the code, or None).
    """
    required = response_columns(questionnaire)
    cols = table.columns
    for col in cols:
        if col not in required:
            raise InputError(name, f"unknown column; expected the columns {', '.join(required)}", line=1,
                             column=col)
    for col in required:
        if col not in cols:
            raise InputError(name, "missing required column; add it to the header", line=1, column=col)
    lines = np.fromiter((line for line, _ in table.rows), dtype=np.int64, count=len(table.rows))
    if table.rows:
        columns: Sequence[Sequence[str]] = list(zip(*(cells for _, cells in table.rows), strict=True))
    else:
        columns = [() for _ in cols]
    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, list[str]] = {}
    for col, cells in zip(cols, columns, strict=True):
        # codes 0..k-1 per cell and the k distinct values in order of first appearance (dict lookups
        # run in C: about as fast as pandas.factorize on object arrays, without its NA scan)
        distinct = list(dict.fromkeys(cells))
        index = dict(zip(distinct, range(len(distinct)), strict=True))
        codes[col] = np.fromiter(map(index.__getitem__, cells), dtype=np.int64, count=len(cells))
        uniques[col] = [str(u) for u in distinct]
    del columns
    return _validated(csvio.Columns(name, tuple(cols), lines, codes, uniques, ordered=True), questionnaire,
                      unit_ids)


def _convert(
    source: csvio.Columns, col: str, convert: Callable[[str, Callable[[], int]], Any]
) -> tuple[np.ndarray, list[Any]]:
    """``convert(value, line_of)`` for each distinct value of ``col`` (``line_of()`` gives the line where
    it first appears). When values are invalid, the one that appears first in the file is reported, as
    a reader going down the file would meet it."""
    codes = source.codes[col]
    lines = source.lines
    out: list[Any] = []
    for k, value in enumerate(source.uniques[col]):
        try:
            out.append(convert(value, lambda k=k: _first_line(lines, codes, k)))  # type: ignore[misc]
        except InputError:
            if source.ordered:
                raise
            errors: list[InputError] = []
            for j, other in enumerate(source.uniques[col]):
                try:
                    convert(other, lambda j=j: _first_line(lines, codes, j))  # type: ignore[misc]
                except InputError as err:
                    errors.append(err)
            raise min(errors, key=lambda e: e.line or 0) from None
    return codes, out


def _validated(
    source: csvio.Columns, questionnaire: Questionnaire, unit_ids: Collection[str]
) -> pd.DataFrame:
    """Check every distinct value of every column (contract 1.3 and 4) and build the responses frame."""
    name = source.name
    required = response_columns(questionnaire)
    n_rows = len(source.lines)

    def take(values: list[Any], codes: np.ndarray, dtype: Any) -> np.ndarray:
        lookup = np.empty(len(values), dtype=dtype)
        lookup[:] = values
        return lookup[codes] if n_rows else np.empty(0, dtype=dtype)

    out: dict[str, Any] = {}

    def wave(value: str, line_of: Callable[[], int]) -> str:
        if value == "":
            raise InputError(name, "wave is empty; give the wave label (e.g. 2024)", line=line_of(),
                             column="wave", value="")
        return value

    codes, values = _convert(source, "wave", wave)
    out["wave"] = take(values, codes, object)
    known = unit_ids if isinstance(unit_ids, (set, frozenset, dict)) else set(unit_ids)

    def unit(value: str, line_of: Callable[[], int]) -> str:
        if value not in known:
            raise InputError(name, "unknown unit; use a unit_id of units.csv", line=line_of(),
                             column="unit_id", value=value)
        return value

    codes, values = _convert(source, "unit_id", unit)
    out["unit_id"] = take(values, codes, object)
    # scale items
    for item in questionnaire.items:
        scale = questionnaire.scale_of(item)

        def answer(
            value: str, line_of: Callable[[], int], item_id: str = item.id, scale: Any = scale
        ) -> float:
            if value in ("", "NA"):
                return np.nan
            number = _whole_number(value)
            if number is None:  # let the shared parser word the error (file, line, column, value)
                number = csvio.parse_int(name, line_of(), item_id, value)
            if scale.dont_know is not None and number == scale.dont_know:
                return np.nan
            if scale.min <= number <= scale.max:
                return float(number)
            dk = f", or {scale.dont_know} for don't know" if scale.dont_know is not None else ""
            raise InputError(
                name,
                f"value outside the scale; use {scale.min}..{scale.max}{dk}, or leave empty / NA",
                line=line_of(), column=item_id, value=value,
            )

        codes, values = _convert(source, item.id, answer)
        out[item.id] = take(values, codes, np.float64)
    # exposures
    for col, _kind, part in questionnaire.exposure_columns:

        def question(value: str, line_of: Callable[[], int], col: str = col) -> float:
            if value == "":
                return np.nan
            line = line_of()
            number = csvio.parse_int(name, line, col, value)
            if number not in EXPOSURE_QUESTION_CODES:
                raise InputError(
                    name,
                    "unknown code; use 0 (no), 1 (a few times), 2 (monthly), 3 (weekly), 4 (daily) "
                    "or leave empty",
                    line=line, column=col, value=value,
                )
            return float(number)

        def coded(value: str, line_of: Callable[[], int], col: str = col, part: str = part) -> object:
            if value == "":
                return None
            if part == "handled":
                if value not in HANDLED_CODES:
                    raise InputError(
                        name, f"unknown code; use one of {', '.join(HANDLED_CODES)} or leave empty",
                        line=line_of(), column=col, value=value,
                    )
                return value
            allowed = SOURCE_CODES if part == "source" else TOLD_CODES
            if value in allowed:  # the common single code, without building a message context
                return frozenset((value,))
            return csvio.split_codes(name, line_of(), col, value, allowed)

        if part == "question":
            codes, values = _convert(source, col, question)
            out[col] = take(values, codes, np.float64)
        else:
            codes, values = _convert(source, col, coded)
            out[col] = take(values, codes, object)
    # explicit dtypes: pandas 3 would otherwise turn object arrays of strings into its "str" dtype
    return pd.DataFrame(
        {col: pd.Series(values, dtype=values.dtype, copy=False) for col, values in out.items()},
        columns=list(required),
    )


# ---------------------------------------------------------------------------------------------
# several questionnaires in one report (contract 5.3)
# ---------------------------------------------------------------------------------------------


def _ids_of(q: Questionnaire) -> list[tuple[str, str]]:
    """Every id a questionnaire claims in a report or in responses.csv: ``(what, id)``."""
    out: list[tuple[str, str]] = [("theme", t.id) for t in q.themes]
    out += [("item", i.id) for i in q.items]
    out += [("exposure kind", e.kind) for e in q.exposures]
    out += [(f"exposure {part} column", question.id) for e in q.exposures for part, question in e.parts()]
    out += [("free-text item", f.id) for f in q.free_text]
    return out


def combine_questionnaires(
    questionnaires: Sequence[Questionnaire], sources: Sequence[str] | None = None
) -> Questionnaire:
    """One :class:`Questionnaire` holding the themes, items, exposures and free-text items of every one
    of ``questionnaires``, in the order given (contract 5.3: one report over all of them).

    ``sources`` names each questionnaire in messages (the file or shipped id given on the command line);
    by default its id. One questionnaire is returned unchanged. Theme, item, exposure-kind and column ids
    must be unique across the files, and the same questionnaire id may not be given twice: otherwise an
    :class:`~analysis.csvio.InputError` names both files and the id. Scales with the same id but another
    definition are kept apart (the later one renamed ``<questionnaire id>.<scale id>``). The combined
    questionnaire takes id and version of the first one, and a title joining every title with " + ".
    """
    from dataclasses import replace

    from questionnaires import Text

    qs = list(questionnaires)
    if not qs:
        raise InputError("--questionnaire", "no questionnaire given; give at least one id or file")
    names = list(sources) if sources is not None else [f"questionnaire '{q.id}'" for q in qs]
    if len(names) != len(qs):
        raise ValueError("combine_questionnaires: give one source name per questionnaire")
    if len(qs) == 1:
        return qs[0]
    seen_q: dict[str, str] = {}
    claimed: dict[str, tuple[str, str]] = {}  # id -> (source, what)
    for q, name in zip(qs, names, strict=True):
        if q.id in seen_q:
            raise InputError(
                name,
                f"questionnaire id '{q.id}' is also the id of {seen_q[q.id]}; give each questionnaire once",
                column="id", value=q.id)
        seen_q[q.id] = name
        for what, ident in _ids_of(q):
            if ident in claimed:
                other, other_what = claimed[ident]
                raise InputError(
                    name,
                    f"{what} id '{ident}' is also used as {other_what} id in {other}; ids of themes, items, "
                    "exposures and their columns must be unique across all questionnaires of one report "
                    "(rename it in one of the two files)",
                    value=ident)
            claimed[ident] = (name, what)
    scales: dict[str, Any] = {}
    themes: list[Any] = []
    for q in qs:
        rename: dict[str, str] = {}
        for sid, scale in q.scales.items():
            if sid in scales and scales[sid] != scale:
                new = f"{q.id}.{sid}"
                rename[sid] = new
                scales[new] = replace(scale, id=new)
            else:
                scales.setdefault(sid, scale)
        for theme in q.themes:
            if rename:
                items = tuple(replace(i, scale=rename.get(i.scale, i.scale)) for i in theme.items)
                theme = replace(theme, items=items)
            themes.append(theme)
    langs = {lang for q in qs for lang in q.title.values}
    title = Text({lang: " + ".join(q.title.get(lang) for q in qs) for lang in sorted(langs)})
    first = qs[0]
    return replace(
        first,
        title=title,
        scales=scales,
        themes=tuple(themes),
        exposures=tuple(e for q in qs for e in q.exposures),
        free_text=tuple(f for q in qs for f in q.free_text),
        data={},
    )


def questionnaire_of_ids(questionnaires: Sequence[Questionnaire]) -> dict[tuple[str, str], str]:
    """``(kind, id) -> questionnaire id`` for kinds ``theme``, ``item`` and ``exposure`` (by kind)."""
    out: dict[tuple[str, str], str] = {}
    for q in questionnaires:
        out.update({("theme", t.id): q.id for t in q.themes})
        out.update({("item", i.id): q.id for i in q.items})
        out.update({("exposure", e.kind): q.id for e in q.exposures})
    return out
