"""Typed schema of a questionnaire definition (contract.md 1.2, extended).

A definition is YAML data. :func:`from_dict` validates it and returns a frozen
:class:`Questionnaire`; every problem is reported as a :class:`QuestionnaireError`
whose message names the file and the path inside it (``trivsel.yaml: themes[2].items[0].scale:
unknown scale 'enig5'; known scales: enig7``).

The minimum keys of the contract are enough to load and analyse (that is how earlier waves
from other vendors come in). Keys this project adds, all optional:

- top level: ``intro``, ``privacy``, ``modelled_on`` (localised texts), ``free_text`` (list of
  free-text items ``{id, text, help, max_length}``)
- theme: ``description``, ``modelled_on``, ``flags`` (contract 5.7: the theme's own flag thresholds,
  ``{mean: {red, orange, yellow}, unfavourable: {red, orange, yellow}}``; either part may be left out)
- item: ``help``
- exposure: ``title``, ``definition`` (localised texts shown to the respondent)
- scale: ``dont_know_label`` (localised text for the "don't know" choice)

Unknown keys are errors, so that a typo (``revers: true``) never passes silently; the message
suggests the nearest allowed key. :func:`questionnaires.load_text` also rejects a key written twice
in one mapping (plain YAML keeps the last one). Content rules for the definitions Trivsel ships
(both languages everywhere, ``modelled_on`` on every theme, ...) are in :mod:`questionnaires.check`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES: tuple[str, ...] = ("da", "en")

#: Exposure frequency codes (contract 1.2): 0 no, 1 a few times, 2 monthly, 3 weekly, 4 daily.
FREQUENCY_CODES: tuple[int, ...] = (0, 1, 2, 3, 4)
INTERNAL_SOURCES: tuple[str, ...] = ("manager", "colleague", "subordinate")
EXTERNAL_SOURCES: tuple[str, ...] = ("citizen", "partner")
SOURCE_CODES: tuple[str, ...] = INTERNAL_SOURCES + EXTERNAL_SOURCES
HANDLED_CODES: tuple[str, ...] = ("yes", "partly", "no", "dont_know")
TOLD_CODES: tuple[str, ...] = ("manager", "colleague", "representative", "hr", "other", "no_one")
EXPOSURE_PARTS: tuple[str, ...] = ("question", "source", "handled", "told")
STANDARD_EXPOSURE_KINDS: tuple[str, ...] = ("bullying", "sexual_harassment", "threats", "violence")


class QuestionnaireError(ValueError):
    """A questionnaire definition is invalid. ``str(err)`` is a complete, user-facing message."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Text:
    """A text in one or more languages. ``get`` falls back to any language present."""

    values: Mapping[str, str]

    def get(self, lang: str) -> str:
        if lang in self.values:
            return self.values[lang]
        for other in LANGUAGES:
            if other in self.values:
                return self.values[other]
        return next(iter(self.values.values()))

    def to_data(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True)
class Scale:
    id: str
    min: int
    max: int
    dont_know: int | None
    labels: Mapping[str, tuple[str, ...]]
    dont_know_label: Text | None = None

    @property
    def points(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))

    @property
    def length(self) -> int:
        return self.max - self.min + 1

    def label(self, value: int, lang: str) -> str:
        labels = self.labels.get(lang) or next(iter(self.labels.values()), ())
        if labels:
            return labels[value - self.min]
        return str(value)

    def is_valid_code(self, code: int) -> bool:
        return self.min <= code <= self.max or (self.dont_know is not None and code == self.dont_know)


@dataclass(frozen=True)
class Item:
    id: str
    text: Text
    scale: str
    reverse: bool
    theme: str
    help: Text | None = None


FLAG_COLOURS: tuple[str, ...] = ("red", "orange", "yellow")


@dataclass(frozen=True)
class ThemeFlags:
    """A theme's own flag thresholds (contract 5.7). ``mean``: flag when the mean is below the value
    (red ≤ orange ≤ yellow); ``unfavourable``: flag when the share of answers 1–3 is at least the value
    (red ≥ orange ≥ yellow, each 0–1). None: the theme uses the settings' global values."""

    mean: Mapping[str, float] | None = None
    unfavourable: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Theme:
    id: str
    title: Text
    items: tuple[Item, ...]
    description: Text | None = None
    modelled_on: Text | None = None
    flags: ThemeFlags | None = None


@dataclass(frozen=True)
class Question:
    """One part of an exposure block (question, source, handled or told)."""

    id: str
    text: Text


@dataclass(frozen=True)
class Exposure:
    kind: str
    question: Question
    source: Question | None
    handled: Question | None
    told: Question | None
    title: Text | None = None
    definition: Text | None = None

    def parts(self) -> Iterator[tuple[str, Question]]:
        """The parts present, in contract order: ``(part name, question)``."""
        for name in EXPOSURE_PARTS:
            q = getattr(self, name)
            if q is not None:
                yield name, q


@dataclass(frozen=True)
class FreeText:
    id: str
    text: Text
    help: Text | None = None
    max_length: int = 2000


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: Text
    scales: Mapping[str, Scale]
    themes: tuple[Theme, ...]
    exposures: tuple[Exposure, ...] = ()
    free_text: tuple[FreeText, ...] = ()
    intro: Text | None = None
    privacy: Text | None = None
    modelled_on: Text | None = None
    #: the validated source data; a wave stores this snapshot and reloads it with from_dict
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for theme in self.themes for item in theme.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale_of(self, item: Item) -> Scale:
        return self.scales[item.scale]

    @property
    def exposure_columns(self) -> tuple[tuple[str, str, str], ...]:
        """``(column id, exposure kind, part)`` for every exposure part, in definition order."""
        return tuple((q.id, e.kind, part) for e in self.exposures for part, q in e.parts())

    @property
    def response_columns(self) -> tuple[str, ...]:
        """Every column a contract ``responses.csv`` must have besides ``wave`` and ``unit_id``."""
        return tuple(i.id for i in self.items) + tuple(c for c, _, _ in self.exposure_columns)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang in self.title.values)

    @property
    def reverse_items(self) -> tuple[Item, ...]:
        """The items analysed as ``(min + max) - x``."""
        return tuple(item for item in self.items if item.reverse)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def exposure(self, kind: str) -> Exposure:
        for exposure in self.exposures:
            if exposure.kind == kind:
                return exposure
        raise KeyError(kind)


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------


