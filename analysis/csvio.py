"""Reading the contract's CSV files (contract.md 1 and 4) with messages that name file, line and column.

This is the only place that knows the CSV dialect rules:

- UTF-8, a BOM is accepted; CRLF line ends are fine; RFC 4180 quoting;
- the delimiter is taken from the header line: ``;`` when it holds more ``;`` than ``,``, else ``,``;
- a line whose fields are all empty is skipped; whitespace around a cell is ignored;
- line numbers count the header as line 1;
- an unknown column is an error naming the column, and so is a missing one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class InputError(ValueError):
    """Invalid input. ``str(err)`` names the file, line, column and value and says how to fix it."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.message = message
        where = [file]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column '{column}'")
        if value is not None:
            where.append(f"value '{value}'")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass(frozen=True)
class Table:
    """A CSV file read as text: ``rows`` holds ``(line number, cells)`` with stripped cells."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, cells in self.rows:
            yield line, dict(zip(self.columns, cells, strict=True))


def detect_delimiter(header_line: str) -> str:
    """``;`` when the header holds more ``;`` than ``,`` (Danish Excel), else ``,`` (contract 4)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_text(path: str | Path) -> tuple[str, str]:
    """Read a file as UTF-8 (BOM accepted). Returns ``(display name, text)``."""
    name, _raw, text = read_bytes_text(path)
    return name, text


def read_bytes_text(path: str | Path) -> tuple[str, bytes, str]:
    """Read a file as UTF-8 (BOM accepted). Returns ``(display name, raw bytes, text)``."""
    p = Path(path)
    name = p.name
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read the file ({exc.strerror or exc}); check the path") from None
    try:
        return name, raw, raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            name, "the file is not UTF-8 text; save it as 'CSV UTF-8' and try again", line=line
        ) from None


