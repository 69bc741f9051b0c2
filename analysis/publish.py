"""The one publication step (issue 10): a computed report in, the numbers an audience may see out.

Every output — the CLI's JSON, XLSX and HTML, the web pages, every export and the allocation — reads the
dict :func:`publish` returns, never :meth:`analysis.report.Report.to_dict` directly. The engine
(:mod:`analysis.report`) already leaves out what the suppression rules hide (contract 2.2, 4 and 5.1–5.4);
this step is the gate in front of every reader:

1. **Floors.** The report's ``k_min`` / ``k_diff`` must be at least the policy's ``k_floor`` and
   ``n_min_exposure`` at least :data:`EXPOSURE_FLOOR`. A policy can raise the floor (``TRIVSEL_K_MIN``),
   never lower it below the shipped minimum :data:`K_FLOOR`; a settings file cannot go below it either.
   A report made with lower settings is refused (:class:`PublishError`), it is not "fixed" silently.
2. **Independent re-check of the published rows**, from the rows alone, the way an attacker would use
   them: every score row has ``n ≥ k_min`` and belongs to a published unit; for every theme / item and
   every exposure kind, "unit minus its nearest descendants that have the row" leaves 0 or at least
   ``k_diff`` (``n_min_exposure`` for exposures) answers; per exposure count (exposed, internal, ...), the
   same with 3 on the units that show the count, and no row shows internal or external next to the other
   hidden; a theme and its items are shown in the same units
   (contract 5.2). A violation is a bug in the engine and raises :class:`PublishError` — nothing is shown.
3. **Structured small counts.** Exposure counts of 1 or 2 are written ``"<3"`` and their shares null; a
   ``too_few`` / ``not_comparable`` change carries no baseline number. Applied on the fields, never by
   reading sentences.
4. **Versions** (re-publication, contract 5.4, issue 10 item 2). Given the earlier published versions of
   the same wave (``earlier``), :func:`version_rule` withholds every cell whose published ``n`` differs
   from an earlier version's by 1 … ``k_diff`` − 1 (``n_min_exposure`` for exposure rows; 1 or 2 for an
   exposure count), and then runs the same complementary rule on the differences over the tree, so
   that no "new minus old" of any cell or of "parent minus children" isolates fewer people. Withholding
   only removes rows, so step 2 still holds and is checked again.
5. **Audience.** ``manager`` sees only the subtree of ``scope`` (units, scores, exposures, funding);
   ``hr``, ``committee`` and ``operator`` see every published row. The policy is echoed under
   ``publication``.

Call: ``publish(report, PublishPolicy(audience="hr", k_floor=app.config["TRIVSEL_K_MIN"]))``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

K_FLOOR = 5  #: shipped minimum of k_min and k_diff (contract 2.1 defaults); a policy may only raise it
EXPOSURE_FLOOR = 10  #: shipped minimum of n_min_exposure
AUDIENCES: tuple[str, ...] = ("hr", "committee", "manager", "operator")

__all__ = ["AUDIENCES", "EXPOSURE_FLOOR", "K_FLOOR", "PublishError", "PublishPolicy", "check_floors",
           "cell_keys", "publish", "subtree", "version_rule"]


class PublishError(ValueError):
    """The report may not be published under this policy. ``str(err)`` says what, where and how to fix."""


@dataclass(frozen=True)
class PublishPolicy:
    """Who the publication is for and the floors it must meet.

    ``k_floor``: smallest ``k_min`` / ``k_diff`` the report may use (at least :data:`K_FLOOR`).
    ``scope``: for ``audience="manager"``, the unit whose subtree the manager may see (required).
    ``comment_min``: smallest number of respondents of a unit whose free-text comments may be shown
    (default ``k_floor``; never below it). The analysis report holds no comments; the web reads it here.
    ``hidden_counts``: keep the counts the contract JSON carries for hidden groups (a suppressed unit's
    ``respondents`` / ``response_rate``, a hidden baseline's ``respondents``, a ``too_few`` change's
    ``baseline_n``, the engine's technical ``suppressed_reason`` quoting the count). The web publishes
    with ``False``: those fields are emptied (a ``{lang: text}`` reason is kept).
    """

    audience: str = "hr"
    k_floor: int = K_FLOOR
    scope: str | None = None
    comment_min: int | None = None
    hidden_counts: bool = True

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise PublishError(f"publication audience {self.audience!r} is unknown; use one of "
                               f"{', '.join(AUDIENCES)}")
        if isinstance(self.k_floor, bool) or not isinstance(self.k_floor, int) or self.k_floor < K_FLOOR:
            raise PublishError(f"publication floor k_floor={self.k_floor!r} is below the shipped minimum "
                               f"{K_FLOOR}; the floor can only be raised (e.g. TRIVSEL_K_MIN=7)")
        if self.audience == "manager" and not self.scope:
            raise PublishError("a manager's publication needs scope: the unit whose subtree they may see")
        if self.comment_min is not None and self.comment_min < self.k_floor:
            raise PublishError(f"comment_min={self.comment_min} is below the floor {self.k_floor}; "
                               "it can only be raised")

    @property
    def comment_threshold(self) -> int:
        return self.k_floor if self.comment_min is None else self.comment_min


def publish(report: Any, policy: PublishPolicy | None = None,
            earlier: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The publication of ``report`` (a :class:`~analysis.report.Report` or its ``to_dict()``) for
    ``policy`` (default: HR, shipped floors). Returns a new dict (contract 2.3 plus ``publication``);
    the input is not changed. Raises :class:`PublishError` when the report's settings are below the floors
    or its rows break a disclosure rule.

    ``earlier``: the earlier published versions of the same wave and questionnaire (their stored
    publication dicts, oldest first) when the wave is published again; :func:`version_rule` then
    withholds what "this version minus an earlier one" would reveal, and ``publication.version_rule``
    says how many cells it withheld."""
    policy = policy or PublishPolicy()
    data: dict[str, Any] = copy.deepcopy(report.to_dict() if hasattr(report, "to_dict") else dict(report))
    settings = data.get("settings") or {}
    check_floors(settings, policy)
    k_min, k_diff = int(settings["k_min"]), int(settings["k_diff"])
    n_expo = int(settings["n_min_exposure"])
    withheld = version_rule(data, earlier, k_diff, n_expo) if earlier else None
    units = data.get("units") or []
    parent = {u["unit_id"]: u.get("parent_id") for u in units}
    published = {u["unit_id"] for u in units if u.get("published")}
    _check_scores(data.get("scores") or [], parent, published, k_min, k_diff)
    _check_exposures(data.get("exposures") or [], parent, published, n_expo,
                     protect_cells=bool(settings.get("protect_exposure_cells")))
    for row in data.get("exposures") or []:
        _small_counts(row)
    for row in data.get("scores") or []:
        change = row.get("change")
        if isinstance(change, dict) and change.get("class") in ("too_few", "not_comparable"):
            keep = "baseline_n" if change["class"] == "too_few" else None
            for key in list(change):
                if key not in ("class", keep):
                    change[key] = None
    for row in data.get("funding") or []:
        if row.get("unit_id") not in published:
            raise PublishError(f"funding row of unit {row.get('unit_id')!r}, which is not published")
    if not policy.hidden_counts:
        _empty_hidden_counts(data)
    if policy.audience == "manager":
        _restrict(data, subtree(parent, str(policy.scope)))
    data["publication"] = {"audience": policy.audience, "k_floor": policy.k_floor, "scope": policy.scope,
                           "comment_min": policy.comment_threshold}
    if withheld is not None:
        data["publication"]["version_rule"] = {"against": len(earlier), "withheld": withheld}
    return data


def check_floors(settings: Mapping[str, Any], policy: PublishPolicy) -> None:
    """Raise :class:`PublishError` unless ``settings`` (the report's ``settings`` mapping) meet the floors."""
    floors = (("k_min", policy.k_floor), ("k_diff", policy.k_floor), ("n_min_exposure", EXPOSURE_FLOOR))
    for key, floor in floors:
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise PublishError(f"report settings: {key} is missing or not a whole number ({value!r})")
        if value < floor:
            raise PublishError(
                f"report settings: {key} = {value} is below the publication floor {floor}; groups that small "
                f"may not be shown. Set {key} to {floor} or more (settings can only raise it) and run the "
                "analysis again")


def _frontier_residuals(rows: dict[str, int], parent: Mapping[str, Any]) -> dict[str, int]:
    """For every unit with a row: its n minus the n of its nearest descendants that have a row."""
    children: dict[str, list[str]] = {}
    for u, p in parent.items():
        if p is not None:
            children.setdefault(p, []).append(u)
    out: dict[str, int] = {}
    for v, nv in rows.items():
        covered, stack = 0, list(children.get(v, []))
        while stack:
            c = stack.pop()
            if c in rows:
                covered += rows[c]
            else:
                stack.extend(children.get(c, []))
        out[v] = nv - covered
    return out


def _check_scores(scores: list[dict[str, Any]], parent: Mapping[str, Any], published: set[str], k_min: int,
                  k_diff: int) -> None:
    by_key: dict[tuple[str, str], dict[str, int]] = {}
    theme_units: dict[str, set[str]] = {}
    item_units: dict[str, set[str]] = {}
    for pos, row in enumerate(scores):
        uid, n = row.get("unit_id"), row.get("n")
        if uid not in published:
            raise PublishError(f"scores[{pos}]: a row for unit {uid!r}, which is not published")
        if not isinstance(n, int) or n < k_min:
            raise PublishError(f"scores[{pos}]: unit {uid!r} {row.get('id')!r} has n = {n!r} < k_min {k_min}")
        by_key.setdefault((str(row.get("kind")), str(row.get("id"))), {})[str(uid)] = n
        if row.get("kind") == "theme":
            theme_units.setdefault(str(row.get("id")), set()).add(str(uid))
        elif row.get("theme") is not None:
            item_units.setdefault(str(row["theme"]), set()).add(str(uid))
    for (kind, ident), rows in by_key.items():
        for uid, r in _frontier_residuals(rows, parent).items():
            if 0 < r < k_diff:
                raise PublishError(f"scores: {kind} {ident!r}: unit {uid!r} minus its published descendants "
                                   f"leaves {r} answers (< k_diff {k_diff})")
    for theme, units in item_units.items():  # contract 5.2: an item row only where its theme row is
        extra = sorted(units - theme_units.get(theme, set()))
        if extra:
            raise PublishError(f"scores: items of theme {theme!r} are shown in {', '.join(extra)} where the "
                               "theme is hidden (a theme and its items are published together)")


def _check_exposures(rows: list[dict[str, Any]], parent: Mapping[str, Any], published: set[str],
                     n_expo: int, protect_cells: bool = False) -> None:
    by_kind: dict[str, dict[str, int]] = {}
    for pos, row in enumerate(rows):
        uid, n = row.get("unit_id"), row.get("n")
        if uid not in published:
            raise PublishError(f"exposures[{pos}]: a row for unit {uid!r}, which is not published")
        if not isinstance(n, int) or n < n_expo:
            raise PublishError(f"exposures[{pos}]: unit {uid!r} {row.get('kind')!r} has n = {n!r} "
                               f"< n_min_exposure {n_expo}")
        by_kind.setdefault(str(row.get("kind")), {})[str(uid)] = n
    for kind, counts in by_kind.items():
        for uid, r in _frontier_residuals(counts, parent).items():
            if 0 < r < n_expo:
                raise PublishError(f"exposures: {kind!r}: unit {uid!r} minus its published descendants "
                                   f"leaves {r} answers (< n_min_exposure {n_expo})")
    # the counts themselves (red team A1, A3), in reports made with ``protect_exposure_cells`` (the web's):
    # "unit minus its nearest descendants that show the count" never leaves 1 or 2, and a row never shows
    # internal or external next to the other hidden / "<3"
    if not protect_cells:
        return
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for pos, row in enumerate(rows):
        for name, _, _ in _COUNTS:
            value = row.get(name)
            if isinstance(value, int) and _shown(value):
                cells.setdefault((str(row.get("kind")), name), {})[str(row.get("unit_id"))] = value
        for a, b in (("internal", "external"), ("external", "internal")):
            if _shown(row.get("exposed")) and not _shown(row.get(a)) and _shown(row.get(b)):
                raise PublishError(f"exposures[{pos}]: unit {row.get('unit_id')!r} {row.get('kind')!r} shows "
                                   f"{b} = {row.get(b)} next to a hidden {a}: exposed minus {b} gives it "
                                   "back")
    for (kind, name), values in cells.items():
        for uid, r in _frontier_residuals(values, parent).items():
            if 0 < r < 3:
                raise PublishError(f"exposures: {kind!r} {name}: unit {uid!r} minus its descendants that "
                                   "show "
                                   f"the count leaves {r} (a count below 3)")


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> bool:
    """A count that is published as a number (1 and 2 are written "<3" by :func:`_small_counts`)."""
    return _number(value) and not 1 <= value <= 2


_COUNTS = (("exposed", "share", "n"), ("internal", "internal_share", "n"),
           ("external", "external_share", "n"), ("external_unresolved", "external_unresolved_share", "n"),
           ("told_no_one", "told_no_one_share", "exposed"))


def _small_counts(row: dict[str, Any]) -> None:
    """Counts of 1 or 2 become "<3"; a share whose numerator or denominator is "<3" becomes null."""
    for name, _, _ in _COUNTS:
        value = row.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2:
            row[name] = "<3"
    for name, share, den in _COUNTS:
        if not _number(row.get(name)) or not _number(row.get(den)):  # "<3" or hidden (None)
            row[share] = None


def _empty_hidden_counts(data: dict[str, Any]) -> None:
    """The counts of hidden groups emptied (policy ``hidden_counts=False``), in place."""
    for u in data.get("units") or []:
        if not isinstance(u.get("suppressed_reason"), Mapping):
            u.pop("suppressed_reason", None)  # the engine's text quotes the count ("primary: 3 ... < 5")
        if not u.get("published"):
            u["respondents"] = None
            u["response_rate"] = None
        base = u.get("baseline")
        if isinstance(base, dict) and not base.get("published"):
            base["respondents"] = None
    for s in data.get("scores") or []:
        change = s.get("change")
        if isinstance(change, dict) and change.get("class") == "too_few":
            change["baseline_n"] = None


def subtree(parent: Mapping[str, Any], root: str) -> set[str]:
    """``root`` and every unit below it, from ``parent`` (unit id -> parent id); the one walk of the tree
    that publication scopes, subtree reports and pages use. Raises :class:`PublishError` for an unknown
    ``root``."""
    if root not in parent:
        raise PublishError(f"publication scope {root!r} is not a unit of the report")
    children: dict[str, list[str]] = {}
    for u, p in parent.items():
        if p is not None:
            children.setdefault(p, []).append(u)
    out, stack = set(), [root]
    while stack:
        v = stack.pop()
        out.add(v)
        stack.extend(children.get(v, []))
    return out


def _restrict(data: dict[str, Any], allowed: set[str]) -> None:
    for section in ("units", "scores", "exposures", "funding"):
        data[section] = [r for r in data.get(section) or [] if r.get("unit_id") in allowed]


# ---------------------------------------------------------------------------------------------------
# re-publication: this version against the earlier versions of the same wave (issue 10 item 2)
# ---------------------------------------------------------------------------------------------------

#: the count fields of an exposure row compared between versions (a difference of 1 or 2 is withheld,
#: like a count of 1 or 2 in one version)
_EXPOSURE_COUNTS = ("exposed", "internal", "external", "external_unresolved", "told_no_one")


#: why a unit is withheld by the version rule (``units[].suppressed_reason``, read by
#: :func:`analysis.texts.suppression_reason`)
VERSION_REASON = {"da": "skjult ved genudgivelsen: ville afsløre de besvarelser, der er kommet til siden "
                        "sidste udgave",
                  "en": "withheld at re-publication: would reveal the answers added since the previous "
                        "version"}


def cell_keys(data: Mapping[str, Any]) -> set[tuple[str, ...]]:
    """Every published cell of a report dict: ``("unit", uid)`` (its respondent count),
    ``("score", uid, kind, id)`` and ``("exposure", uid, kind)``. Used to say what a new version
    publishes that the earlier one did not, and what the version rule withheld."""
    out: set[tuple[str, ...]] = {("unit", str(u["unit_id"])) for u in data.get("units") or []
                                 if u.get("published")}
    out |= {("score", str(s["unit_id"]), str(s["kind"]), str(s["id"])) for s in data.get("scores") or []}
    out |= {("exposure", str(e["unit_id"]), str(e["kind"])) for e in data.get("exposures") or []}
    return out


def version_rule(data: dict[str, Any], earlier: Sequence[Mapping[str, Any]], k_diff: int,
                 n_expo: int) -> int:
    """Withhold, in place, what "this version minus an earlier version" would reveal; returns the number
    of cells withheld (:func:`cell_keys`).

    For every kind of cell — a unit's respondent count, one theme with its items (one joint pattern, as
    contract 5.2), one exposure kind — and every earlier version, the *differences* ``d = n_new − n_old``
    of the cells published in both versions are treated like counts in the suppression algorithm: a
    cell with ``0 < |d| < k_diff`` (``n_min_exposure`` for exposure rows; 3 for an exposure count) is
    withheld, and then, deepest unit first, while "d of a unit minus d of its nearest descendants still
    published in both" lies in that range, the frontier unit with the smallest change (or the unit
    itself) is withheld too, until nothing changes. A unit withheld on its respondent count loses every
    row; a unit with a withheld cell keeps the funding criteria of the latest earlier version (already
    published; none if it had none). Raises :class:`PublishError` when an earlier version was published
    with another unit tree (contract 5.4: a changed tree never re-publishes)."""
    units = data.get("units") or []
    parent = {str(u["unit_id"]): u.get("parent_id") for u in units}
    for pos, old in enumerate(earlier, start=1):
        old_parent = {str(u["unit_id"]): u.get("parent_id") for u in old.get("units") or []}
        if old_parent != parent:
            raise PublishError(f"earlier version {pos} was published with another unit tree; a changed "
                               "tree never re-publishes (contract 5.4): restore the tree or publish a new "
                               "wave")
    before = cell_keys(data)
    children: dict[str, list[str]] = {}
    for u, p in parent.items():
        if p is not None:
            children.setdefault(str(p), []).append(u)
    depth: dict[str, int] = {}
    for u in parent:
        d, a = 0, parent[u]
        while a is not None:
            d, a = d + 1, parent.get(str(a))
        depth[u] = d
    order = sorted(parent, key=lambda u: (-depth[u], u))

    def unit_cells(rep: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        return {str(u["unit_id"]): {"n": u["respondents"]} for u in rep.get("units") or []
                if u.get("published") and _number(u.get("respondents"))}

    hidden = _diff_withhold(unit_cells(data), [unit_cells(o) for o in earlier], children, order,
                            {"n": k_diff}, set())
    for u in units:
        if str(u["unit_id"]) in hidden and u.get("published"):
            u.update(published=False, respondents=None, response_rate=None, suppressed="secondary",
                     suppressed_reason=dict(VERSION_REASON))
            if "exposure_published" in u:
                u["exposure_published"] = False
    touched: set[str] = set(hidden)

    def theme_of(row: Mapping[str, Any]) -> str:
        return str(row["id"]) if row.get("kind") == "theme" else str(row.get("theme") or row["id"])

    def score_cells(rep: Mapping[str, Any], key: tuple[str, str]) -> dict[str, dict[str, int]]:
        return {str(s["unit_id"]): {"n": s["n"]} for s in rep.get("scores") or []
                if (str(s.get("kind")), str(s.get("id"))) == key and _number(s.get("n"))}

    groups: dict[str, set[tuple[str, str]]] = {}
    for s in data.get("scores") or []:
        groups.setdefault(theme_of(s), set()).add((str(s["kind"]), str(s["id"])))
    drop: dict[str, set[str]] = {}
    for theme, keys in groups.items():
        withheld = set(hidden)
        while True:
            start = set(withheld)
            for key in sorted(keys):
                withheld |= _diff_withhold(score_cells(data, key), [score_cells(o, key) for o in earlier],
                                           children, order, {"n": k_diff}, withheld)
            if withheld == start:
                break
        drop[theme] = withheld
    data["scores"] = [s for s in data.get("scores") or [] if str(s["unit_id"]) not in drop[theme_of(s)]]

    thresholds = {"n": n_expo, **dict.fromkeys(_EXPOSURE_COUNTS, 3)}

    def exposure_cells(rep: Mapping[str, Any], kind: str) -> dict[str, dict[str, int]]:
        return {str(e["unit_id"]): {m: e[m] for m in thresholds if _number(e.get(m))}
                for e in rep.get("exposures") or [] if str(e.get("kind")) == kind}

    expo_drop: dict[str, set[str]] = {}
    for kind in sorted({str(e["kind"]) for e in data.get("exposures") or []}):
        expo_drop[kind] = _diff_withhold(exposure_cells(data, kind),
                                         [exposure_cells(o, kind) for o in earlier], children, order,
                                         thresholds, hidden)
    data["exposures"] = [e for e in data.get("exposures") or []
                         if str(e["unit_id"]) not in expo_drop.get(str(e["kind"]), set())]

    after = cell_keys(data)
    lost = before - after
    touched |= {c[1] for c in lost}
    if data.get("funding") is not None and touched:
        latest = {str(f["unit_id"]): f for f in earlier[-1].get("funding") or []}
        published = {str(u["unit_id"]) for u in units if u.get("published")}
        funding: list[dict[str, Any]] = []
        for f in data["funding"]:
            uid = str(f["unit_id"])
            if uid not in touched:
                funding.append(f)
            elif uid in published and uid in latest:
                funding.append(copy.deepcopy(dict(latest[uid])))
        data["funding"] = funding
    return len(lost)


def _diff_withhold(new: Mapping[str, Mapping[str, int]], olds: Sequence[Mapping[str, Mapping[str, int]]],
                   children: Mapping[str, list[str]], order: Sequence[str], thresholds: Mapping[str, int],
                   start: set[str]) -> set[str]:
    """The units (``start`` included) whose cell is withheld so that no difference between ``new`` and an
    old version (unit -> {measure: value} of the cells published there) — of one cell, or of a unit minus
    its nearest descendants published in both — lies in 1 … threshold − 1 for any measure.

    A cell (or a measure of it) that an earlier version did not publish as a number stays withheld:
    published now, it would combine with the earlier version's other cells (new unit minus the change of
    its parent, say) into a few late and a few earlier answerers together. With every cell of the new
    version also in each earlier one, any combination of both versions splits into one of the earlier
    version alone (its first answerers) and one of differences (the late answerers), each protected on
    its own (tests/analysis/test_disclosure_attacks.py, the property test over two versions)."""
    out = set(start)
    for old in olds:
        for u, cells in new.items():
            if u not in old or any(m not in old[u] for m in cells if m in thresholds):
                out.add(u)
    while True:
        grown = False
        for old in olds:
            both = {u for u in new if u in old and u not in out}
            diff = {u: {m: new[u][m] - old[u][m] for m in thresholds if m in new[u] and m in old[u]}
                    for u in both}
            for u in sorted(both):
                if any(0 < abs(v) < thresholds[m] for m, v in diff[u].items()):
                    out.add(u)
                    grown = True
            for v in order:
                while v in both and v not in out:
                    front: list[str] = []
                    stack = list(children.get(v, []))
                    while stack:
                        c = stack.pop()
                        if c in both and c not in out:
                            front.append(c)
                        else:
                            stack.extend(children.get(c, []))
                    bad = False
                    for m, t in thresholds.items():
                        if m not in diff[v] or any(m not in diff[f] for f in front):
                            continue  # a value not published as a number in both: nothing to subtract
                        r = diff[v][m] - sum(diff[f][m] for f in front)
                        if 0 < abs(r) < t:
                            bad = True
                            break
                    if not bad:
                        break
                    grown = True
                    moved = [f for f in front if any(x != 0 for x in diff[f].values())]
                    if moved:
                        out.add(min(moved, key=lambda c: (abs(diff[c].get("n", 0)), c)))
                    else:
                        out.add(v)
        if not grown:
            return out
