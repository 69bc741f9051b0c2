"""Numbers on staff forms, read and shown as the page's language writes them.

A Dane writes ``200.000`` (two hundred thousand), ``1.234,50`` and ``0,5``; an English page reads ``200,000``,
``1,234.50`` and ``0.5``. :func:`parse_number` reads a typed value with the page's locale (Babel's
``parse_decimal`` in strict mode, so a separator in the wrong place is refused rather than guessed) and the
two fields below use it for every numeric staff form field:

- :class:`LocaleDecimalField` (e.g. beta) gives a :class:`~decimal.Decimal`;
- :class:`MoneyField` (DKK amounts) gives an ``int`` and refuses øre rather than rounding them away.

No value changes its magnitude silently: a value that the locale reads differently from the other common
convention (``200,000`` on a Danish page is 200 in Danish but 200,000 in English) is refused as ambiguous,
with both readings written out. A refused value keeps what was typed in the field and says, in the page's
language, what to write instead. A stored value is shown back in the page's format (0.5 -> ``0,5``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from wtforms import Field
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

__all__ = ["LocaleDecimalField", "MoneyField", "NumberError", "parse_number", "show_number"]

#: spaces a Dane may use between groups of thousands (space, no-break space, narrow no-break space)
_SPACES = " \u00a0\u202f"
_SPACED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")
_ALLOWED = re.compile(r"^[+-]?[0-9.,]+$")
_CURRENCY = re.compile(r"\s*(?:kr\.?|dkk)\s*$", re.IGNORECASE)


class NumberError(ValueError):
    """A typed value that cannot be read as a number in the page's language (message already translated)."""


def _separators() -> tuple[str, str]:
    """(decimal separator, group separator) of the page's language."""
    lang = str(get_locale() or "da")[:2]
    return (",", ".") if lang == "da" else (".", ",")


def _examples(whole: bool) -> str:
    decimal_sep, group = _separators()
    return f"200{group}000" if whole else f"0{decimal_sep}5"


def parse_number(text: str, *, whole: bool = False, money: bool = False) -> Decimal:
    """``text`` as the page's language means it; :class:`NumberError` (translated) when it cannot be read.

    ``whole``: the value must be a whole number (a decimal part other than zeros is refused, never rounded).
    ``money``: a trailing ``kr.``/``DKK`` is allowed.
    """
    raw = text.strip()
    if money:
        raw = _CURRENCY.sub("", raw)
    if not raw:
        raise NumberError(_("Write a number, for example %(example)s.", example=_examples(whole)))
    if any(c in _SPACES for c in raw):
        if not _SPACED.match(raw):
            raise NumberError(
                _(
                    "“%(value)s” is not a number: spaces may only separate thousands (200 000). "
                    "Write it for example as %(example)s.",
                    value=text.strip(),
                    example=_examples(whole),
                )
            )
        raw = "".join(c for c in raw if c not in _SPACES)
        decimal_sep, group = _separators()
        if group in raw:  # "200 000.000" mixes two styles
            raise NumberError(_not_readable(text, whole))
    if not _ALLOWED.match(raw):  # letters, exponents, NaN, Infinity, non-ASCII digits
        raise NumberError(_not_readable(text, whole))
    decimal_sep, group = _separators()
    sign = raw[0] if raw[0] in "+-" else ""
    body = raw[len(sign) :]
    # "200,000" on a Danish page (or "200.000" on an English one): the decimal separator followed by exactly
    # three digits after a short non-zero integer part reads as 200 here and as 200,000 by the other
    # convention. Refuse it rather than risk a factor of 1,000.
    m = re.fullmatch(r"([1-9]\d{0,2})" + re.escape(decimal_sep) + r"(\d{3})", body)
    if m:
        plain = f"{sign}{m.group(1)}{decimal_sep}{m.group(2)}".rstrip("0").rstrip(decimal_sep)
        thousands = f"{sign}{m.group(1)}{group}{m.group(2)}"
        raise NumberError(
            _(
                "“%(value)s” can be read in two ways. Write %(thousands)s if you mean thousands, "
                "or %(plain)s if you mean the smaller number.",
                value=text.strip(),
                thousands=thousands,
                plain=plain,
            )
        )
    try:
        value = parse_decimal(raw, locale=get_locale() or "da", strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        raise NumberError(_not_readable(text, whole)) from None
    if not value.is_finite():
        raise NumberError(_not_readable(text, whole))
    if whole and value != value.to_integral_value():
        raise NumberError(
            _(
                "Write a whole number of kroner, without øre (for example %(example)s).",
                example=_examples(True),
            )
        )
    return value


def _not_readable(text: str, whole: bool) -> str:
    decimal_sep, group = _separators()
    if decimal_sep == ",":
        return _(
            "“%(value)s” is not a number as Danish writes it: use a comma for decimals (0,5) and a point "
            "between thousands (200.000).",
            value=text.strip(),
        )
    return _(
        "“%(value)s” is not a number as English writes it: use a point for decimals (0.5) and a comma "
        "between thousands (200,000).",
        value=text.strip(),
    )


def show_number(value: Any, whole: bool = False) -> str:
    """A number in the page's format: 200000 -> ``200.000``, 0.5 -> ``0,5`` (Danish)."""
    if value is None or value == "":
        return ""
    fmt = "#,##0" if whole else "#,##0.##########"
    return str(format_decimal(Decimal(str(value)), format=fmt))


class _LocaleNumberField(Field):
    """A text input (``inputmode`` set for phones) read with :func:`parse_number`."""

    widget = TextInput()
    whole = False
    money = False
    inputmode = "decimal"

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {
            "inputmode": self.inputmode,
            "autocomplete": "off",
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return show_number(self.data, self.whole)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            self.data = None
            return
        try:
            number = parse_number(str(valuelist[0]), whole=self.whole, money=self.money)
        except NumberError as err:
            self.data = None
            raise ValueError(str(err)) from None
        self.data = self._convert(number)

    def _convert(self, number: Decimal) -> Any:
        return number


class LocaleDecimalField(_LocaleNumberField):
    """A decimal number (``Decimal``), e.g. beta: ``0,5`` on a Danish page, ``0.5`` on an English one."""


class MoneyField(_LocaleNumberField):
    """Whole DKK (``int``): ``200.000`` / ``200 000`` / ``200.000 kr.`` on a Danish page; øre are refused."""

    whole = True
    money = True
    inputmode = "numeric"

    def _convert(self, number: Decimal) -> Any:
        return int(number)


class Between:
    """A range check for the fields above, with both ends written in the page's format."""

    def __init__(self, minimum: int | float, maximum: int | float | None = None, whole: bool = False) -> None:
        self.minimum, self.maximum, self.whole = minimum, maximum, whole

    def __call__(self, form: Any, field: Field) -> None:
        value = field.data
        if value is None:
            return
        low, high = show_number(self.minimum, self.whole), show_number(self.maximum, self.whole)
        if self.maximum is None:
            if value < self.minimum:
                raise ValidationError(_("Write a number of at least %(min)s.", min=low))
        elif not self.minimum <= value <= self.maximum:
            raise ValidationError(_("Write a number from %(min)s to %(max)s.", min=low, max=high))