def parse_table(
    name: str,
    text: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> Table:
    """Parse CSV text; check the header against ``required`` and ``optional`` columns."""
    if not text.strip():
        raise InputError(name, f"the file is empty; expected a header row with {', '.join(required)}", line=1)
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(first_line), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
        allowed = set(required) | set(optional)
        seen: set[str] = set()
        for col in header:
            if col == "":
                raise InputError(name, "a header cell is empty; every column needs a name", line=1)
            if col in seen:
                raise InputError(name, "this column appears twice in the header", line=1, column=col)
            seen.add(col)
            if col not in allowed:
                raise InputError(
                    name,
                    f"unknown column; expected the columns {', '.join(required)}"
                    + (f" (optional: {', '.join(optional)})" if optional else ""),
                    line=1,
                    column=col,
                )
        for col in required:
            if col not in seen:
                raise InputError(name, "missing required column; add it to the header", line=1, column=col)
        rows: list[tuple[int, tuple[str, ...]]] = []
        start = reader.line_num + 1
        for raw in reader:
            cells = tuple(c.strip() for c in raw)
            line = start
            start = reader.line_num + 1
            if all(c == "" for c in cells):
                continue
            if len(cells) != len(header):
                raise InputError(
                    name,
                    f"has {len(cells)} fields but the header has {len(header)}; "
                    "check the delimiter and quoting",
                    line=line,
                )
            rows.append((line, cells))
    except csv.Error as exc:
        raise InputError(name, f"malformed CSV ({exc}); check the quoting", line=reader.line_num) from None
    return Table(name=name, columns=tuple(header), rows=tuple(rows))


def read_table(path: str | Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Read and parse a CSV file (see :func:`parse_table`)."""
    name, text = read_text(path)
    return parse_table(name, text, required=required, optional=optional)


def parse_int(table: str, line: int, column: str, value: str, *, minimum: int | None = None) -> int:
    """An integer cell without decimals (contract 4), optionally with a lower bound."""
    try:
        if value.strip() != value or not value.lstrip("-").isdigit():
            raise ValueError
        number = int(value)
    except ValueError:
        raise InputError(table, "expected a whole number without decimals", line=line, column=column,
                         value=value) from None
    if minimum is not None and number < minimum:
        raise InputError(table, f"must be at least {minimum}", line=line, column=column, value=value)
    return number


def split_codes(
    table: str, line: int, column: str, value: str, allowed: Iterable[str]
) -> frozenset[str]:
    """A multi-choice cell: codes joined by ``;`` (contract 4). Empty cell = empty set."""
    allowed_set = set(allowed)
    if value == "":
        return frozenset()
    codes = [part.strip() for part in value.split(";")]
    for code in codes:
        if code not in allowed_set:
            raise InputError(
                table,
                f"unknown code '{code}'; allowed codes: {', '.join(sorted(allowed_set))} joined by ';'",
                line=line,
                column=column,
                value=value,
            )
    return frozenset(codes)


_SPACE = re.compile(r"[^\S\r\n]")  # whitespace other than line ends
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def parse_table_fast(
    name: str,
    text: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> Table:
    """Same result and errors as :func:`parse_table`, for large files (responses.csv of 100,000 rows).

    The header is checked by :func:`parse_table` itself (on the header line alone); the data rows are
    then read with the per-cell work done in C (``map(str.strip, …)``, ``any``) instead of a generator,
    about twice as fast. Falls back to :func:`parse_table` when the header spans several lines.
    """
    if not text.strip():
        return parse_table(name, text, required=required, optional=optional)
    # the first line as str.splitlines() would give it, without splitting the whole file
    end = _LINE_BREAK.search(text)
    first_line = text if end is None else text[: end.start()]
    if first_line.count('"') % 2:
        return parse_table(name, text, required=required, optional=optional)
    header_table = parse_table(name, first_line + "\n", required=required, optional=optional)
    width = len(header_table.columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(first_line), strict=True)
    strip = str.strip
    # cells need no strip when the file has no whitespace besides line ends (and no "\r" that could
    # sit inside a quoted cell): the common case of a machine-written file saves a pass over every cell
    clean = _SPACE.search(text) is None and ("\r" not in text or '"' not in text)
    rows: list[tuple[int, tuple[str, ...]]] = []
    append = rows.append
    try:
        if tuple(h.strip() for h in next(reader)) != header_table.columns:  # exotic line breaks in the
            return parse_table(name, text, required=required, optional=optional)  # header: the slow path
        start = reader.line_num + 1
        for raw in reader:
            cells = tuple(raw) if clean else tuple(map(strip, raw))
            line = start
            start = reader.line_num + 1
            if not any(cells):
                continue
            if len(cells) != width:
                raise InputError(
                    name,
                    f"has {len(cells)} fields but the header has {width}; check the delimiter and quoting",
                    line=line,
                )
            append((line, cells))
    except csv.Error as exc:
        raise InputError(name, f"malformed CSV ({exc}); check the quoting", line=reader.line_num) from None
    return Table(name=name, columns=header_table.columns, rows=tuple(rows))


def read_table_fast(path: str | Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Read and parse a CSV file with :func:`parse_table_fast`."""
    name, text = read_text(path)
    return parse_table_fast(name, text, required=required, optional=optional)


@dataclass(frozen=True, eq=False)
class Columns:
    """A CSV file read column-wise: per column, ``codes`` (one per record) into ``uniques`` (the distinct
    stripped cells as strings). ``lines[i]`` is the line number of record i. ``ordered`` is True when every
    column's ``uniques`` are in order of first appearance (else they are in no particular order)."""

    name: str
    columns: tuple[str, ...]
    lines: Any  # numpy int64 array
    codes: dict[str, Any]  # column -> numpy integer array
    uniques: dict[str, list[str]]
    ordered: bool


def read_columns_fast(name: str, raw: bytes, text: str, *, required: Sequence[str]) -> Columns | None:
    """Read a plain machine-written CSV column-wise with pandas' C parser, or None when the file needs the
    careful parser (:func:`parse_table_fast`).

    Taken only when nothing can make pandas and the contract's dialect differ: no quote character, no
    whitespace other than line ends (CRLF allowed, no lone CR), no NUL, no empty line, no row whose cells
    are all empty (its ``wave`` would be empty), and every line holding exactly as many delimiters as the
    header (pandas pads a short line silently). Then record i sits on line i + 2. Each column is parsed
    straight to a categorical (codes + distinct strings, no Python object per cell); the rare column whose
    distinct values pandas would turn into numbers (it infers categories) is read again as text.
    The header is checked by :func:`parse_table` first, so its messages are the same as ever.
    """
    import warnings

    import numpy as np
    import pandas as pd

    if not text.strip() or '"' in text or "\x00" in text:
        return None
    first_line = text.split("\n", 1)[0].rstrip("\r")
    header = parse_table(name, first_line + "\n", required=required).columns
    if _SPACE.search(text) is not None or "\n\n" in text or "\n\r\n" in text or text.startswith(("\n", "\r")):
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    delimiter = detect_delimiter(first_line)
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. ParserWarning: a first record with too many fields
            frame = pd.read_csv(io.BytesIO(body), sep=delimiter, dtype="category", na_filter=False,
                                index_col=False, engine="c", encoding="utf-8", skip_blank_lines=False)
    except (ValueError, Warning):  # ParserError is a ValueError: let the careful parser word it
        return None
    records = len(frame)
    line_ends = text.count("\n") + (0 if text.endswith("\n") else 1)
    if (tuple(frame.columns) != header or line_ends != records + 1
            or text.count(delimiter) != (len(header) - 1) * (records + 1)):
        return None
    codes: dict[str, Any] = {}
    uniques: dict[str, list[str]] = {}
    retext = []
    for col in header:
        cat = frame[col].cat
        cats = cat.categories
        if cats.dtype.kind in "biufc" or not all(isinstance(v, str) for v in cats):
            retext.append(col)
            continue
        codes[col] = cat.codes.to_numpy()
        uniques[col] = [str(v) for v in cats.tolist()]
    if retext:
        again = pd.read_csv(io.BytesIO(body), sep=delimiter, dtype=object, na_filter=False, index_col=False,
                            engine="c", encoding="utf-8", usecols=retext, skip_blank_lines=False)
        for col in retext:
            c, u = pd.factorize(again[col].to_numpy(dtype=object), use_na_sentinel=False)
            codes[col] = c
            uniques[col] = [str(v) for v in u.tolist()]
    if any(int(c.min(initial=0)) < 0 for c in codes.values()):
        return None
    lines = np.arange(2, records + 2, dtype=np.int64)
    return Columns(name, header, lines, codes, uniques, ordered=False)
