"""The respondent pages' buttons appear on screen in the order they receive focus (WCAG 1.3.2, 2.4.3).

The primary button (Next / Send) comes first in the DOM, because it is the form's default button for
Enter; it must then also come first on screen, on a phone (stacked) and on a desktop (side by side).
"""

from __future__ import annotations

from collections.abc import Callable

from .conftest import DESKTOP, PHONE, LiveServer, Session
from .flow import Respondent

# the buttons of .buttons in DOM order, with their boxes
BUTTONS_JS = """() => [...document.querySelectorAll('.buttons button')].map(b => {
  const r = b.getBoundingClientRect();
  return {value: b.value, x: r.left, y: r.top};
})"""


def _visual_order(buttons: list[dict[str, float | str]]) -> list[str]:
    """Reading order: top to bottom, then left to right (rows within 4 px count as one line)."""
    ordered = sorted(buttons, key=lambda b: (round(float(b["y"]) / 4), float(b["x"])))
    return [str(b["value"]) for b in ordered]


def test_visual_order_of_buttons_is_dom_order(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    for device in (DESKTOP, PHONE):
        s = new_session(**device)
        r = Respondent(s, live_server, lang="en", run_axe=False)
        r.goto(live_server.link(live_server.new_unit()))
        r.press("start")
        seen = []
        for label in ("question page", "second question page"):
            buttons = r.page.evaluate(BUTTONS_JS)
            dom = [str(b["value"]) for b in buttons]
            assert dom == ["next", "back"], (device, label, dom)
            assert _visual_order(buttons) == dom, (device, label, buttons)
            seen.append(buttons)
            r.press("next")
        if device is DESKTOP:  # side by side, primary on the left
            first, second = seen[0]
            assert first["y"] == second["y"] and float(first["x"]) < float(second["x"]), seen[0]
        else:  # stacked, primary on top
            first, second = seen[0]
            assert float(first["y"]) < float(second["y"]), seen[0]
