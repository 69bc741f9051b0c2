"""The analysis report of a wave, for the HR and manager pages and exports.

:func:`report_for` builds the contract report (``analysis.analyse(...).to_dict()``) of one wave and
questionnaire from the database (``dataset.analysis_frames``), against the wave's baseline when the baseline
runs the same questionnaire, with the settings of the app config, and caches it.

Every number a page or export shows comes from that dict, after the one publication step
(:func:`publish_report`). A closed wave's report is stored (:func:`publication`, table
``publications``) with the unit tree it was computed with, and read from there ever after; HR may
publish it again as a new version (:func:`republish`, checked against every earlier version), and pages
read the newest.
A manager's scope is applied with :func:`scope_report`, which *filters* the already-suppressed
report of the whole organisation to the manager's subtree; suppression is never re-run on a smaller
tree (that would publish a different pattern and allow differencing against the full report).

Config keys: ``TRIVSEL_ANALYSIS_SETTINGS`` (a mapping of contract 2.1 settings; optional),
``TRIVSEL_K_MIN`` (used for ``k_min`` when the mapping does not set it; the publication floor) and
``TRIVSEL_COMMENT_MIN`` (respondents a unit needs before its comments are shown; default 10, never below
the floor).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from questionnaires import Questionnaire
from survey.extensions import db
from survey.models import Comment, Publication, Response, Unit, Wave
from survey.services import Conflict, NotFound, ServiceError, dataset

#: respondents a unit needs before its free-text comments are shown
COMMENT_MIN_RESPONDENTS = 10
_CACHE_SIZE = 16

_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_lock = threading.Lock()
#: whole-wave reports of closed waves, joined from their stored publications (which never change); keyed by
#: the database, the wave and the ids of its publications (:func:`_closed_key`), so a new publication (a
#: questionnaire imported later) or a deleted and re-created wave is a new key
_WAVE_CACHE_SIZE = 4
_wave_cache: OrderedDict[tuple[Any, ...], WholeWaveReport] = OrderedDict()


class NotPublishable(ServiceError):
    """The report breaks a floor or a disclosure rule of the publication step: nothing is shown."""


@dataclass(frozen=True)
class WaveReport:
    """A wave's report dict (contract 2.3 plus extras) and the questionnaire snapshot it was made with."""

    wave: Wave
    questionnaire: Questionnaire
    report: dict[str, Any]


def analysis_settings() -> Any:
    """``analysis.Settings`` from the app config (raises ``InputError`` for a bad setting)."""
    from analysis import settings_from_mapping

    raw = dict(current_app.config.get("TRIVSEL_ANALYSIS_SETTINGS") or {})
    k_min = current_app.config.get("TRIVSEL_K_MIN")
    if "k_min" not in raw and k_min is not None:
        raw["k_min"] = int(k_min)
    # the web publishes exposure counts protected across the tree and within a row as well (red team A1,
    # A3; docs/anonymity.md), beyond the contract's row rule
    return dataclasses.replace(settings_from_mapping(raw, "TRIVSEL_ANALYSIS_SETTINGS"),
                               protect_exposure_cells=True)


def reportable_waves() -> list[Wave]:
    """Waves that can be reported on (open for a live preview, or closed), newest first."""
    return list(
        db.session.scalars(
            sa.select(Wave).where(Wave.status.in_(("open", "closed"))).order_by(Wave.id.desc())
        )
    )


def get_wave(label: str) -> Wave:
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == label))
    if wave is None or wave.status not in ("open", "closed"):
        raise NotFound("no open or closed wave '%(label)s'", label=label)
    return wave


def _baseline_label(wave: Wave, questionnaire_id: str) -> str | None:
    base = wave.baseline
    if base is None:
        return None
    if not any(wq.questionnaire_id == questionnaire_id for wq in base.questionnaires):
        return None
    has_rows = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .where(Response.wave_id == base.id, Response.questionnaire_id == questionnaire_id)
    )
    return base.label if has_rows else None


