"""The questionnaire pages' fields: built once per questionnaire snapshot and language, validated per post.

Every answer is optional. A page's fields are plain data (:class:`FieldSpec`, cached by
:func:`page_fields`); a post or the carried answers bind them (:class:`BoundField`), and the Jinja
macros in ``templates/respond/_fields.html`` render them as fieldset/legend radio and checkbox groups
and labelled text areas. Posted values are checked strictly against the choices shown (an unknown
value is an error with our own translated message, never a coercion error) and converted to storage
form by :func:`page_answers`.

This used to be WTForms fields (one form class per page and request); rendering them cost about half
of a page request, so the fields are now data and the markup lives in the templates. CSRF is
unchanged: Flask-WTF's ``CSRFProtect`` checks every post, and every form carries ``csrf_token()``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from wtforms import StringField

from questionnaires import Exposure, FreeText, Questionnaire, Theme, labels
from survey.forms_i18n import TrivselForm
from survey.services.answering import EXCLUSIVE_CODES


def _invalid() -> str:
    return _("Choose one of the answers shown, or leave the question unanswered.")


@dataclass(frozen=True)
class FieldSpec:
    """One question as shown: ``id`` is the HTML id and the form field name (``q<i>-<question id>``)."""

    id: str
    qid: str
    kind: str  # "radio" | "checkbox" | "textarea"
    css: str  # fieldset class: "scale" | "frequency" | "multi" | "single"; "" for text
    label: str
    description: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    max_length: int = 0
    #: checkbox values that cannot be combined with any other ("no one")
    exclusive: frozenset[str] = frozenset()


@dataclass
class BoundField:
    """A field with a value (from a post or from the carried answers) and its errors."""

    spec: FieldSpec
    selected: frozenset[str] = frozenset()  # radio / checkbox values shown as checked
    text: str = ""  # textarea content
    errors: list[str] = field(default_factory=list)

    # the names the templates use
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def css(self) -> str:
        return self.spec.css

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        return self.spec.choices

    @property
    def max_length(self) -> int:
        return self.spec.max_length

    @property
    def exclusive(self) -> frozenset[str]:
        return self.spec.exclusive


# --- one spec per item type ----------------------------------------------------------------------


def _scale_spec(prefix: str, q: Questionnaire, item: Any, lang: str) -> FieldSpec:
    scale = q.scale_of(item)
    pairs = [(str(code), scale.label(code, lang)) for code in scale.points]
    if scale.dont_know is not None:
        dk = scale.dont_know_label.get(lang) if scale.dont_know_label else _("Don't know / not relevant")
        pairs.append((str(scale.dont_know), dk))
    return FieldSpec(
        prefix + item.id,
        item.id,
        "radio",
        "scale",
        item.text.get(lang),
        item.help.get(lang) if item.help else "",
        tuple(pairs),
    )


def _exposure_specs(prefix: str, exposure: Exposure, lang: str) -> list[FieldSpec]:
    specs = []
    for part, question in exposure.parts():
        text = question.text.get(lang)
        if part == "question":
            choices = tuple((str(code), label) for code, label in labels.options("frequency", lang))
            specs.append(
                FieldSpec(prefix + question.id, question.id, "radio", "frequency", text, "", choices)
            )
        elif part in ("source", "told"):
            choices = tuple((str(code), label) for code, label in labels.options(part, lang))
            specs.append(
                FieldSpec(
                    prefix + question.id,
                    question.id,
                    "checkbox",
                    "multi",
                    text,
                    _("Tick all that apply."),
                    choices,
                    exclusive=EXCLUSIVE_CODES[part],
                )
            )
        else:
            choices = tuple((str(code), label) for code, label in labels.options("handled", lang))
            specs.append(FieldSpec(prefix + question.id, question.id, "radio", "single", text, "", choices))
    return specs


def _free_text_spec(prefix: str, ft: FreeText, lang: str) -> FieldSpec:
    return FieldSpec(
        prefix + ft.id,
        ft.id,
        "textarea",
        "",
        ft.text.get(lang),
        ft.help.get(lang) if ft.help else "",
        max_length=ft.max_length,
    )


# --- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of the answering flow: a theme, an exposure kind, or the free-text questions."""

    q_index: int
    kind: str  # "theme" | "exposure" | "free_text"
    theme: Theme | None = None
    exposure: Exposure | None = None
    free_text: tuple[FreeText, ...] = ()

    def field_ids(self) -> list[str]:
        """Ids (as stored) of the questions on this page, in order."""
        if self.theme is not None:
            return [i.id for i in self.theme.items]
        if self.exposure is not None:
            return [qq.id for _, qq in self.exposure.parts()]
        return [f.id for f in self.free_text]


