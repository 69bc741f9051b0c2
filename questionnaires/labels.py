"""Danish and English labels for the exposure codes of contract.md 1.2.

The codes themselves (frequency 0..4, sources, handled, told) are fixed by the contract and live in
:mod:`questionnaires.schema`; a questionnaire only words the *questions*. The web form and the reports
take the answer labels from here, so every questionnaire shows the same choices::

    >>> label("frequency", 2, "da")
    'Ja, månedligt'
    >>> label("kind", "sexual_harassment", "en")
    'Sexual harassment'
    >>> source_group("citizen")
    'external'

Label kinds: ``frequency`` (the exposure question), ``source``, ``handled``, ``told``, ``kind`` (the
exposure kinds) and ``source_group`` (``internal`` / ``external``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from .schema import (
    EXTERNAL_SOURCES,
    FREQUENCY_CODES,
    HANDLED_CODES,
    INTERNAL_SOURCES,
    LANGUAGES,
    SOURCE_CODES,
    STANDARD_EXPOSURE_KINDS,
    TOLD_CODES,
    Exposure,
)

__all__ = [
    "LABEL_KINDS",
    "LABELS",
    "exposure_title",
    "label",
    "options",
    "source_group",
]

_Labels = Mapping[str | int, Mapping[str, str]]

FREQUENCY_LABELS: _Labels = {
    0: {"da": "Nej", "en": "No"},
    1: {"da": "Ja, enkelte gange", "en": "Yes, a few times"},
    2: {"da": "Ja, månedligt", "en": "Yes, monthly"},
    3: {"da": "Ja, ugentligt", "en": "Yes, weekly"},
    4: {"da": "Ja, dagligt", "en": "Yes, daily"},
}

SOURCE_LABELS: _Labels = {
    "manager": {"da": "En leder", "en": "A manager"},
    "colleague": {"da": "En kollega", "en": "A colleague"},
    "subordinate": {"da": "En medarbejder, som jeg er leder for", "en": "Someone I manage"},
    "citizen": {
        "da": "En borger, patient, elev, studerende eller pårørende",
        "en": "A citizen, client, patient, pupil, student or relative",
    },
    "partner": {
        "da": "En samarbejdspartner eller en anden udefrakommende",
        "en": "A partner or another external party",
    },
}

HANDLED_LABELS: _Labels = {
    "yes": {"da": "Ja", "en": "Yes"},
    "partly": {"da": "Delvist", "en": "Partly"},
    "no": {"da": "Nej", "en": "No"},
    "dont_know": {"da": "Ved ikke", "en": "Don't know"},
}

TOLD_LABELS: _Labels = {
    "manager": {"da": "En leder", "en": "A manager"},
    "colleague": {"da": "En kollega", "en": "A colleague"},
    "representative": {
        "da": "Arbejdsmiljørepræsentant eller tillidsrepræsentant",
        "en": "Work-environment or union representative",
    },
    "hr": {"da": "HR", "en": "HR"},
    "other": {"da": "En anden", "en": "Someone else"},
    "no_one": {"da": "Ingen", "en": "No one"},
}

KIND_LABELS: _Labels = {
    "bullying": {"da": "Mobning", "en": "Bullying"},
    "sexual_harassment": {"da": "Seksuel chikane", "en": "Sexual harassment"},
    "threats": {"da": "Trusler", "en": "Threats"},
    "violence": {"da": "Vold", "en": "Violence"},
}

SOURCE_GROUP_LABELS: _Labels = {
    "internal": {"da": "Internt (leder, kollega, medarbejder)", "en": "Internal (manager, colleague, staff)"},
    "external": {
        "da": "Udefra (borger, patient, pårørende, samarbejdspartner)",
        "en": "External (citizen, patient, relative, partner)",
    },
}

#: label kind -> code -> language -> label
LABELS: Mapping[str, _Labels] = {
    "frequency": FREQUENCY_LABELS,
    "source": SOURCE_LABELS,
    "handled": HANDLED_LABELS,
    "told": TOLD_LABELS,
    "kind": KIND_LABELS,
    "source_group": SOURCE_GROUP_LABELS,
}
LABEL_KINDS: tuple[str, ...] = tuple(LABELS)

#: the codes each label kind must cover, in the order a form shows them
_CODES: Mapping[str, tuple[str | int, ...]] = {
    "frequency": FREQUENCY_CODES,
    "source": SOURCE_CODES,
    "handled": HANDLED_CODES,
    "told": TOLD_CODES,
    "kind": STANDARD_EXPOSURE_KINDS,
    "source_group": ("internal", "external"),
}


def _labels_for(kind: str) -> _Labels:
    try:
        return LABELS[kind]
    except KeyError:
        raise ValueError(f"unknown label kind '{kind}'; known kinds: {', '.join(LABEL_KINDS)}") from None


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}'; known languages: {', '.join(LANGUAGES)}")


def _normalise(kind: str, code: str | int) -> str | int:
    """Frequency codes arrive as text from CSV files and forms: accept ``"2"`` as ``2``."""
    if kind == "frequency" and isinstance(code, str) and code.strip().isdigit():
        return int(code.strip())
    return code


def label(kind: str, code: str | int, lang: str) -> str:
    """The label of ``code`` in ``lang`` (``da`` or ``en``).

    ``kind`` is one of :data:`LABEL_KINDS`. Raises :class:`ValueError` naming the known codes for an
    unknown kind, code or language.
    """
    labels = _labels_for(kind)
    _check_lang(lang)
    key = _normalise(kind, code)
    if isinstance(key, bool) or key not in labels:
        known = ", ".join(str(c) for c in _CODES[kind])
        raise ValueError(f"unknown {kind} code {code!r}; known codes: {known}")
    return labels[key][lang]


def options(kind: str, lang: str) -> list[tuple[str | int, str]]:
    """``(code, label)`` pairs in contract order, e.g. for the choices of a form field."""
    _labels_for(kind)
    _check_lang(lang)
    return [(code, label(kind, code, lang)) for code in _CODES[kind]]


def source_group(code: str) -> Literal["internal", "external"]:
    """``internal`` for manager, colleague, subordinate; ``external`` for citizen, partner (contract 1.2)."""
    if code in INTERNAL_SOURCES:
        return "internal"
    if code in EXTERNAL_SOURCES:
        return "external"
    raise ValueError(f"unknown source code {code!r}; known codes: {', '.join(SOURCE_CODES)}")


def exposure_title(exposure: Exposure, lang: str) -> str:
    """The heading of an exposure: its own ``title`` if the definition has one, else the standard label
    of its kind, else the kind with underscores as spaces (contract 1.2 allows other kinds)."""
    _check_lang(lang)
    if exposure.title is not None:
        return exposure.title.get(lang)
    if exposure.kind in KIND_LABELS:
        return KIND_LABELS[exposure.kind][lang]
    return exposure.kind.replace("_", " ").capitalize()
