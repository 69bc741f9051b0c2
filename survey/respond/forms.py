"""Forms generated from the questionnaire: one field factory per item type, never a form per questionnaire.

Every answer is optional. Field values are kept as strings in the form (so an invalid post gives our
own translated message, not a coercion error) and converted to storage form by :func:`page_answers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from wtforms import Form, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from questionnaires import Exposure, FreeText, Item, Questionnaire, Theme, labels


class MultiCheckboxField(SelectMultipleField):
    """A multi-choice question as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _invalid() -> str:
    return _("Choose one of the answers shown, or leave the question unanswered.")


# --- one factory per item type -----------------------------------------------------------------


def scale_field(q: Questionnaire, item: Item, lang: str) -> RadioField:
    scale = q.scale_of(item)
    pairs = [(str(code), scale.label(code, lang)) for code in scale.points]
    if scale.dont_know is not None:
        dk = scale.dont_know_label.get(lang) if scale.dont_know_label else _("Don't know / not relevant")
        pairs.append((str(scale.dont_know), dk))
    return RadioField(
        item.text.get(lang),
        choices=_choices(pairs),
        validators=[Optional()],
        invalid_choice_message=_invalid(),
        description=item.help.get(lang) if item.help else "",
    )


def frequency_field(exposure: Exposure, lang: str) -> RadioField:
    return RadioField(
        exposure.question.text.get(lang),
        choices=_choices([(str(code), text) for code, text in labels.options("frequency", lang)]),
        validators=[Optional()],
        invalid_choice_message=_invalid(),
    )


def multi_field(kind: str, text: str, lang: str) -> MultiCheckboxField:
    return MultiCheckboxField(
        text,
        choices=_choices([(str(code), label) for code, label in labels.options(kind, lang)]),
        validators=[Optional()],
        invalid_choice_message=_invalid(),
        description=_("Tick all that apply."),
    )


def handled_field(text: str, lang: str) -> RadioField:
    return RadioField(
        text,
        choices=_choices([(str(code), label) for code, label in labels.options("handled", lang)]),
        validators=[Optional()],
        invalid_choice_message=_invalid(),
    )


def free_text_field(ft: FreeText, lang: str) -> TextAreaField:
    return TextAreaField(
        ft.text.get(lang),
        validators=[
            Optional(),
            Length(
                max=ft.max_length,
                message=_("Please write at most %(n)d characters.", n=ft.max_length),
            ),
        ],
        description=ft.help.get(lang) if ft.help else "",
        render_kw={"maxlength": ft.max_length, "rows": 6},
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


def build_pages(qs: list[Questionnaire]) -> list[Page]:
    """Themes, then one page per exposure kind (with its follow-ups), then free text; per questionnaire."""
    pages: list[Page] = []
    for qi, q in enumerate(qs):
        pages.extend(Page(qi, "theme", theme=t) for t in q.themes)
        pages.extend(Page(qi, "exposure", exposure=e) for e in q.exposures)
        if q.free_text:
            pages.append(Page(qi, "free_text", free_text=q.free_text))
    return pages


def page_form_class(q: Questionnaire, page: Page, lang: str) -> type[Form]:
    attrs: dict[str, Any] = {}
    if page.theme is not None:
        for item in page.theme.items:
            attrs[item.id] = scale_field(q, item, lang)
    elif page.exposure is not None:
        for part, question in page.exposure.parts():
            text = question.text.get(lang)
            if part == "question":
                attrs[question.id] = frequency_field(page.exposure, lang)
            elif part in ("source", "told"):
                attrs[question.id] = multi_field(part, text, lang)
            else:
                attrs[question.id] = handled_field(text, lang)
    else:
        for ft in page.free_text:
            attrs[ft.id] = free_text_field(ft, lang)
    return type("PageForm", (Form,), attrs)


def make_page_form(
    q: Questionnaire, page: Page, lang: str, *, formdata: Any = None, stored: Mapping[str, Any] | None = None
) -> Form:
    """The page's form, bound to posted ``formdata`` or filled from the carried ``stored`` answers."""
    cls = page_form_class(q, page, lang)
    prefix = f"q{page.q_index}-"
    if formdata is not None:
        return cls(formdata=formdata, prefix=prefix)
    data: dict[str, Any] = {}
    for key, value in (stored or {}).items():
        if key in page.field_ids():
            data[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return cls(prefix=prefix, data=data)


def page_answers(form: Form, page: Page) -> tuple[dict[str, Any], dict[str, str]]:
    """A validated page form's answers in storage form: ``(answers, comments)``; skipped ones left out."""
    answers: dict[str, Any] = {}
    comments: dict[str, str] = {}
    if page.kind == "free_text":
        for ft in page.free_text:
            text = (form[ft.id].data or "").strip()
            if text:
                comments[ft.id] = text
        return answers, comments
    if page.theme is not None:
        for item in page.theme.items:
            if form[item.id].data not in (None, ""):
                answers[item.id] = int(form[item.id].data)
        return answers, comments
    assert page.exposure is not None
    for part, question in page.exposure.parts():
        value = form[question.id].data
        if part == "question":
            if value not in (None, ""):
                answers[question.id] = int(value)
        elif part in ("source", "told"):
            if value:
                answers[question.id] = list(value)
        elif value not in (None, ""):
            answers[question.id] = value
    return answers, comments


class CodeForm(Form):
    code = StringField(
        "code",
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )
