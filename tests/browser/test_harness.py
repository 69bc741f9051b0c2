"""The harness itself: origin filter, request recording, server errors page, axe on a plain page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import LiveServer, Session, assert_same_origin, check_axe, foreign_requests


def test_foreign_requests_keeps_only_other_origins() -> None:
    origin = "http://127.0.0.1:5000"
    urls = [
        "http://127.0.0.1:5000/r/abc",
        "http://127.0.0.1:5000/static/trivsel.css?v=1",
        "data:image/png;base64,AAAA",
        "about:blank",
        "http://127.0.0.1:5001/x",  # other port = other origin
        "https://127.0.0.1:5000/x",  # other scheme = other origin
        "https://fonts.googleapis.com/css?family=Inter",
    ]
    assert foreign_requests(urls, origin) == urls[4:]


def test_unknown_address_shows_the_error_page_in_danish(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    s = new_session()
    response = s.page.goto("/no-such-page")
    assert response is not None and response.status == 404
    assert s.page.locator("html").get_attribute("lang") == "da"
    assert s.page.locator("main h1").count() == 1
    check_axe(s.page, "404 page")
    assert len(s.recorder.requests) >= 2, "expected the page and its stylesheet to be recorded"
    assert_same_origin(s.recorder, live_server.origin)


def test_check_axe_fails_on_a_critical_violation(new_session: Callable[..., Session]) -> None:
    s = new_session()
    # an image without alt text is axe's "image-alt" rule, impact critical
    s.page.set_content('<html lang="da"><title>t</title><main><img src="data:,"></main></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        check_axe(s.page, "bad page")


def test_a_request_to_another_origin_is_recorded_and_refused(
    live_server: LiveServer, new_session: Callable[..., Session]
) -> None:
    s = new_session()
    s.page.route("http://foreign.invalid/**", lambda route: route.abort())  # never leaves the machine
    s.page.goto("/no-such-page")
    with s.page.expect_request("http://foreign.invalid/**"):
        s.page.evaluate("() => { const i = new Image(); i.src = 'http://foreign.invalid/pixel.png'; }")
    with pytest.raises(AssertionError, match="foreign.invalid"):
        assert_same_origin(s.recorder, live_server.origin)
