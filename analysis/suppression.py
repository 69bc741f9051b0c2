"""The unit tree and hierarchical complementary suppression (statistics.md D; contract.md 2.2 and 4).

Algorithm (for counts ``n`` per unit, already summed over each unit's subtree):

1. Primary: every unit with ``0 < n < k_min`` is suppressed.
2. For a published unit v, its frontier F(v) is the set of nearest published descendants, found through
   suppressed ones, and its residual is ``R(v) = n(v) − Σ_{u∈F(v)} n(u)`` (what subtraction reveals).
3. Units are processed deepest first (tie: ``unit_id`` as a code-point string). While ``0 < R(v) < k_diff``
   the frontier unit with the fewest respondents (among those with at least one; tie: ``unit_id``) is
   suppressed; when no such unit is left, v itself is suppressed. Repeat until nothing changes.

Implementation: a vectorised pass finds the violating units; only those are visited in Python, in processing
order, from a heap. Suppressing a frontier unit u of v can only change R(v), and suppressing v itself can
only change R of v's nearest published ancestor, which is pushed on the heap; units visited earlier are
never affected by later steps, so one ordered pass reaches the fixed point (a final vectorised check
confirms it). Cost: O(units · depth) in NumPy plus Python work for the violators only.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

NOT_SUPPRESSED, PRIMARY, SECONDARY = 0, 1, 2
REASON_NAMES: dict[int, str | None] = {NOT_SUPPRESSED: None, PRIMARY: "primary", SECONDARY: "secondary"}


@dataclass(frozen=True, eq=False)
class Tree:
    """The unit tree as arrays, in units.csv order.

    ``parent[i]`` is the index of unit i's parent (−1 for the root); ``levels[d]`` holds the indices of
    the units at depth d. :meth:`rollup` sums any per-unit quantity over every subtree, level by level
    from the deepest up (one grouped NumPy sum per level).
    """

    ids: tuple[str, ...]
    parent: np.ndarray
    depth: np.ndarray
    children: tuple[tuple[int, ...], ...]
    levels: tuple[np.ndarray, ...]
    rank: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ids)

    @classmethod
    def from_units(cls, units: pd.DataFrame) -> Tree:
        """Build the tree from :func:`analysis.inputs.units_frame` output (validated: one root, no cycle)."""
        ids = tuple(str(u) for u in units["unit_id"].tolist())
        index = {u: i for i, u in enumerate(ids)}
        if len(index) != len(ids):
            raise ValueError("units: unit_id values must be unique")
        parent = np.full(len(ids), -1, dtype=np.int64)
        for i, p in enumerate(units["parent_id"].tolist()):
            if p is not None and not (isinstance(p, float) and np.isnan(p)):
                if str(p) not in index:
                    raise ValueError(f"units: parent_id {p!r} of {ids[i]!r} is not a unit")
                parent[i] = index[str(p)]
        if int((parent < 0).sum()) != 1:
            raise ValueError("units: exactly one unit must be the root (empty parent_id)")
        kids: list[list[int]] = [[] for _ in ids]
        for i, p in enumerate(parent.tolist()):
            if p >= 0:
                kids[p].append(i)
        depth = np.full(len(ids), -1, dtype=np.int64)
        root = int(np.flatnonzero(parent < 0)[0])
        depth[root] = 0
        stack = [root]
        while stack:
            v = stack.pop()
            for c in kids[v]:
                depth[c] = depth[v] + 1
                stack.append(c)
        if (depth < 0).any():
            raise ValueError("units: the parent_id links form a cycle")
        levels = tuple(np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1))
        order = sorted(range(len(ids)), key=lambda i: (-int(depth[i]), ids[i]))
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(ids))
        return cls(ids, parent, depth, tuple(tuple(k) for k in kids), levels, rank)

    def rollup(self, direct: np.ndarray) -> np.ndarray:
        """Sum a per-unit array (units × …) over every subtree (a respondent counts in their unit and
        every ancestor)."""
        out = np.array(direct, dtype=np.float64, copy=True)
        flat = out.reshape(out.shape[0], -1)
        for idx in reversed(self.levels[1:]):
            parents = self.parent[idx]
            order = np.argsort(parents, kind="stable")
            sorted_parents = parents[order]
            starts = np.flatnonzero(np.r_[True, sorted_parents[1:] != sorted_parents[:-1]])
            flat[sorted_parents[starts]] += np.add.reduceat(flat[idx[order]], starts, axis=0)
        return out

    def rollup_max(self, direct: np.ndarray) -> np.ndarray:
        """Maximum of a per-unit array (units × k) over every subtree (NaN ignored)."""
        out = np.array(direct, dtype=np.float64, copy=True)
        for idx in reversed(self.levels[1:]):
            np.fmax.at(out, self.parent[idx], out[idx])
        return out

    def nearest_published_ancestor(self, published: np.ndarray) -> np.ndarray:
        """For every unit, its nearest *strict* ancestor that is published (−1 when none)."""
        npa = np.full(self.size, -1, dtype=np.int64)
        for idx in self.levels[1:]:
            p = self.parent[idx]
            npa[idx] = np.where(published[p], p, npa[p])
        return npa


@dataclass(frozen=True, eq=False)
class Pattern:
    """A suppression pattern: ``published`` per unit, ``reason`` (0 none, 1 primary, 2 secondary) and
    ``protects`` (for a secondary suppression, the unit whose residual it protects; itself when the unit
    had to be suppressed for its own residual; −1 otherwise)."""

    published: np.ndarray
    reason: np.ndarray
    protects: np.ndarray


def residuals(tree: Tree, n: np.ndarray, published: np.ndarray) -> np.ndarray:
    """R(v) = n(v) − Σ n over v's frontier, for every unit (meaningful for published units)."""
    npa = tree.nearest_published_ancestor(published)
    take = published & (npa >= 0)
    covered = np.bincount(npa[take], weights=n[take].astype(np.float64), minlength=tree.size)
    return n - covered.astype(np.int64)