def build_pages(qs: tuple[Questionnaire, ...] | list[Questionnaire]) -> list[Page]:
    """Themes, then one page per exposure kind (with its follow-ups), then free text; per questionnaire."""
    pages: list[Page] = []
    for qi, q in enumerate(qs):
        pages.extend(Page(qi, "theme", theme=t) for t in q.themes)
        pages.extend(Page(qi, "exposure", exposure=e) for e in q.exposures)
        if q.free_text:
            pages.append(Page(qi, "free_text", free_text=q.free_text))
    return pages


def build_page_fields(q: Questionnaire, page: Page, lang: str) -> tuple[FieldSpec, ...]:
    prefix = f"q{page.q_index}-"
    if page.theme is not None:
        return tuple(_scale_spec(prefix, q, item, lang) for item in page.theme.items)
    if page.exposure is not None:
        return tuple(_exposure_specs(prefix, page.exposure, lang))
    return tuple(_free_text_spec(prefix, ft, lang) for ft in page.free_text)


_FIELDS_CACHE: OrderedDict[tuple[Any, ...], tuple[FieldSpec, ...]] = OrderedDict()
_FIELDS_CACHE_SIZE = 1024
_fields_lock = threading.Lock()


def page_fields(
    key: tuple[Any, ...], q: Questionnaire, page: Page, index: int, lang: str
) -> tuple[FieldSpec, ...]:
    """The page's field specs, built once per (snapshot ``key``, page ``index``, language)."""
    cache_key = (key, index, lang)
    with _fields_lock:
        hit = _FIELDS_CACHE.get(cache_key)
        if hit is not None:
            return hit
    specs = build_page_fields(q, page, lang)
    with _fields_lock:
        _FIELDS_CACHE[cache_key] = specs
        while len(_FIELDS_CACHE) > _FIELDS_CACHE_SIZE:
            _FIELDS_CACHE.popitem(last=False)
    return specs


def bind_stored(specs: tuple[FieldSpec, ...], stored: Mapping[str, Any]) -> list[BoundField]:
    """Fields showing the carried answers (already validated, in storage form)."""
    out = []
    for spec in specs:
        value = stored.get(spec.qid)
        if spec.kind == "textarea":
            out.append(BoundField(spec, text=str(value) if value is not None else ""))
        elif isinstance(value, list):
            out.append(BoundField(spec, selected=frozenset(str(v) for v in value)))
        elif value is not None:
            out.append(BoundField(spec, selected=frozenset((str(value),))))
        else:
            out.append(BoundField(spec))
    return out


def bind_post(specs: tuple[FieldSpec, ...], formdata: Any) -> list[BoundField]:
    """Fields bound to a post and validated: a value must be one of the choices shown (empty or
    whitespace = unanswered), a text at most ``max_length`` characters. Errors are on the fields."""
    out = []
    for spec in specs:
        if spec.kind == "textarea":
            text = formdata.get(spec.id, "")
            bound = BoundField(spec, text=text)
            if "\x00" in text:  # PostgreSQL cannot store it; a browser never sends it from typing
                bound.errors.append(
                    _("The text holds a null character that cannot be saved. Please remove it.")
                )
            elif text.strip() and len(text) > spec.max_length:
                bound.errors.append(_("Please write at most %(n)d characters.", n=spec.max_length))
            out.append(bound)
            continue
        allowed = {value for value, _ in spec.choices}
        raw = formdata.getlist(spec.id) if spec.kind == "checkbox" else formdata.getlist(spec.id)[:1]
        given = [v for v in raw if v.strip()]
        bound = BoundField(spec, selected=frozenset(v for v in given if v in allowed))
        if any(v not in allowed for v in given):
            bound.errors.append(_invalid())
        elif len(bound.selected) > 1 and bound.selected & spec.exclusive:
            (value,) = sorted(bound.selected & spec.exclusive)[:1]
            label = dict(spec.choices)[value]
            bound.errors.append(
                _(
                    "“%(choice)s” cannot be combined with other answers. "
                    "Untick “%(choice)s” or the other answers.",
                    choice=label,
                )
            )
        out.append(bound)
    return out


def page_answers(fields: list[BoundField], page: Page) -> tuple[dict[str, Any], dict[str, str]]:
    """Validated fields' answers in storage form: ``(answers, comments)``; skipped ones left out."""
    answers: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for f in fields:
        spec = f.spec
        if spec.kind == "textarea":
            text = f.text.strip()
            if text:
                comments[spec.qid] = text
        elif spec.kind == "checkbox":
            if f.selected:
                answers[spec.qid] = [value for value, _ in spec.choices if value in f.selected]
        elif f.selected:
            (value,) = f.selected
            answers[spec.qid] = int(value) if spec.css in ("scale", "frequency") else value
    return answers, comments


class CodeForm(TrivselForm):
    code = StringField(
        "code",
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )
