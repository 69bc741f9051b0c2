"""Questionnaire definitions as data: the typed schema and the shipped definitions.

``load("trivsel")`` loads a shipped definition by id; ``load("path/to/file.yaml")`` loads a file.
This package imports neither ``analysis`` nor ``survey`` (DESIGN.md).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .schema import (
    EXTERNAL_SOURCES,
    FREQUENCY_CODES,
    HANDLED_CODES,
    INTERNAL_SOURCES,
    LANGUAGES,
    SOURCE_CODES,
    TOLD_CODES,
    Exposure,
    FreeText,
    Item,
    Question,
    Questionnaire,
    QuestionnaireError,
    Scale,
    Text,
    Theme,
    ThemeFlags,
    from_dict,
)

__all__ = [
    "EXTERNAL_SOURCES",
    "FREQUENCY_CODES",
    "HANDLED_CODES",
    "INTERNAL_SOURCES",
    "LANGUAGES",
    "SOURCE_CODES",
    "TOLD_CODES",
    "Exposure",
    "FreeText",
    "Item",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "Text",
    "Theme",
    "ThemeFlags",
    "from_dict",
    "load",
    "load_file",
    "load_text",
    "shipped_ids",
]


def _definitions() -> Any:
    return resources.files(__package__).joinpath("definitions")


def shipped_ids() -> list[str]:
    """Ids of the definitions shipped with Trivsel (file name without ``.yaml``), sorted."""
    return sorted(p.name[: -len(".yaml")] for p in _definitions().iterdir() if p.name.endswith(".yaml"))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key; the default constructor reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' is given twice in the same mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def load_text(text: str, source: str = "<questionnaire>") -> Questionnaire:
    """Parse YAML text and validate it; errors name ``source``.

    A key given twice in one mapping is an error (plain YAML loaders keep the last one silently).
    """
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise QuestionnaireError(source, where, f"not valid YAML: {problem}") from None
    return from_dict(data, source)


def load_file(path: str | Path) -> Questionnaire:
    """Load and validate a definition file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise QuestionnaireError(str(p), "", f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise QuestionnaireError(str(p), "", "the file is not UTF-8 text") from None
    return load_text(text, p.name)


def load(id_or_path: str | Path) -> Questionnaire:
    """Load a shipped definition by id, or a definition file by path."""
    name = str(id_or_path)
    if name in shipped_ids():
        ref = _definitions().joinpath(f"{name}.yaml")
        q = load_text(ref.read_text(encoding="utf-8"), f"{name}.yaml")
        if q.id != name:
            raise QuestionnaireError(f"{name}.yaml", "id", f"id '{q.id}' differs from the file name '{name}'")
        return q
    p = Path(name)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        return load_file(p)
    raise QuestionnaireError(
        name,
        "",
        f"no shipped questionnaire with this id and no such file; shipped ids: {', '.join(shipped_ids())}",
    )