def suppress(tree: Tree, n: np.ndarray, k_min: int, k_diff: int, start: np.ndarray | None = None) -> Pattern:
    """Run the suppression algorithm on counts ``n`` (one per unit, subtree totals).

    ``start`` is an existing pattern (True = published) to start from, e.g. the unit pattern when a row
    or the exposure pattern is computed; units it suppresses stay suppressed with reason 0 here.
    """
    counts = np.asarray(n, dtype=np.int64)
    published = np.ones(tree.size, dtype=bool) if start is None else np.array(start, dtype=bool, copy=True)
    reason = np.zeros(tree.size, dtype=np.int8)
    protects = np.full(tree.size, -1, dtype=np.int64)
    primary = published & (counts > 0) & (counts < k_min)
    published[primary] = False
    reason[primary] = PRIMARY
    while True:
        resid = residuals(tree, counts, published)
        violators = np.flatnonzero(published & (resid > 0) & (resid < k_diff))
        if violators.size == 0:
            return Pattern(published, reason, protects)
        _fix(tree, counts, published, reason, protects, violators, k_diff)


def _fix(tree: Tree, counts: np.ndarray, published: np.ndarray, reason: np.ndarray, protects: np.ndarray,
         violators: np.ndarray, k_diff: int) -> None:
    pub = published.tolist()
    nl = counts.tolist()
    ids = tree.ids
    kids = tree.children
    parent = tree.parent.tolist()
    rank = tree.rank.tolist()
    heap = [(rank[v], v) for v in violators.tolist()]
    heapq.heapify(heap)
    seen: set[int] = set()
    while heap:
        _, v = heapq.heappop(heap)
        if v in seen or not pub[v]:
            continue
        seen.add(v)
        while True:
            frontier: list[int] = []
            stack = list(kids[v])
            while stack:
                c = stack.pop()
                if pub[c]:
                    frontier.append(c)
                else:
                    stack.extend(kids[c])
            resid = nl[v] - sum(nl[u] for u in frontier)
            if not 0 < resid < k_diff:
                break
            candidates = [u for u in frontier if nl[u] > 0]
            if candidates:
                u = min(candidates, key=lambda c: (nl[c], ids[c]))
                pub[u] = False
                reason[u] = SECONDARY
                protects[u] = v
                continue
            pub[v] = False
            reason[v] = SECONDARY
            protects[v] = v
            a = parent[v]
            while a >= 0 and not pub[a]:
                a = parent[a]
            if a >= 0:
                seen.discard(a)
                heapq.heappush(heap, (rank[a], a))
            break
    published[:] = pub


def describe(pattern: Pattern, tree: Tree, n: np.ndarray, k_min: int, what: str = "respondents"
             ) -> list[str | None]:
    """A human-readable reason per unit ("primary: 3 respondents < 5", "secondary: protects …")."""
    out: list[str | None] = []
    for i in range(tree.size):
        r = int(pattern.reason[i])
        if r == PRIMARY:
            out.append(f"primary: {int(n[i])} {what} < {k_min}")
        elif r == SECONDARY:
            p = int(pattern.protects[i])
            if p == i:
                out.append("secondary: its own residual (direct staff and hidden units) "
                           "could not be protected")
            else:
                out.append(f"secondary: protects the residual of {tree.ids[p]}")
        else:
            out.append(None)
    return out



def joint_pattern(tree: Tree, counts: list[np.ndarray], k_min: int, k_diff: int, start: np.ndarray
                  ) -> np.ndarray:
    """One pattern shared by several rows (contract 5.2: a theme row and its item rows): the fixed point,
    starting from ``start``, of :func:`suppress` run in turn on every count of ``counts``. Every row then
    has the same published units, so "unit minus its published descendants" takes the same group of
    respondents for each of them, and a row hidden in a unit hides the others there too
    (docs/methods.md 1). Returns ``published`` per unit."""
    published = np.array(start, dtype=bool, copy=True)
    while True:
        before = published.copy()
        for c in counts:
            published = suppress(tree, c, k_min, k_diff, published).published
        if np.array_equal(published, before):
            return published