class _V:
    """Validation helpers bound to one source name."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> QuestionnaireError:
        return QuestionnaireError(self.source, path, message)

    def mapping(self, value: Any, path: str, required: set[str], optional: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            keys = ", ".join(sorted(required) or sorted(optional))
            raise self.fail(path, f"expected a mapping (keys: {keys}), got {_kind(value)}")
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required | optional))
                close = difflib.get_close_matches(str(key), sorted(required | optional), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise self.fail(
                    _join(path, str(key)),
                    f"unknown key '{key}'{hint}; allowed keys here: {allowed or '(none)'}",
                )
        for key in sorted(required):
            if key not in value:
                raise self.fail(path, f"missing required key '{key}'")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def identifier(self, value: Any, path: str) -> str:
        text = self.string(
            value if not isinstance(value, int) or isinstance(value, bool) else str(value), path
        )
        if any(ch.isspace() for ch in text) or any(ch in text for ch in ",;\"'"):
            raise self.fail(path, f"'{text}' is not a valid id (no spaces, commas, semicolons or quotes)")
        return text

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected a whole number, got {_kind(value)}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def text(self, value: Any, path: str) -> Text:
        if isinstance(value, str):
            raise self.fail(
                path, 'expected texts per language, e.g. {da: "...", en: "..."}, got a plain string'
            )
        data = self.mapping(value, path, set(), set(LANGUAGES))
        if not data:
            raise self.fail(path, "expected at least one language (da, en)")
        return Text({lang: self.string(text, _join(path, lang)) for lang, text in data.items()})

    def optional_text(self, data: Mapping[str, Any], key: str, path: str) -> Text | None:
        return self.text(data[key], _join(path, key)) if key in data else None

    def sequence(self, value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        if not value and not allow_empty:
            raise self.fail(path, "expected at least one entry")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _scale(v: _V, scale_id: str, value: Any, path: str) -> Scale:
    data = v.mapping(value, path, {"min", "max"}, {"dont_know", "labels", "dont_know_label"})
    lo = v.integer(data["min"], _join(path, "min"))
    hi = v.integer(data["max"], _join(path, "max"))
    if hi - lo < 1:
        raise v.fail(path, f"max ({hi}) must be greater than min ({lo})")
    dont_know = None
    if data.get("dont_know") is not None:
        dont_know = v.integer(data["dont_know"], _join(path, "dont_know"))
        if lo <= dont_know <= hi:
            raise v.fail(_join(path, "dont_know"), f"code {dont_know} lies inside the scale {lo}..{hi}")
    labels: dict[str, tuple[str, ...]] = {}
    if "labels" in data:
        lpath = _join(path, "labels")
        raw = v.mapping(data["labels"], lpath, set(), set(LANGUAGES))
        for lang, values in raw.items():
            seq = v.sequence(values, _join(lpath, lang))
            if len(seq) != hi - lo + 1:
                raise v.fail(
                    _join(lpath, lang), f"expected {hi - lo + 1} labels for {lo}..{hi}, got {len(seq)}"
                )
            labels[lang] = tuple(v.string(s, f"{_join(lpath, lang)}[{i}]") for i, s in enumerate(seq))
    dk_label = v.optional_text(data, "dont_know_label", path)
    if dk_label is not None and dont_know is None:
        raise v.fail(
            _join(path, "dont_know_label"),
            "a label for 'don't know' needs a dont_know code; add dont_know: <code>",
        )
    return Scale(scale_id, lo, hi, dont_know, labels, dk_label)


def _threshold_table(v: _V, value: Any, path: str, lo: float, hi: float, rule: str) -> dict[str, float]:
    data = v.mapping(value, path, set(FLAG_COLOURS), set())
    out: dict[str, float] = {}
    for colour in FLAG_COLOURS:
        x = data[colour]
        cpath = _join(path, colour)
        if isinstance(x, bool) or not isinstance(x, (int, float)) or x != x:
            raise v.fail(cpath, f"expected a number, got {_kind(x)}")
        if not lo <= x <= hi:
            raise v.fail(cpath, f"{x} lies outside {lo:g}..{hi:g} ({rule})")
        out[colour] = float(x)
    return out


def _theme_flags(v: _V, value: Any, path: str, lo: int, hi: int) -> ThemeFlags:
    """``flags: {mean: {red, orange, yellow}, unfavourable: {red, orange, yellow}}`` of one theme."""
    data = v.mapping(value, path, set(), {"mean", "unfavourable"})
    if not data:
        raise v.fail(path, "expected 'mean' and/or 'unfavourable', e.g. mean: {red: 3.4, orange: 4.0, "
                           "yellow: 4.4}; leave 'flags' out to use the global thresholds")
    mean = unfavourable = None
    if "mean" in data:
        mpath = _join(path, "mean")
        mean = _threshold_table(v, data["mean"], mpath, lo, hi, f"a mean on the theme's scale {lo}..{hi}")
        if not mean["red"] <= mean["orange"] <= mean["yellow"]:
            raise v.fail(mpath, f"red ({mean['red']:g}) ≤ orange ({mean['orange']:g}) ≤ yellow "
                                f"({mean['yellow']:g}) is required: a mean below red is also below orange")
    if "unfavourable" in data:
        upath = _join(path, "unfavourable")
        unfavourable = _threshold_table(v, data["unfavourable"], upath, 0.0, 1.0, "a share between 0 and 1")
        if not unfavourable["red"] >= unfavourable["orange"] >= unfavourable["yellow"]:
            raise v.fail(upath, f"red ({unfavourable['red']:g}) ≥ orange ({unfavourable['orange']:g}) ≥ "
                                f"yellow ({unfavourable['yellow']:g}) is required: red needs the largest "
                                "share of answers 1–3")
    return ThemeFlags(mean, unfavourable)


def from_dict(data: Any, source: str = "<questionnaire>") -> Questionnaire:
    """Validate questionnaire data (as parsed from YAML) and build a :class:`Questionnaire`.

    Raises :class:`QuestionnaireError` naming ``source`` and the path of the first problem.
    """
    v = _V(source)
    top = v.mapping(
        data,
        "",
        {"id", "version", "title", "scales", "themes"},
        {"exposures", "free_text", "intro", "privacy", "modelled_on"},
    )
    qid = v.identifier(top["id"], "id")
    version = v.integer(top["version"], "version")
    if version < 1:
        raise v.fail("version", f"must be 1 or more, got {version}")
    title = v.text(top["title"], "title")

    raw_scales = top["scales"]
    if not isinstance(raw_scales, Mapping):
        raise v.fail("scales", f"expected a mapping of scale id to scale, got {_kind(raw_scales)}")
    if not raw_scales:
        raise v.fail("scales", "expected at least one scale")
    scales = {
        v.identifier(sid, f"scales.{sid}"): _scale(v, str(sid), sdata, f"scales.{sid}")
        for sid, sdata in raw_scales.items()
    }

    seen_ids: dict[str, str] = {}

    def claim(item_id: str, path: str) -> None:
        if item_id in ("wave", "unit_id"):
            raise v.fail(path, f"'{item_id}' is reserved for the responses.csv column of the same name")
        if item_id in seen_ids:
            raise v.fail(path, f"duplicate id '{item_id}' (already used at {seen_ids[item_id]})")
        seen_ids[item_id] = path

    themes: list[Theme] = []
    theme_ids: set[str] = set()
    for ti, tdata in enumerate(v.sequence(top["themes"], "themes")):
        tpath = f"themes[{ti}]"
        td = v.mapping(tdata, tpath, {"id", "title", "items"}, {"description", "modelled_on", "flags"})
        tid = v.identifier(td["id"], _join(tpath, "id"))
        if tid in theme_ids:
            raise v.fail(_join(tpath, "id"), f"duplicate theme id '{tid}'")
        theme_ids.add(tid)
        items: list[Item] = []
        for ii, idata in enumerate(v.sequence(td["items"], _join(tpath, "items"))):
            ipath = f"{tpath}.items[{ii}]"
            idd = v.mapping(idata, ipath, {"id", "text", "scale"}, {"reverse", "help"})
            iid = v.identifier(idd["id"], _join(ipath, "id"))
            claim(iid, _join(ipath, "id"))
            scale_id = v.identifier(idd["scale"], _join(ipath, "scale"))
            if scale_id not in scales:
                raise v.fail(
                    _join(ipath, "scale"), f"unknown scale '{scale_id}'; known scales: {', '.join(scales)}"
                )
            reverse = v.boolean(idd["reverse"], _join(ipath, "reverse")) if "reverse" in idd else False
            items.append(
                Item(
                    id=iid,
                    text=v.text(idd["text"], _join(ipath, "text")),
                    scale=scale_id,
                    reverse=reverse,
                    theme=tid,
                    help=v.optional_text(idd, "help", ipath),
                )
            )
        flags = None
        if "flags" in td:
            lows = {scales[it.scale].min for it in items}
            highs = {scales[it.scale].max for it in items}
            flags = _theme_flags(v, td["flags"], _join(tpath, "flags"), min(lows), max(highs))
        themes.append(
            Theme(
                id=tid,
                title=v.text(td["title"], _join(tpath, "title")),
                items=tuple(items),
                description=v.optional_text(td, "description", tpath),
                modelled_on=v.optional_text(td, "modelled_on", tpath),
                flags=flags,
            )
        )

    exposures: list[Exposure] = []
    kinds: set[str] = set()
    for ei, edata in enumerate(v.sequence(top.get("exposures") or [], "exposures", allow_empty=True)):
        epath = f"exposures[{ei}]"
        ed = v.mapping(
            edata, epath, {"kind", "question", "source", "handled"}, {"told", "title", "definition"}
        )
        kind = v.identifier(ed["kind"], _join(epath, "kind"))
        if kind in kinds:
            raise v.fail(_join(epath, "kind"), f"duplicate exposure kind '{kind}'")
        kinds.add(kind)
        parts: dict[str, Question | None] = {}
        for part in EXPOSURE_PARTS:
            if part not in ed:
                parts[part] = None
                continue
            ppath = _join(epath, part)
            pd = v.mapping(ed[part], ppath, {"id", "text"}, set())
            pid = v.identifier(pd["id"], _join(ppath, "id"))
            claim(pid, _join(ppath, "id"))
            parts[part] = Question(pid, v.text(pd["text"], _join(ppath, "text")))
        question = parts["question"]
        assert question is not None  # required key, checked by mapping()
        exposures.append(
            Exposure(
                kind=kind,
                question=question,
                source=parts["source"],
                handled=parts["handled"],
                told=parts["told"],
                title=v.optional_text(ed, "title", epath),
                definition=v.optional_text(ed, "definition", epath),
            )
        )

    free_text: list[FreeText] = []
    for fi, fdata in enumerate(v.sequence(top.get("free_text") or [], "free_text", allow_empty=True)):
        fpath = f"free_text[{fi}]"
        fd = v.mapping(fdata, fpath, {"id", "text"}, {"help", "max_length"})
        fid = v.identifier(fd["id"], _join(fpath, "id"))
        claim(fid, _join(fpath, "id"))
        max_length = 2000
        if "max_length" in fd:
            max_length = v.integer(fd["max_length"], _join(fpath, "max_length"))
            if not 1 <= max_length <= 10000:
                raise v.fail(_join(fpath, "max_length"), f"must be between 1 and 10000, got {max_length}")
        free_text.append(
            FreeText(
                fid, v.text(fd["text"], _join(fpath, "text")), v.optional_text(fd, "help", fpath), max_length
            )
        )

    return Questionnaire(
        id=qid,
        version=version,
        title=title,
        scales=scales,
        themes=tuple(themes),
        exposures=tuple(exposures),
        free_text=tuple(free_text),
        intro=v.optional_text(top, "intro", ""),
        privacy=v.optional_text(top, "privacy", ""),
        modelled_on=v.optional_text(top, "modelled_on", ""),
        data=data,
    )
