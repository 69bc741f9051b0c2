"""Check questionnaire definitions: the schema, plus content rules for the definitions Trivsel ships.

The schema (:func:`questionnaires.from_dict`) accepts the contract's minimum, so that an earlier wave
from another vendor can be imported with one language and no help texts. A definition that Trivsel
*ships* (or that an organisation writes to run its own survey) must also pass :func:`content_problems`:

- every text present in both languages (da and en);
- every scale with labels in both languages, and a "don't know" label in both when it has a code;
- every theme with ``modelled_on``; the questionnaire with ``intro`` and ``privacy``;
- a theme with its own ``flags`` gives both the ``mean`` and the ``unfavourable`` thresholds (contract 5.7),
  so that its two flag rules never mix its own values with the global ones;
- every exposure with a ``title`` and a ``definition``;
- item ids that are short upper-case codes (``LED3``, ``MOB_Q``);
- no two questions with the same text within a language.

Used by the command ``trivsel questionnaires check [FILE ...]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from . import load, load_file, shipped_ids
from .schema import LANGUAGES, Questionnaire, QuestionnaireError, Text

__all__ = ["ContentError", "check_all", "check_paths", "check_questionnaire", "content_problems"]

#: item ids: an upper-case letter, then upper-case letters, digits or underscores, at most 24 characters
ITEM_ID_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,23}")


class ContentError(QuestionnaireError):
    """A definition passes the schema but breaks content rules. ``problems`` holds one error per rule
    broken; ``str()`` lists them all, one per line."""

    def __init__(self, source: str, problems: list[QuestionnaireError]) -> None:
        self.problems = problems
        first = problems[0]
        more = "".join(f"\n  {p}" for p in problems[1:])
        super().__init__(source, first.path, first.message + more)


def _texts(q: Questionnaire) -> Iterator[tuple[str, Text]]:
    """Every localised text of a questionnaire with its path in the file."""
    for key in ("title", "intro", "privacy", "modelled_on"):
        value = getattr(q, key)
        if value is not None:
            yield key, value
    for sid, scale in q.scales.items():
        if scale.dont_know_label is not None:
            yield f"scales.{sid}.dont_know_label", scale.dont_know_label
    for ti, theme in enumerate(q.themes):
        tpath = f"themes[{ti}]"
        yield f"{tpath}.title", theme.title
        if theme.description is not None:
            yield f"{tpath}.description", theme.description
        if theme.modelled_on is not None:
            yield f"{tpath}.modelled_on", theme.modelled_on
        for ii, item in enumerate(theme.items):
            yield f"{tpath}.items[{ii}].text", item.text
            if item.help is not None:
                yield f"{tpath}.items[{ii}].help", item.help
    for ei, exposure in enumerate(q.exposures):
        epath = f"exposures[{ei}]"
        if exposure.title is not None:
            yield f"{epath}.title", exposure.title
        if exposure.definition is not None:
            yield f"{epath}.definition", exposure.definition
        for part, question in exposure.parts():
            yield f"{epath}.{part}.text", question.text
    for fi, free in enumerate(q.free_text):
        yield f"free_text[{fi}].text", free.text
        if free.help is not None:
            yield f"free_text[{fi}].help", free.help


def _questions(q: Questionnaire) -> Iterator[tuple[str, str, Text]]:
    """``(path, id, text)`` of everything a respondent answers that must be worded uniquely: scale items,
    exposure questions and free-text fields. (The follow-up parts of exposures, such as "Whom did you
    tell?", are shown under their exposure's heading and may repeat.)"""
    for ti, theme in enumerate(q.themes):
        for ii, item in enumerate(theme.items):
            yield f"themes[{ti}].items[{ii}].text", item.id, item.text
    for ei, exposure in enumerate(q.exposures):
        yield f"exposures[{ei}].question.text", exposure.question.id, exposure.question.text
    for fi, free in enumerate(q.free_text):
        yield f"free_text[{fi}].text", free.id, free.text


def _ids(q: Questionnaire) -> Iterator[tuple[str, str]]:
    for ti, theme in enumerate(q.themes):
        for ii, item in enumerate(theme.items):
            yield f"themes[{ti}].items[{ii}].id", item.id
    for ei, exposure in enumerate(q.exposures):
        for part, question in exposure.parts():
            yield f"exposures[{ei}].{part}.id", question.id
    for fi, free in enumerate(q.free_text):
        yield f"free_text[{fi}].id", free.id


def _normal(text: str) -> str:
    """Text compared for duplicates: case, spacing and final punctuation ignored."""
    return " ".join(text.casefold().split()).rstrip(".?!:")


def content_problems(q: Questionnaire, source: str) -> list[QuestionnaireError]:
    """Every content rule ``q`` breaks (see the module docstring); empty when it passes."""
    problems: list[QuestionnaireError] = []

    def problem(path: str, message: str) -> None:
        problems.append(QuestionnaireError(source, path, message))

    for key in ("intro", "privacy"):
        if getattr(q, key) is None:
            problem(key, f"missing '{key}' (a text shown to respondents before the questions)")
    for path, text in _texts(q):
        missing = [lang for lang in LANGUAGES if lang not in text.values]
        if missing:
            problem(
                path, f"missing the {', '.join(missing)} text; every text needs {' and '.join(LANGUAGES)}"
            )
    for sid, scale in q.scales.items():
        missing = [lang for lang in LANGUAGES if lang not in scale.labels]
        if missing:
            problem(f"scales.{sid}.labels", f"missing labels in {', '.join(missing)}")
        if scale.dont_know is not None and scale.dont_know_label is None:
            problem(f"scales.{sid}", f"missing 'dont_know_label' for the don't-know code {scale.dont_know}")
    for ti, theme in enumerate(q.themes):
        if theme.modelled_on is None:
            problem(
                f"themes[{ti}]", f"theme '{theme.id}' has no 'modelled_on' (say what the theme is based on)"
            )
        if theme.flags is not None and (theme.flags.mean is None or theme.flags.unfavourable is None):
            has_mean = theme.flags.mean is not None
            given, other = ("mean", "unfavourable") if has_mean else ("unfavourable", "mean")
            problem(
                f"themes[{ti}].flags",
                f"theme '{theme.id}' gives its own '{given}' thresholds but not '{other}'; give both "
                "(or leave 'flags' out to use the global values)",
            )
    for ei, exposure in enumerate(q.exposures):
        for key in ("title", "definition"):
            if getattr(exposure, key) is None:
                problem(f"exposures[{ei}]", f"exposure '{exposure.kind}' has no '{key}'")
    for path, item_id in _ids(q):
        if not ITEM_ID_PATTERN.fullmatch(item_id):
            problem(path, f"'{item_id}' is not a short upper-case code such as LED3 or MOB_Q")
    for lang in LANGUAGES:
        seen: dict[str, tuple[str, str]] = {}
        for path, item_id, text in _questions(q):
            if lang not in text.values:
                continue
            key = _normal(text.values[lang])
            if key in seen:
                other_path, other_id = seen[key]
                problem(
                    f"{path}.{lang}",
                    f"{item_id} has the same {lang} text as {other_id} ({other_path}); word each once",
                )
            else:
                seen[key] = (path, item_id)
    return problems


def check_questionnaire(q: Questionnaire, source: str) -> Questionnaire:
    """Return ``q`` if it passes the content rules; raise :class:`ContentError` listing every problem."""
    problems = content_problems(q, source)
    if problems:
        raise ContentError(source, problems)
    return q


def _check(
    load_one: Callable[[str], Questionnaire], name: str, source: str
) -> Questionnaire | QuestionnaireError:
    try:
        return check_questionnaire(load_one(name), source)
    except QuestionnaireError as err:
        return err


def check_all() -> list[tuple[str, Questionnaire | QuestionnaireError]]:
    """Load every shipped definition and apply the content rules: ``(id, questionnaire or error)``."""
    return [(qid, _check(load, qid, f"{qid}.yaml")) for qid in shipped_ids()]


def check_paths(
    paths: Iterable[str | Path], *, content: bool = True
) -> list[tuple[str, Questionnaire | QuestionnaireError]]:
    """Load each definition file and apply the content rules: ``(path, questionnaire or error)``.

    With ``content=False`` only the schema is checked: enough for a definition imported with an earlier
    wave from another vendor, which the analysis accepts with the contract's minimum keys.
    """
    if not content:
        results: list[tuple[str, Questionnaire | QuestionnaireError]] = []
        for p in paths:
            try:
                results.append((str(p), load_file(p)))
            except QuestionnaireError as err:
                results.append((str(p), err))
        return results
    return [(str(p), _check(load_file, str(p), Path(p).name)) for p in paths]
