# ruff: noqa: E501  (the reference is the template loop verbatim)
"""The overview's rows and phone list are built in Python (``views.overview_html``, for the 1,500-unit
page's speed): they must be the markup the template's loops made, escaping included. The reference below
is the template's loop as it was; both are rendered for a grid with hostile names and ids and compared
(whitespace between tags aside)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, url_for

REFERENCE = """{% autoescape true %}<tbody>
  {% for r in grid.units %}
  <tr data-path="{{ r.path }}" data-depth="{{ r.unit.depth }}">
    <th scope="row" class="unit-col" style="padding-left: {{ 0.3 + 0.9 * r.unit.depth }}rem">
      {% if r.has_children %}<button type="button" class="toggle" aria-expanded="true" aria-label="{{ _("Show or hide the units under %(name)s", name=r.unit.name) }}" hidden></button>{% endif %}
      {% if can_read_units %}<a href="{{ url_for('reports.unit', unit_id=r.unit.unit_id, **args) }}">{{ r.unit.name }}</a>{% else %}{{ r.unit.name }}{% endif %}
    </th>
    <td class="num rate">{{ r.rate }}</td>
    {% if r.status %}
    <td class="hm cell-hidden" colspan="{{ grid.themes|length }}">{{ r.status }}</td>
    {% else %}
    {% for c in r.cells %}
    {% if c.hidden %}
    <td class="hm cell-hidden" title="{{ c.theme }}: {{ c.hidden }}"><span aria-hidden="true">–</span><span class="sr-only">{{ c.hidden }}</span></td>
    {% else %}
    <td class="hm flag-{{ c.flag }}" title="{{ c.theme }}: {{ c.mean }}; {{ c.words }}"><span class="sym" aria-hidden="true">{{ c.symbol }}</span><span class="mean">{{ c.mean }}</span><span class="arrow" aria-hidden="true">{{ c.arrow }}</span>{% if c.polarised %}<span class="split" aria-hidden="true">‖</span>{% endif %}<span class="sr-only">{{ c.words }}</span></td>
    {% endif %}
    {% endfor %}
    {% endif %}
  </tr>
  {% endfor %}
</tbody><ul>
  {% for r in grid.units %}
  <li style="margin-left: {{ 0.6 * r.unit.depth }}rem">
    <details>
      <summary><span class="unit-name">{{ r.unit.name }}</span>
        {% if r.status %}<span class="cell-hidden">{{ r.status }}</span>{% else %}
        <span class="badges">{% for f in ("red", "orange", "yellow") %}{% if r.flags[f] %}<span class="badge flag-{{ f }}">{{ {"red": "●", "orange": "◆", "yellow": "▲"}[f] }} {{ r.flags[f] }}</span>{% endif %}{% endfor %}{% if r.split %}<span class="badge">‖ {{ r.split }}</span>{% endif %}</span>
        {% if r.rate %}<span class="muted">{{ _("response rate %(rate)s", rate=r.rate) }}</span>{% endif %}{% endif %}
      </summary>
      {% if not r.status %}
      <ul class="theme-list">
        {% for c in r.cells %}
        {% if c.hidden %}<li class="cell-hidden">{{ c.theme }}: {{ c.hidden }}</li>
        {% else %}<li class="flag-{{ c.flag }}"><span aria-hidden="true">{{ c.symbol }}</span> {{ c.theme }}: <strong>{{ c.mean }}</strong> <span aria-hidden="true">{{ c.arrow }}{% if c.polarised %} ‖{% endif %}</span> <span class="muted">{{ c.words }}</span></li>{% endif %}
        {% endfor %}
      </ul>
      {% if can_read_units %}<a href="{{ url_for('reports.unit', unit_id=r.unit.unit_id, **args) }}">{{ _("Open the unit's report") }}</a>{% endif %}
      {% endif %}
    </details>
  </li>
  {% endfor %}
</ul>{% endautoescape %}"""

EVIL = '<script>alert("x")</script> & \'Ø\''


def _grid() -> dict[str, Any]:
    cell = {"theme": EVIL, "hidden": None, "flag": "red", "symbol": "●", "mean": "<1,50>",
            "arrow": "↓", "polarised": True, "words": EVIL}
    plain = {"theme": "Trivsel", "hidden": None, "flag": "none", "symbol": "", "mean": "5,75",
             "arrow": "", "polarised": False, "words": "ingen flag"}
    hidden = {"theme": "Ledelse", "hidden": EVIL}
    return {
        "themes": [(EVIL, "x"), ("Trivsel", "Trivsel"), ("Ledelse", "Ledelse")],
        "units": [
            {"unit": {"unit_id": "ROOT", "name": EVIL, "depth": 0}, "status": "", "has_children": True,
             "cells": [cell, plain, hidden], "flags": {"red": 1, "orange": 0, "yellow": 0}, "split": 1,
             "path": "/0", "rate": "80 %"},
            {"unit": {"unit_id": 'a/b c?"<&', "name": "Hold & co", "depth": 1}, "status": "",
             "has_children": False, "cells": [plain, plain, plain], "flags": {"red": 0, "orange": 0,
             "yellow": 0}, "split": 0, "path": "/0/1", "rate": ""},
            {"unit": {"unit_id": "ÆØÅ", "name": "Lille", "depth": 2}, "status": EVIL, "has_children": False,
             "cells": [hidden, hidden, hidden], "flags": {"red": 0, "orange": 0, "yellow": 0}, "split": 0,
             "path": "/0/1/2", "rate": ""},
        ],
    }


def _norm(text: str) -> str:
    return re.sub(r"\s*\n\s*", "\n", text).strip()


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("can_read", [True, False])
def test_overview_html_is_the_template_markup(app: Flask, lang: str, can_read: bool) -> None:
    from survey.reports import views

    class Sel:
        args = {"wave": "2025"}

    grid = _grid()
    with app.test_request_context("/rapporter/?wave=2025"):
        from flask import session

        session["lang"] = lang
        from flask_babel import refresh

        refresh()
        ref = app.jinja_env.from_string(REFERENCE).render(
            grid=grid, can_read_units=can_read, args=Sel.args, url_for=url_for)
        maker = views._unit_url_maker(Sel()) if can_read else None  # type: ignore[arg-type]
        rows, items = views.overview_html(grid, maker, lang)
    ref_rows, ref_items = ref.removeprefix("<tbody>").split("</tbody>")
    assert _norm(str(rows)) == _norm(ref_rows)
    assert _norm(str(items)) == _norm(ref_items.removeprefix("<ul>").removesuffix("</ul>"))
    assert "<script>" not in str(rows) + str(items)
