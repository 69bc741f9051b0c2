"""The organisation tree: import from ``units.csv`` (contract 1.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from survey.extensions import db
from survey.models import Comment, Invitation, Response, Unit, User
from survey.services import Conflict, ServiceError, audit


@dataclass(frozen=True)
class UnitRow:
    unit_id: str
    parent_id: str | None
    name: str
    headcount: int | None = None


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    removed: int

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.removed} removed"


def read_units_file(path: str | Path) -> list[UnitRow]:
    """Read and validate ``units.csv`` with ``analysis.inputs.read_units`` (raises ``InputError``)."""
    from analysis.inputs import read_units

    frame = read_units(path)
    rows: list[UnitRow] = []
    for rec in frame.to_dict("records"):
        parent = rec["parent_id"]
        head = rec["headcount"]
        rows.append(
            UnitRow(
                unit_id=str(rec["unit_id"]),
                parent_id=None if pd.isna(parent) or parent == "" else str(parent),
                name=str(rec["name"]),
                headcount=None if pd.isna(head) else int(head),
            )
        )
    return rows


def import_units(path: str | Path) -> ImportResult:
    """Replace the unit tree by the contents of ``units.csv`` in one transaction.

    Raises ``analysis.csvio.InputError`` for an invalid file and :class:`Conflict` when the import would
    remove a unit that still has responses, comments, invitations or a manager; nothing changes then.
    """
    return replace_units(read_units_file(path), source=Path(path).name)


def replace_units(rows: Sequence[UnitRow], *, source: str | None = None) -> ImportResult:
    """Make the unit tree equal to ``rows`` (validated: one root, known parents, no cycles), atomically.

    Audited as ``units.import`` with ``source`` (the file's name) as its target.

    Existing units are updated in place (their ids are kept), new ones added, missing ones removed.
    A unit that has responses, comments, invitations or a manager account is never removed.
    """
    _check_tree(rows)
    wanted = {r.unit_id: r for r in rows}
    session = db.session
    try:
        existing = {u.unit_id: u for u in session.scalars(sa.select(Unit))}
        removed_ids = sorted(set(existing) - set(wanted))
        if removed_ids:
            _refuse_orphans(removed_ids)
        added = updated = 0
        # 1. add new units without parents, update names and headcounts
        for r in rows:
            unit = existing.get(r.unit_id)
            if unit is None:
                session.add(Unit(unit_id=r.unit_id, parent_id=None, name=r.name, headcount=r.headcount))
                added += 1
            elif (unit.name, unit.headcount, unit.parent_id) != (r.name, r.headcount, r.parent_id):
                unit.name, unit.headcount = r.name, r.headcount
                updated += 1
        session.flush()
        # 2. detach the units to remove, then link every wanted unit to its parent
        for uid in removed_ids:
            existing[uid].parent_id = None
        session.flush()
        for r in rows:
            session.execute(sa.update(Unit).where(Unit.unit_id == r.unit_id).values(parent_id=r.parent_id))
        # 3. remove
        if removed_ids:
            session.execute(sa.delete(Unit).where(Unit.unit_id.in_(removed_ids)))
        audit.record("units.import", target=source)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportResult(added, updated, len(removed_ids))


def _check_tree(rows: Sequence[UnitRow]) -> None:
    if not rows:
        raise ServiceError("the unit list is empty; a tree needs at least its root unit")
    ids = [r.unit_id for r in rows]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ServiceError("duplicate unit_id: %(units)s", units=', '.join(dup))
    roots = [r.unit_id for r in rows if not r.parent_id]
    if len(roots) != 1:
        raise ServiceError(
            "exactly one unit must have an empty parent_id (the root); found %(count)s",
            count=len(roots),
        )
    known = set(ids)
    parent = {r.unit_id: r.parent_id for r in rows}
    for r in rows:
        if r.parent_id and r.parent_id not in known:
            raise ServiceError(
                "unit %(unit_id)s: parent_id '%(parent_id)s' is not a unit_id in the list",
                unit_id=r.unit_id,
                parent_id=r.parent_id,
            )
        if r.headcount is not None and r.headcount < 0:
            raise ServiceError(
                "unit %(unit_id)s: headcount must be 0 or more, got %(headcount)s",
                unit_id=r.unit_id,
                headcount=r.headcount,
            )
    for r in rows:
        seen = {r.unit_id}
        p = parent[r.unit_id]
        while p:
            if p in seen:
                raise ServiceError("unit %(unit_id)s: its parents form a cycle", unit_id=r.unit_id)
            seen.add(p)
            p = parent[p]


def _refuse_orphans(removed_ids: list[str]) -> None:
    checks = (
        (Response.unit_id, "responses"),
        (Comment.unit_id, "comments"),
        (Invitation.unit_id, "invitations"),
        (User.manager_unit_id, "manager accounts"),
    )
    for column, what in checks:
        found = db.session.scalars(sa.select(column).where(column.in_(removed_ids)).distinct())
        used = sorted({str(uid) for uid in found if uid is not None})
        if used:
            raise Conflict(
                "the new unit list leaves out %(units)s, which still has %(what)s; keep these "
                "units in units.csv (they may move under another parent)",
                units=", ".join(map(str, used)),
                what=what,
            )


def subtree_ids(unit_id: str) -> list[str]:
    """``unit_id`` and all its descendants (for managers' access and roll-ups)."""
    children: dict[str | None, list[str]] = {}
    for uid, parent in db.session.execute(sa.select(Unit.unit_id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    out, stack = [], [unit_id]
    while stack:
        uid = stack.pop()
        out.append(uid)
        stack.extend(children.get(uid, []))
    return sorted(out)


def labels_of(rows: Sequence[tuple[str, str | None, str]]) -> dict[str, str]:
    """``unit_id -> label`` for ``(unit_id, parent_id, name)`` rows: the unit's name, and where names
    repeat the name with its parent's name ("Hjemmeplejen (Vest)"), or else its whole path
    ("Kommunen › Vest › Hjemmeplejen"), numbered when even the paths repeat, so that a person can tell
    units apart without the internal id."""
    name = {uid: n for uid, _parent, n in rows}
    parent = {uid: p for uid, p, _n in rows}

    def path(uid: str) -> str:
        parts, seen, cur = [], set(), uid
        while cur is not None and cur in name and cur not in seen:
            seen.add(cur)
            parts.append(name[cur])
            cur = parent.get(cur)
        return " › ".join(reversed(parts))

    def counts(labels: dict[str, str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for label in labels.values():
            out[label] = out.get(label, 0) + 1
        return out

    labels = dict(name)
    repeated = counts(labels)
    for uid in labels:
        p = parent.get(uid)
        if repeated[name[uid]] > 1 and p in name:
            labels[uid] = f"{name[uid]} ({name[p]})"
    repeated = counts(labels)
    for uid in labels:
        if repeated[labels[uid]] > 1:
            labels[uid] = path(uid)
    # units whose whole paths repeat (two "Team" under one parent): numbered in the order of their ids
    seen: dict[str, int] = {}
    repeated = counts(labels)
    for uid in sorted(labels):
        label = labels[uid]
        if repeated[label] > 1:
            seen[label] = seen.get(label, 0) + 1
            labels[uid] = f"{label} ({seen[label]})"
    return labels


def unit_labels() -> dict[str, str]:
    """:func:`labels_of` for today's unit tree."""
    rows = db.session.execute(sa.select(Unit.unit_id, Unit.parent_id, Unit.name))
    return labels_of([(uid, parent, name) for uid, parent, name in rows])
