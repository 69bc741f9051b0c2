"""A small driver for the answering pages, used by the respond tests (reads hidden fields like a browser)."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class Respondent:
    """One browser: follows the flow by posting the forms the pages render."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.html = ""
        self.status = 0

    def _keep(self, response: TestResponse) -> TestResponse:
        self.html = response.get_data(as_text=True)
        self.status = response.status_code
        return response

    def hidden(self, name: str) -> str | None:
        m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', self.html)
        return html.unescape(m.group(1)) if m else None

    def state(self) -> dict[str, Any]:
        """The answers so far as the encrypted state cookie holds them (``{}`` without one)."""
        from survey.respond import state as answer_state

        chunks = [self.client.get_cookie(n, path=answer_state.COOKIE_PATH) for n in answer_state._names()]
        if chunks[0] is None:
            return {}
        with self.client.session_transaction() as sess:
            token = sess.get("respond_token")
        with self.client.application.test_request_context():
            return answer_state.decode("".join(c.value for c in chunks if c), token).parts

    def open_link(self, token: str) -> TestResponse:
        first = self.client.get(f"/r/{token}")
        if first.status_code != 303:
            return self._keep(first)
        return self._keep(self.client.get(first.headers["Location"]))

    def enter_code(self, code: str) -> TestResponse:
        page = self._keep(self.client.get("/kode"))
        assert page.status_code == 200
        r = self.client.post("/kode", data={"csrf_token": self.hidden("csrf_token"), "code": code})
        if r.status_code != 303:
            return self._keep(r)
        return self._keep(self.client.get(r.headers["Location"]))

    def current_answers(self) -> dict[str, list[str]]:
        """What a browser would send for the page as shown: checked inputs and textarea contents."""
        out: dict[str, list[str]] = {}
        for tag in re.findall(r"<input[^>]*>", self.html):
            if re.search(r'type="(radio|checkbox)"', tag) and re.search(r"\bchecked\b", tag):
                name = re.search(r'name="([^"]*)"', tag)
                value = re.search(r'value="([^"]*)"', tag)
                if name and value:
                    out.setdefault(name.group(1), []).append(html.unescape(value.group(1)))
        for name, text in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', self.html, re.S):
            out[name] = [html.unescape(text.lstrip("\r\n"))]
        return out

    def post(self, action: str, answers: dict[str, Any] | None = None, *, csrf: bool = True) -> TestResponse:
        """Post the current page like a browser: what is shown checked, changed by ``answers``
        (``None`` unticks a question)."""
        data: dict[str, Any] = dict(self.current_answers())
        for name, value in (answers or {}).items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        data["action"] = action
        if csrf:
            data["csrf_token"] = self.hidden("csrf_token")
        page = self.hidden("page")
        if page is not None:
            data["page"] = page
        r = self.client.post("/svar", data=data)
        if r.status_code in (302, 303):
            return self._keep(self.client.get(r.headers["Location"]))
        return self._keep(r)

    def h1(self) -> str:
        m = re.search(r"<h1>(.*?)</h1>", self.html, re.S)
        return html.unescape(m.group(1).strip()) if m else ""

    def checked(self, name: str) -> list[str]:
        """Values of the checked radios/checkboxes named ``name`` on the current page."""
        out = []
        for tag in re.findall(r"<input[^>]*>", self.html):
            if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
                m = re.search(r'value="([^"]*)"', tag)
                if m:
                    out.append(m.group(1))
        return out