def _fingerprint(wave: Wave, questionnaire_id: str, baseline: str | None) -> tuple[Any, ...]:
    """What the report depends on: response counts of both waves, the unit tree, the settings."""
    counts = tuple(
        db.session.execute(
            sa.select(Response.wave_id, sa.func.count())
            .where(Response.questionnaire_id == questionnaire_id)
            .group_by(Response.wave_id)
            .order_by(Response.wave_id)
        ).all()
    )
    units = hashlib.sha256(
        json.dumps(
            [list(r) for r in db.session.execute(
                sa.select(Unit.unit_id, Unit.parent_id, Unit.name, Unit.headcount).order_by(Unit.unit_id)
            )],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    settings = json.dumps(analysis_settings().to_dict(), sort_keys=True)
    return (str(db.engine.url), wave.label, wave.status, questionnaire_id, baseline, counts, units, settings)


def report_for(wave_label: str, questionnaire_id: str) -> WaveReport:
    """The whole organisation's published report for a wave and questionnaire.

    A **closed** wave's report is its stored publication (:func:`publication`): computed once, at the
    close or at the first report, with the unit tree of that moment, and never recomputed; a later
    tree edit changes no published number (contract 5.4). An open wave's report is computed live
    (cached until the data change); the report pages show none (docs/anonymity.md).

    Raises :class:`~survey.services.NotFound` for an unknown wave / questionnaire and
    :class:`~survey.services.ServiceError` when the wave has no responses yet.
    """
    wave = get_wave(wave_label)
    q = dataset.wave_questionnaire(wave_label, questionnaire_id)
    if wave.status == "closed":
        pub = publication(wave, questionnaire_id)
        # detached, the decoded report belongs to this caller alone (the next read decodes the row again):
        # no deep copy of its ~100,000 rows at 1,500 units
        report = pub.report
        db.session.expunge(pub)
        return WaveReport(wave, q, report)
    baseline = _baseline_label(wave, questionnaire_id)
    key = _fingerprint(wave, questionnaire_id, baseline)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return WaveReport(wave, q, cached)
    report, _units = _compute(wave, questionnaire_id)
    with _lock:
        _cache[key] = report
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return WaveReport(wave, q, report)


def _compute(wave: Wave, questionnaire_id: str, earlier: list[dict[str, Any]] | None = None
             ) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The published report (:func:`publish_report`) of the wave on today's tree, and that tree;
    ``earlier``: the wave's earlier published versions when it is published again (version rule).

    Change rows against the baseline compare with the tree the baseline was published with
    (``baseline_units``, contract 5.4) once ``analysis.analyse`` takes it.
    """
    from analysis import analyse

    q = dataset.wave_questionnaire(wave.label, questionnaire_id)
    baseline = _baseline_label(wave, questionnaire_id)
    units = dataset.units_rows()
    units_df, responses_df = dataset.analysis_frames(wave.label, questionnaire_id, baseline)
    extra: dict[str, Any] = {}
    if baseline is not None:
        base_units = baseline_units_rows(baseline, questionnaire_id)
        if base_units is not None and _tree_key(base_units) != _tree_key(units):
            # the baseline was published with another tree (contract 5.4); with the same tree the
            # argument changes nothing, so it is passed only when the trees differ
            extra["baseline_units"] = dataset.units_df_from_rows(
                f"units of wave {baseline} (as published)", base_units
            )
    try:
        result = analyse(units_df, responses_df, q, wave.label, baseline, analysis_settings(), **extra)
    except ValueError as exc:
        raise ServiceError(
            "wave '%(label)s' cannot be reported yet: %(exc)s",
            label=wave.label,
            exc=exc,
        ) from None
    report = result.to_dict()
    if baseline is not None:
        base_pub = _baseline_publication(baseline, questionnaire_id)
        if base_pub is not None:
            only_published_baseline(report, base_pub)
    return publish_report(report, earlier or ()), units


def _tree_key(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    """What a tree's comparability depends on: each unit and its parent."""
    return sorted((str(r["unit_id"]), str(r.get("parent_id") or "")) for r in rows)


def _baseline_publication(baseline_label: str, questionnaire_id: str) -> dict[str, Any] | None:
    base = db.session.scalar(sa.select(Wave).where(Wave.label == baseline_label))
    if base is None or base.status != "closed":
        return None
    try:
        return publication(base, questionnaire_id).report
    except ServiceError:
        return None


def only_published_baseline(report: dict[str, Any], baseline: Mapping[str, Any]) -> int:
    """Keep a change row only when its baseline value is one the baseline's stored publication shows.

    A change row carries the baseline's n and mean. Computed on today's tree, they can differ from what
    the baseline wave published (its tree may have changed since), and the difference is a group that
    publication hid (docs/anonymity.md, threat 4). So a change whose baseline row is not in the stored
    publication with the same n and mean (to 1e-9) becomes ``too_few`` with every field empty. In place;
    returns the number of rows changed.
    """
    published = {
        (s["unit_id"], s["kind"], s["id"]): s
        for s in baseline.get("scores") or []
        if s.get("mean") is not None
    }
    n = 0
    for s in report.get("scores") or []:
        ch = s.get("change")
        if not isinstance(ch, dict) or (ch.get("baseline_mean") is None and ch.get("delta") is None):
            continue
        b = published.get((s["unit_id"], s["kind"], s["id"]))
        same = (
            b is not None
            and b.get("n") == ch.get("baseline_n")
            and ch.get("baseline_mean") is not None
            and abs(float(b["mean"]) - float(ch["baseline_mean"])) <= 1e-9
        )
        if not same:
            s["change"] = {
                "baseline_n": None, "baseline_mean": None, "delta": None, "ci": None, "p": None,
                "q": None, "class": "too_few", "meaningful": None, "critical_difference": None,
            }
            n += 1
    return n


def publication_policy() -> Any:
    """The web's :class:`analysis.publish.PublishPolicy` (HR; floors at ``TRIVSEL_K_MIN``, never below the
    shipped 5; comments at ``TRIVSEL_COMMENT_MIN``, default :data:`COMMENT_MIN_RESPONDENTS`)."""
    from analysis.publish import K_FLOOR, PublishPolicy

    k_floor = max(K_FLOOR, int(current_app.config.get("TRIVSEL_K_MIN") or K_FLOOR))
    comment_min = max(k_floor, int(current_app.config.get("TRIVSEL_COMMENT_MIN") or COMMENT_MIN_RESPONDENTS))
    return PublishPolicy(audience="hr", k_floor=k_floor, comment_min=comment_min, hidden_counts=False)


def publish_report(report: dict[str, Any], earlier: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The one publication step of the web application: what every page and export may show.

    ``analysis.publish.publish`` with :func:`publication_policy`: an independent re-check of every
    published row, the counts of hidden groups emptied (``hidden_counts=False``) and, with ``earlier``
    versions of the same wave, the version rule. Nothing is redacted here afterwards: every page and
    export reads this dict. Raises :class:`ServiceError` when the report breaks a floor or a disclosure
    rule (nothing is shown or stored then).
    """
    from analysis.publish import PublishError, publish

    try:
        return publish(report, publication_policy(), earlier)
    except PublishError as exc:
        raise NotPublishable("the report cannot be published: %(exc)s", exc=exc) from None


def publication(wave: Wave, questionnaire_id: str) -> Publication:
    """The newest stored publication of a closed wave and questionnaire, publishing version 1 first if
    there is none.

    Publishing computes the report on today's unit tree and stores it with that tree, in one
    transaction with an audit event (``report.publish``). Raises :class:`ServiceError` when the wave
    has no responses for the questionnaire (nothing is stored then).
    """
    from sqlalchemy.exc import IntegrityError

    from survey.services import audit

    if wave.status != "closed":
        raise ServiceError(
            "wave '%(label)s' is %(status)s; only a closed wave is published",
            label=wave.label,
            status=wave.status,
        )
    pub = _stored(wave.id, questionnaire_id)
    if pub is not None:
        return pub
    report, units = _compute(wave, questionnaire_id)
    session = db.session
    try:
        pub = Publication(wave_id=wave.id, questionnaire_id=questionnaire_id, version=1, report=report,
                          units=units, created_at=dt.datetime.now(dt.UTC), created_by=audit.current_actor())
        session.add(pub)
        audit.record("report.publish", target=f"{wave.label}/{questionnaire_id}")
        session.commit()
    except IntegrityError:  # published meanwhile by another request: that one counts
        session.rollback()
    except Exception:
        session.rollback()
        raise
    pub = _stored(wave.id, questionnaire_id)
    if pub is None:  # pragma: no cover - committed or published by the other request
        raise ServiceError("wave '%(label)s' could not be published", label=wave.label)
    return pub


def _stored(wave_id: int, questionnaire_id: str) -> Publication | None:
    """The newest stored version (the one every page and export reads), or None."""
    return db.session.scalar(
        sa.select(Publication)
        .where(Publication.wave_id == wave_id, Publication.questionnaire_id == questionnaire_id)
        .order_by(Publication.version.desc())
        .limit(1)
    )


def versions(wave: Wave, questionnaire_id: str) -> list[Publication]:
    """Every stored version of a wave's publication for one questionnaire, oldest first."""
    return list(db.session.scalars(
        sa.select(Publication)
        .where(Publication.wave_id == wave.id, Publication.questionnaire_id == questionnaire_id)
        .order_by(Publication.version)
    ))


@dataclass(frozen=True)
class RepublishPart:
    """What publishing one questionnaire of a wave again changes (counts of cells,
    :func:`analysis.publish.cell_keys`): ``newly`` published, ``withheld`` by the version rule,
    ``dropped`` (shown in the current version, not in the new one); ``version`` is the new version."""

    questionnaire_id: str
    version: int
    newly: int
    withheld: int
    dropped: int
    report: dict[str, Any]
    units: list[dict[str, str]]
    #: False when the new report equals the current version (no new answers): nothing to publish
    changes: bool = True


class TreeChanged(ServiceError):
    """The unit tree was edited since the wave was published: it is never re-published (contract 5.4)."""


def republish_plan(wave_label: str) -> list[RepublishPart]:
    """:func:`_republish_plan`; a refusal leaves the session as it found it (rolled back)."""
    try:
        return _republish_plan(wave_label)
    except Exception:
        db.session.rollback()
        raise


def _republish_plan(wave_label: str) -> list[RepublishPart]:
    """What :func:`republish` would publish for a closed wave, per questionnaire that has a publication;
    writes nothing. The new report is computed on today's tree with the version rule against every
    earlier version (``analysis.publish.version_rule``).

    Raises :class:`TreeChanged` when today's unit tree (units and their parents) differs from the tree a
    stored version was published with, :class:`~survey.services.Conflict` for a wave that is not closed,
    :class:`~survey.services.NotFound` for an unknown wave."""
    from analysis.publish import cell_keys

    wave = db.session.scalar(sa.select(Wave).where(Wave.label == wave_label))
    if wave is None:
        raise NotFound("no wave '%(wave_label)s'", wave_label=wave_label)
    if wave.status != "closed":
        raise Conflict(
            "wave '%(wave_label)s' is %(status)s; only a closed wave is published again",
            wave_label=wave_label,
            status=wave.status,
        )
    today = dataset.units_rows()
    parts: list[RepublishPart] = []
    for wq in wave.questionnaires:
        stored = versions(wave, wq.questionnaire_id)
        if not stored:
            continue
        for pub in stored:
            old, new = _tree_key([dict(r) for r in pub.units]), _tree_key(today)
            if old != new:
                moved = sorted(set(old) ^ set(new))
                names = ", ".join(sorted({u for u, _p in moved}))
                raise TreeChanged(
                    "wave '%(wave_label)s' (%(questionnaire_id)s) version %(version)s was published "
                    "with another unit tree (changed since: %(names)s); a changed tree is never "
                    "published again, because old and new numbers could be subtracted. Restore the "
                    "tree to publish again",
                    wave_label=wave_label,
                    questionnaire_id=wq.questionnaire_id,
                    version=pub.version,
                    names=names,
                )
        report, units = _compute(wave, wq.questionnaire_id, [dict(p.report) for p in stored])
        latest = cell_keys(stored[-1].report)
        fresh = cell_keys(report)
        parts.append(RepublishPart(
            questionnaire_id=wq.questionnaire_id, version=stored[-1].version + 1,
            newly=len(fresh - latest), withheld=int(report["publication"]["version_rule"]["withheld"]),
            dropped=len(latest - fresh), report=report, units=units,
            changes=_content(report) != _content(stored[-1].report),
        ))
    if not parts:
        raise ServiceError(
            "wave '%(wave_label)s' has no publication yet; it is published when it closes",
            wave_label=wave_label,
        )
    return parts


def _content(report: Mapping[str, Any]) -> str:
    """A report's published numbers as canonical JSON (without the ``publication`` echo)."""
    return json.dumps({k: v for k, v in report.items() if k != "publication"}, sort_keys=True,
                      ensure_ascii=False, default=str)


def plan_digest(parts: list[RepublishPart]) -> str:
    """A short text naming what a plan publishes (versions and counts), for the confirm step: the
    confirmed plan must still be the plan when it is carried out."""
    return ";".join(f"{p.questionnaire_id}:{p.version}:{p.newly}:{p.withheld}:{p.dropped}:{int(p.changes)}"
                    for p in parts)


def republish(wave_label: str, expect: str | None = None) -> list[RepublishPart]:
    """Publish a closed wave again (e.g. after a late vendor import): one new version per questionnaire
    whose numbers change, checked against every earlier version (:func:`republish_plan`), in one
    transaction with the audit event ``report.republish`` (target wave, detail the new versions and
    counts). ``expect``: the :func:`plan_digest` HR confirmed; when the plan differs now (answers or
    versions added meanwhile), :class:`~survey.services.Conflict`. Raises :class:`TreeChanged` (tree
    edited), :class:`~survey.services.Conflict` (nothing would change: no new answers) and the errors of
    :func:`republish_plan`; nothing is written then."""
    from sqlalchemy.exc import IntegrityError

    from survey.services import audit

    parts = republish_plan(wave_label)
    wave = db.session.scalar(sa.select(Wave).where(Wave.label == wave_label))
    assert wave is not None  # republish_plan raised NotFound otherwise
    changed = [p for p in parts if p.changes]
    if not changed:
        raise Conflict(
            "wave '%(wave_label)s': nothing would change (no new answers since the last "
            "version); nothing was published",
            wave_label=wave_label,
        )
    if expect is not None and expect != plan_digest(parts):
        raise Conflict(
            "wave '%(wave_label)s': what would be published changed since the confirm page "
            "was shown (new answers or a new version); nothing was published: look again",
            wave_label=wave_label,
        )
    session = db.session
    now = dt.datetime.now(dt.UTC)
    try:
        for p in changed:
            session.add(Publication(wave_id=wave.id, questionnaire_id=p.questionnaire_id,
                                    version=p.version, report=p.report, units=p.units, created_at=now,
                                    created_by=audit.current_actor()))
        audit.record("report.republish", target=wave_label, detail="; ".join(
            f"{p.questionnaire_id} v{p.version}: {p.newly} newly published, {p.withheld} withheld by the "
            f"version rule, {p.dropped} no longer shown" for p in changed))
        session.commit()
    except IntegrityError:  # another request published the same version meanwhile
        session.rollback()
        raise Conflict(
            "wave '%(wave_label)s' was published again by someone else meanwhile; nothing "
            "was published: look at the new version and try again if needed",
            wave_label=wave_label,
        ) from None
    except Exception:
        session.rollback()
        raise
    clear_cache()
    return changed


def publish_wave(wave_label: str) -> list[str]:
    """Publish every questionnaire of a closed wave that has responses (called when a wave closes).

    Returns the questionnaire ids published (or already published).
    """
    wave = get_wave(wave_label)
    done: list[str] = []
    for wq in wave.questionnaires:
        try:
            publication(wave, wq.questionnaire_id)
        except ServiceError:
            continue  # no answers for this questionnaire: nothing to publish
        done.append(wq.questionnaire_id)
    return done


def baseline_units_rows(baseline_label: str, questionnaire_id: str) -> list[dict[str, str]] | None:
    """The unit tree the baseline wave was published with (:func:`dataset.units_rows` form), publishing
    the baseline first if it is closed and has no publication yet; None when it cannot be published."""
    base = db.session.scalar(sa.select(Wave).where(Wave.label == baseline_label))
    if base is None or base.status != "closed":
        return None
    try:
        return [dict(r) for r in publication(base, questionnaire_id).units]
    except ServiceError:
        return None


def log_access(action: str, target: str | None = None) -> None:
    """Record a report view or export in the audit log in a transaction of its own
    (:func:`survey.services.audit.log`). Only labels (wave, questionnaire, unit id), never numbers or
    answers."""
    from survey.services import audit

    audit.log(action, target=target)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _wave_cache.clear()


def scope_report(report: Mapping[str, Any], unit_ids: Collection[str] | None) -> dict[str, Any]:
    """A copy of ``report`` holding only the rows of ``unit_ids`` (None = everything).

    The rows are those of the full, already-suppressed report: a unit hidden there stays hidden here.
    The rows themselves are shared with ``report``, not copied (a closed wave's report has ~100,000 rows
    at 1,500 units; copying them took most of a page's time): readers must not change them.
    """
    out = dict(report)
    keep = set(unit_ids) if unit_ids is not None else None
    for key in ("units", "scores", "exposures", "funding"):
        if key in out:
            out[key] = [row for row in out.get(key) or [] if keep is None or row.get("unit_id") in keep]
    return out


def report_subtree(report: Mapping[str, Any], root: str | None) -> set[str]:
    """``root`` and its descendants in the report's own unit tree (empty when ``root`` is not in it)."""
    from analysis.publish import subtree

    parent = {u["unit_id"]: u.get("parent_id") for u in report["units"]}
    return subtree(parent, root) if root is not None and root in parent else set()


def unit_row(report: Mapping[str, Any], unit_id: str) -> dict[str, Any] | None:
    return next((u for u in report["units"] if u["unit_id"] == unit_id), None)


def comment_groups(report: Mapping[str, Any], minimum: int = COMMENT_MIN_RESPONDENTS
                   ) -> dict[str, tuple[set[str], int]]:
    """Which units' comments each unit page may show: unit id -> (units whose comments it shows, group size).

    ``minimum`` is the publication policy's comment threshold (``PublishPolicy.comment_threshold``,
    :func:`publication_policy`; default :data:`COMMENT_MIN_RESPONDENTS`). A unit *qualifies* when it is
    published and has at least ``minimum`` respondents
    (its subtree's). Every comment is shown in exactly one place: at the deepest qualifying unit above (or
    at) the unit it was written in. A qualifying unit shows the comments of its subtree minus the subtrees
    of qualifying descendants, and only when the respondents of that remaining group (the unit's count minus
    the counts of those descendants, all from the report) are at least :data:`COMMENT_MIN_RESPONDENTS`; so
    no comment appears on two pages, and two pages cannot be subtracted to single out a small group.
    """
    units = {u["unit_id"]: u for u in report["units"]}
    children: dict[str | None, list[str]] = {}
    for u in report["units"]:
        children.setdefault(u.get("parent_id"), []).append(u["unit_id"])

    def qualifies(uid: str) -> bool:
        u = units[uid]
        return bool(u.get("published")) and int(u.get("respondents") or 0) >= minimum

    out: dict[str, tuple[set[str], int]] = {}
    for uid in units:
        if not qualifies(uid):
            continue
        own: set[str] = set()
        taken = 0
        stack = [uid]
        while stack:
            cur = stack.pop()
            own.add(cur)
            for child in children.get(cur, []):
                if qualifies(child):
                    taken += int(units[child].get("respondents") or 0)
                else:
                    stack.append(child)
        size = int(units[uid].get("respondents") or 0) - taken
        if size >= minimum:
            out[uid] = (own, size)
    return out


def comments_for(
    wave: Wave, questionnaire_ids: Collection[str], report: Mapping[str, Any], unit_id: str
) -> list[str] | None:
    """The free-text comments of the wave's questionnaires ``questionnaire_ids`` shown on a unit's page,
    in random order, without any time or source unit; None when the unit may not show comments
    (:func:`comment_groups` on ``report``'s unit rows — the whole-wave report's on the pages — with the
    policy's comment threshold)."""
    group = comment_groups(report, publication_policy().comment_threshold).get(unit_id)
    if group is None:
        return None
    texts = list(
        db.session.scalars(
            sa.select(Comment.text).where(
                Comment.wave_id == wave.id,
                Comment.questionnaire_id.in_(sorted(questionnaire_ids)),
                Comment.unit_id.in_(sorted(group[0])),
            )
        )
    )
    random.SystemRandom().shuffle(texts)
    return texts


# ---------------------------------------------------------------------------------------------------
# the whole wave as one report
# ---------------------------------------------------------------------------------------------------

_COLOUR_RANK = {None: 0, "yellow": 1, "orange": 2, "red": 3}


@dataclass(frozen=True)
class WholeWaveReport:
    """A wave's report over **all** of its questionnaires.

    ``questionnaire`` is one combined :class:`~questionnaires.Questionnaire` (every theme, item and
    exposure of the wave's questionnaires, in answering order) so that pages, charts and exports can look
    up any row; ``questionnaires`` are the wave's own snapshots; ``parts`` the per-questionnaire reports.
    ``report`` is a contract 2.3 report dict whose ``questionnaire.id`` is the combined id, with
    ``questionnaires`` listing every part (id, version, title, baseline).
    """

    wave: Wave
    questionnaire: Questionnaire
    questionnaires: tuple[Questionnaire, ...]
    report: dict[str, Any]
    parts: tuple[WaveReport, ...]

    @property
    def questionnaire_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questionnaires)

    def part_of(self, kind: str, row_id: str) -> Questionnaire | None:
        """The questionnaire holding a theme / item (``kind`` theme|item) or an exposure kind (exposure)."""
        for q in self.questionnaires:
            if kind == "theme" and any(t.id == row_id for t in q.themes):
                return q
            if kind == "item" and any(i.id == row_id for i in q.items):
                return q
            if kind == "exposure" and any(e.kind == row_id for e in q.exposures):
                return q
        return None


def _main_part(parts: list[WaveReport]) -> WaveReport:
    """The part whose unit rows the whole-wave report shows: the one with the most respondents at the
    root (the first in answering order on a tie). Web submissions store one response per questionnaire,
    so the parts normally agree on every unit row."""
    def root_n(p: WaveReport) -> int:
        root = next((u for u in p.report["units"] if u.get("parent_id") is None), None)
        return int((root or {}).get("respondents") or 0)

    best = parts[0]
    for p in parts[1:]:
        if root_n(p) > root_n(best):
            best = p
    return best


def _merge_funding(parts: list[WaveReport], published: set[str], points: Mapping[str, int]
                   ) -> list[dict[str, Any]]:
    """Funding rows over every questionnaire: the worst colour, any exposure criterion, any polarised
    theme; points recomputed from the settings' points (contract 2.2, C1–C4 over the whole wave)."""
    merged: dict[str, dict[str, Any]] = {}
    for p in parts:
        for f in p.report.get("funding") or []:
            uid = f["unit_id"]
            if uid not in published:
                continue
            m = merged.setdefault(uid, {"unit_id": uid, "low_score": None, "internal": False,
                                        "external_unresolved": False, "polarised": False, "evidence": []})
            if _COLOUR_RANK[f.get("low_score")] > _COLOUR_RANK[m["low_score"]]:
                m["low_score"] = f.get("low_score")
            for key in ("internal", "external_unresolved", "polarised"):
                m[key] = bool(m[key] or f.get(key))
            m["evidence"].extend(f.get("evidence") or [])
    for m in merged.values():
        low = m["low_score"]
        m["points"] = (points[low] if low else 0) + sum(
            points[k] for k in ("internal", "external_unresolved", "polarised") if m[k]
        )
        m["eligible"] = m["points"] > 0
    return list(merged.values())


def wave_report(wave_label: str) -> WholeWaveReport:
    """The whole organisation's report of a wave over all of its questionnaires (cached parts).

    Each questionnaire is analysed by :func:`report_for` — the one analysis and publication step, with
    its own baseline and suppression — and the parts are joined: the unit rows of the main part
    (:func:`_main_part`), every part's score and exposure rows (rows only exist for units published in
    that part), funding over all parts. The database keeps one unlinked response per person and
    questionnaire, so one analysis over stacked rows would count each person once per questionnaire;
    joining published parts counts everyone once and publishes nothing a part does not.

    Raises :class:`~survey.services.NotFound` for an unknown wave and
    :class:`~survey.services.ServiceError` when no questionnaire of the wave has responses.
    """
    wave = get_wave(wave_label)
    key = _closed_key(wave)
    if key is not None:
        with _lock:
            hit = _wave_cache.get(key)
            if hit is not None:
                _wave_cache.move_to_end(key)
        if hit is not None:  # the rows are shared (read-only); the wave is this session's
            return dataclasses.replace(hit, wave=wave,
                                       parts=tuple(dataclasses.replace(p, wave=wave) for p in hit.parts))
    wr = _join_wave(wave, wave_label)
    key = key or _closed_key(wave)  # published just now
    if key is not None:
        with _lock:
            _wave_cache[key] = wr
            while len(_wave_cache) > _WAVE_CACHE_SIZE:
                _wave_cache.popitem(last=False)
        _freeze_large(wr)
    return wr


#: score rows from which a newly cached report is moved out of the garbage collector's sight
FREEZE_ROWS = 10_000


def _freeze_large(wr: WholeWaveReport) -> None:
    """After a large report is cached, collect once and freeze what lives (``gc.freeze``): at 1,500 units
    the cached rows are millions of objects that every full collection walked again, a pause of up to
    about a second landing on whichever page request happened to trigger it. Frozen objects are still
    freed by reference counting when the cache drops them (decoded JSON has no cycles); only cycles
    among objects alive now are never collected, which is why small reports (tests, the demo) are left
    alone."""
    if len(wr.report.get("scores") or ()) >= FREEZE_ROWS:
        gc.collect()
        gc.freeze()


def _closed_key(wave: Wave) -> tuple[Any, ...] | None:
    """The cache key of a closed wave's joined report: None for an open wave or one not published yet."""
    if wave.status != "closed":
        return None
    pubs = tuple((str(q), int(i)) for q, i in db.session.execute(
        sa.select(Publication.questionnaire_id, Publication.id)
        .where(Publication.wave_id == wave.id).order_by(Publication.questionnaire_id)
    ))
    if not pubs:
        return None
    # ids can come back in SQLite after a delete: the response count and privacy's clear_cache() guard
    # a wave deleted and imported again under the same label
    responses = db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.wave_id == wave.id))
    return (str(db.engine.url), wave.id, wave.label, wave.mark_key_check, pubs, responses)


def _join_wave(wave: Wave, wave_label: str) -> WholeWaveReport:
    parts: list[WaveReport] = []
    for wq in wave.questionnaires:
        try:
            parts.append(report_for(wave_label, wq.questionnaire_id))
        except NotPublishable:
            raise  # a part that breaks the publication step stops the whole wave: nothing is shown
        except ServiceError:
            continue  # a questionnaire nobody answered (yet) adds nothing
    if not parts:
        raise ServiceError(
            "wave '%(wave_label)s' cannot be reported yet: it has no responses",
            wave_label=wave_label,
        )
    from analysis.inputs import combine_questionnaires

    qs = tuple(p.questionnaire for p in parts)
    combined = combine_questionnaires(qs)  # the analysis' own joining of questionnaires (contract 5.3)
    main = _main_part(parts)
    units = copy.deepcopy(main.report["units"])
    published = {u["unit_id"] for u in units if u.get("published")}
    scores: list[dict[str, Any]] = []
    exposures: list[dict[str, Any]] = []
    for p in parts:
        scores.extend(s for s in p.report["scores"] if s["unit_id"] in published)
        exposures.extend(e for e in p.report.get("exposures") or [] if e["unit_id"] in published)
    settings = main.report["settings"]
    report: dict[str, Any] = {
        "schema": main.report["schema"],
        "questionnaire": {"id": combined.id, "version": combined.version},
        "questionnaires": [
            {"id": p.questionnaire.id, "version": p.questionnaire.version,
             "title": dict(p.questionnaire.title.values), "baseline": p.report.get("baseline")}
            for p in parts
        ],
        "wave": wave.label,
        "baseline": next((p.report.get("baseline") for p in parts if p.report.get("baseline")), None),
        "settings": settings,
        "units": units,
        "scores": scores,
        "exposures": exposures,
        "funding": _merge_funding(parts, published, settings.get("points") or {}),
    }
    sigs = [p.report["significance"] for p in parts if p.report.get("significance")]
    if sigs:  # contract 5.6 over the whole wave: every part's families side by side, counts summed
        merged_sig: dict[str, Any] = {k: v for k, v in sigs[0].items() if k not in ("theme", "item")}
        for kind in ("theme", "item"):
            fams = [sg.get(kind) or {} for sg in sigs]
            merged_sig[kind] = {key: sum(f.get(key, 0) for f in fams)
                                for key in ("families", "tested", "significant", "expected_by_chance")}
        report["significance"] = merged_sig
    return WholeWaveReport(wave, combined, qs, report, tuple(parts))
