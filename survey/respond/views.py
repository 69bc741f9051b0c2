"""Views of the anonymous answering flow.

- ``GET /r/<token>``: a personal link. The token goes into the (signed) session and the browser is
  redirected to ``/start``, so the token never appears in a URL or a log line again.
- ``GET|POST /kode``: entry of a one-time code, same effect.
- ``GET /start``: the time it takes, what is stored and what is not (one tap away), the button to begin.
- ``POST /svar`` -> 303 -> ``GET /svar/<n>``: every questionnaire page and the send page follow
  post/redirect/get, so the browser's Back, reload and a restored tab fetch a page again instead of
  resending a form. ``GET /svar`` goes back to the page reached (a bookmark, a restored tab), ``GET /tak``
  is the thank-you page after Send. **Nothing is stored server-side before the final submit**: the
  answers so far are kept in the respondent's browser in an encrypted cookie bound to the invitation
  (``survey.respond.state``), re-validated against the wave's questionnaires on every request, and
  written only by ``services.answering.submit``. A cookie that is expired, changed or made for another
  invitation is refused with a page that says so and offers to begin again.
- ``GET /sprog/<lang>``: language choice (kept in the session); on questionnaire pages a language
  button inside the form switches language without losing answers.

Views parse, check, call one service, render; no ``commit()`` here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from questionnaires import Questionnaire, labels
from survey.auth import is_safe_next
from survey.i18n import current_language, set_language
from survey.respond import bp
from survey.respond import state as answer_state
from survey.respond.forms import (
    BoundField,
    CodeForm,
    Page,
    bind_post,
    bind_stored,
    build_pages,
    page_answers,
    page_fields,
)
from survey.respond.state import AnswerState, StateUnreadable
from survey.services import Conflict
from survey.services.answering import (
    AnswerError,
    InvitationInfo,
    Submission,
    SubmitRefused,
    TokenState,
    WaveSnapshots,
    lookup,
    submit,
    validate_answers,
    validate_comments,
    wave_snapshots,
)
from survey.services.invitations import normalise_code

TOKEN_KEY = "respond_token"
DONE_KEY = "respond_done"

#: HTTP status of each refusal page
REFUSAL_STATUS = {
    TokenState.UNKNOWN: 404,
    TokenState.USED: 409,
    TokenState.CLOSED: 410,
    TokenState.DRAFT: 403,
}


def _refusal(state: TokenState | str) -> tuple[str, int]:
    key = state.value if isinstance(state, TokenState) else state
    texts = {
        # also the answer to a used link: it must not tell whoever holds a link whether its owner
        # has answered (docs/anonymity.md, threat 17)
        "unknown": (
            _("This link or code cannot be used"),
            _(
                "Check that you used the whole link from your invitation, or typed the code correctly. "
                "A link or code that has already been used to send answers cannot be used again."
            ),
        ),
        "used": (
            _("These answers have already been sent"),
            _(
                "The invitation has already been used, so it cannot be used again. "
                "Each invitation can submit answers once."
            ),
        ),
        "closed": (
            _("The survey is closed"),
            _("This survey no longer accepts answers. Thank you for your interest."),
        ),
        "draft": (
            _("The survey has not opened yet"),
            _("You can answer when the survey opens. Please use the same link or code again then."),
        ),
        "no_session": (
            _("No invitation found"),
            _("Open the link from your invitation again, or enter your code."),
        ),
        "done": (
            _("Your answers have been received"),
            _("Your answers were already sent. Nothing more was stored. Thank you for taking part."),
        ),
        "expired": (
            _("Your answers so far have expired"),
            _(
                "Answers that have not been sent are kept in your browser for a week at most, and "
                "nothing was stored. You can start the survey again."
            ),
        ),
        "unreadable": (
            _("Your answers so far could not be read"),
            _(
                "Your browser sent answers this survey cannot read, for example from another "
                "invitation. Nothing was stored. You can start the survey again."
            ),
        ),
        "no_page": (
            _("This page of the survey does not exist"),
            _("The address may be incomplete. Your answers so far are kept."),
        ),
    }
    status = (
        REFUSAL_STATUS.get(state, 409)
        if isinstance(state, TokenState)
        else {"done": 409, "expired": 410, "no_page": 404}.get(key, 400)
    )
    title, text = texts[key]
    return render_template("respond/refused.html", title=title, text=text, reason=key), status


@dataclass(frozen=True)
class Flow:
    """A wave's answering flow: its questionnaires and pages (built once per snapshot, see ``_flow``)."""

    key: tuple[Any, ...]
    questionnaires: tuple[Questionnaire, ...]
    pages: tuple[Page, ...]
    n_questions: int


_FLOWS: dict[tuple[Any, ...], Flow] = {}


def _flow(snapshots: WaveSnapshots) -> Flow:
    flow = _FLOWS.get(snapshots.key)
    if flow is None:
        pages = tuple(build_pages(snapshots.questionnaires))
        n_questions = sum(len(p.field_ids()) for p in pages)
        flow = Flow(snapshots.key, snapshots.questionnaires, pages, n_questions)
        if len(_FLOWS) >= 64:
            _FLOWS.clear()
        _FLOWS[snapshots.key] = flow
    return flow


def _current_invitation() -> tuple[str | None, Flow | None, Any]:
    """``(token, the wave's flow, None)`` for the token in the session, or ``(None, None, refusal)``.

    One token lookup and one snapshot-digest query per request; the questionnaires are parsed once
    per process (``services.answering.wave_snapshots``).
    """
    token = session.get(TOKEN_KEY)
    if not token:
        return None, None, _refusal("done" if session.get(DONE_KEY) else "no_session")
    info: InvitationInfo = lookup(token)
    if info.state is not TokenState.OK:
        return None, None, _refusal(info.state)
    assert info.wave_id is not None  # lookup() said OK, so the wave exists
    return token, _flow(wave_snapshots(info.wave_id, info.snapshot_digests)), None


def _start_session(token: str) -> None:
    session.pop(DONE_KEY, None)
    session[TOKEN_KEY] = token


@bp.after_request
def _no_store(response: Any) -> Any:
    """Answer pages carry the answers so far: keep them out of caches and the browser's history
    cache, so the next person at a shared computer cannot press Back and read them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- entry ---------------------------------------------------------------------------------------


#: a link or code in one of these states gets the same answer, counted by the rate limit: a used one
#: looks unknown, so holding someone's link or code does not tell whether they have answered
_NOT_USABLE = (TokenState.UNKNOWN, TokenState.USED)


@bp.get("/r/<token>")
def link(token: str) -> Any:
    info = lookup(token)
    if info.state in _NOT_USABLE:
        return _refusal(TokenState.UNKNOWN)
    _start_session(token)
    return redirect(url_for("respond.start"), code=303)


@bp.route("/kode", methods=["GET", "POST"])
def code_entry() -> Any:
    form = CodeForm(request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        code = normalise_code(form.code.data or "")
        if code is None:
            error = _("A code has 12 letters and digits, for example ABCD-2345-WXYZ. Please check it.")
        elif lookup(code).state in _NOT_USABLE:
            error = _(
                "We could not find this code, or it has already been used to send answers. "
                "Please check it and try again."
            )
        else:
            _start_session(code)
            return redirect(url_for("respond.start"), code=303)
    status = 200 if error is None else 422
    return render_template("respond/code.html", form=form, error=error), status


@bp.get("/sprog/<lang>")
def language(lang: str) -> Any:
    if not set_language(lang):
        abort(404)
    target = request.args.get("next", "")
    if not is_safe_next(target):
        # no page to come back to: staff go to their landing page, respondents to the start page
        target = url_for("staff.home" if current_user.is_authenticated else "respond.start")
    return redirect(target, code=303)


def merge_sentences(texts: Iterable[str]) -> list[str]:
    """The questionnaires' privacy texts as one list of sentences, each shown once.

    The shipped definitions share their first sentences; a wave running three of them should not
    repeat the same promise three times on the start page. Two sentences that begin with the same
    clause (up to the first comma or semicolon: "Results are shown only for groups of at least 5,
    so ..." / "Results are shown only for groups of at least 5; numbers on ...") say the same thing
    twice: the longer one is kept, in the place of the first.
    """
    seen: dict[str, str] = {}  # first clause -> sentence
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
            if not sentence:
                continue
            clause = re.split(r"[,;:]", sentence, maxsplit=1)[0].strip().casefold()
            if clause not in seen or len(sentence) > len(seen[clause]):
                seen[clause] = sentence
    return list(seen.values())


#: the time a question takes on average, for the start page's "about N minutes" (the shipped
#: definitions' own intros say 10 + 5 + 5 minutes for their 79 questions: ~15 s each)
SECONDS_PER_QUESTION = 15


def estimated_minutes(n_questions: int) -> int:
    """Minutes the survey takes, to the nearest 5 (at least 5): 79 questions x 15 s = 19.75 -> 20."""
    return max(5, 5 * round(n_questions * SECONDS_PER_QUESTION / 60 / 5))


@bp.get("/start")
def start() -> Any:
    token, flow, refused = _current_invitation()
    if refused:
        return refused
    assert flow is not None
    qs = flow.questionnaires
    lang = current_language()
    return render_template(
        "respond/start.html",
        questionnaires=qs,
        parts=[(q.title.get(lang), q.intro.get(lang) if q.intro else None) for q in qs],
        privacy=merge_sentences(q.privacy.get(lang) for q in qs if q.privacy),
        total_pages=len(flow.pages) + 1,
        minutes=estimated_minutes(flow.n_questions),
    )


# --- the questionnaire pages -----------------------------------------------------------------------


def _check_parts(data: Any, qs: tuple[Questionnaire, ...]) -> dict[str, dict[str, Any]]:
    """The carried answers, re-validated: ``{questionnaire id: {"a": answers, "c": comments}}``.

    Raises :class:`StateUnreadable` when they do not fit the wave's questionnaires (the cookie is
    encrypted and authenticated, so only a changed questionnaire snapshot can lead here).
    """
    if not isinstance(data, dict):
        raise StateUnreadable("unreadable")
    by_id = {q.id: q for q in qs}
    parts: dict[str, dict[str, Any]] = {}
    for qid, part in data.items():
        if qid not in by_id or not isinstance(part, dict):
            raise StateUnreadable("unreadable")
        raw_answers, raw_comments = part.get("a") or {}, part.get("c") or {}
        if not isinstance(raw_answers, dict) or not isinstance(raw_comments, dict):
            raise StateUnreadable("unreadable")
        try:
            answers = validate_answers(by_id[qid], raw_answers)
            comments = validate_comments(by_id[qid], raw_comments)
        except AnswerError:
            raise StateUnreadable("unreadable") from None
        parts[qid] = {"a": answers, "c": comments}
    return parts


def _read_state(token: str, flow: Flow) -> AnswerState:
    """The answers so far from the state cookie (empty when there is none); raises
    :class:`StateUnreadable` for one that is expired, changed or made for another invitation."""
    found = answer_state.read(token)
    if found is None:
        return AnswerState()
    found.parts = _check_parts(found.parts, flow.questionnaires)
    if not 0 <= found.page <= len(flow.pages):
        found.page = 0
    return found


def _merge(
    state: dict[str, dict[str, Any]], q: Questionnaire, page: Page, answers: dict, comments: dict
) -> None:
    part = state.setdefault(q.id, {"a": {}, "c": {}})
    for key in page.field_ids():
        part["a"].pop(key, None)
        part["c"].pop(key, None)
    part["a"].update(answers)
    part["c"].update(comments)
    # keep follow-ups only when the exposure question says "yes" (same rule as storage)
    part["a"] = validate_answers(q, part["a"])


@dataclass(frozen=True)
class PageSummary:
    """One page on the send page's summary: what it asks, how many of its questions were answered out
    of those meant for this respondent."""

    page_no: int
    title: str
    answered: int
    meant: int


def _meant(page: Page, answers: dict[str, Any]) -> list[str]:
    """Ids of the page's questions meant for this respondent: an exposure's follow-ups only after a yes
    (after "no" they are not asked, and not kept)."""
    if page.exposure is None:
        return page.field_ids()
    question = page.exposure.question.id
    freq = answers.get(question)
    if isinstance(freq, int) and freq >= 1:
        return page.field_ids()
    return [question]


def _summary(flow: Flow, state: dict[str, dict[str, Any]]) -> list[tuple[str, list[PageSummary]]]:
    """Per questionnaire (part) its title and one :class:`PageSummary` per page, in answering order."""
    lang = current_language()
    parts: list[tuple[str, list[PageSummary]]] = [(q.title.get(lang), []) for q in flow.questionnaires]
    for index, page in enumerate(flow.pages):
        q = flow.questionnaires[page.q_index]
        given = {**state.get(q.id, {}).get("a", {}), **state.get(q.id, {}).get("c", {})}
        meant = _meant(page, state.get(q.id, {}).get("a", {}))
        if page.theme is not None:
            title = page.theme.title.get(lang)
        elif page.exposure is not None:
            title = labels.exposure_title(page.exposure, lang)
        else:
            title = _("Your comments")
        answered = sum(1 for qid in meant if qid in given)
        parts[page.q_index][1].append(PageSummary(index + 1, title, answered, len(meant)))
    return parts


def _render_page(
    flow: Flow,
    index: int,
    state: dict[str, dict[str, Any]],
    fields: list[BoundField] | None = None,
    *,
    not_stored: bool = False,
) -> Any:
    lang = current_language()
    pages, qs = flow.pages, flow.questionnaires
    total = len(pages) + 1
    if index >= len(pages):
        summary = _summary(flow, state)
        return render_template(
            "respond/review.html",
            page_no=total,
            total_pages=total,
            index=len(pages),
            summary=summary,
            answered=sum(p.answered for _title, ps in summary for p in ps),
            n_questions=sum(p.meant for _title, ps in summary for p in ps),
            not_stored=not_stored,
        )
    page = pages[index]
    q = qs[page.q_index]
    if fields is None:
        stored = {**state.get(q.id, {}).get("a", {}), **state.get(q.id, {}).get("c", {})}
        fields = bind_stored(page_fields(flow.key, q, page, index, lang), stored)
    errors = [(f.id, f.label, err) for f in fields for err in f.errors]
    status = 422 if errors else 200
    return render_template(
        "respond/page.html",
        page=page,
        questionnaire=q,
        q_number=page.q_index + 1,
        q_count=len(qs),
        fields=fields,
        errors=errors,
        index=index,
        page_no=index + 1,
        total_pages=total,
        exposure_title=labels.exposure_title(page.exposure, lang) if page.exposure else None,
        exposure_definition=page.exposure.definition.get(lang)
        if page.exposure and page.exposure.definition
        else None,
        follow_up_ids=[qq.id for part, qq in page.exposure.parts() if part != "question"]
        if page.exposure
        else [],
    ), status


def _state_refusal(exc: StateUnreadable) -> Any:
    """The answers so far cannot be read: say so, delete the cookie, offer to begin again."""
    body, status = _refusal(exc.reason)
    response = make_response(body, status)
    answer_state.clear(response)
    return response


def _go_to(token: str, state: AnswerState, index: int) -> Any:
    """Keep ``state`` (with ``index`` as the page reached) in the cookie and redirect to that page:
    the page the browser then shows is a GET, so Back and reload never resubmit a form."""
    state.page = index
    response = redirect(url_for("respond.page", page_no=index + 1), code=303)
    answer_state.write(response, answer_state.encode(state, token))
    return response


def _invitation_and_state() -> tuple[tuple[str, Flow, AnswerState] | None, Any]:
    """``((token, flow, answers so far), None)`` for the invitation in the session, or ``(None, refusal)``
    when there is none usable (:func:`_current_invitation`) or its state cookie cannot be read (the
    refusal then deletes the cookie). The one read for the GET pages of the questionnaire."""
    token, flow, refused = _current_invitation()
    if refused:
        return None, refused
    assert token is not None and flow is not None
    try:
        return (token, flow, _read_state(token, flow)), None
    except StateUnreadable as exc:
        return None, _state_refusal(exc)


@bp.get("/svar")
def resume() -> Any:
    """A restored tab, a bookmark or a typed address: back to the page the respondent had reached."""
    found, refused = _invitation_and_state()
    if found is None:
        return refused
    _, _, state = found
    if not answer_state.has_cookie():
        return redirect(url_for("respond.start"), code=303)
    return redirect(url_for("respond.page", page_no=state.page + 1), code=303)


@bp.get("/svar/<int:page_no>")
def page(page_no: int) -> Any:
    """Page ``page_no`` (1-based; the last is the send page) with the answers so far."""
    found, refused = _invitation_and_state()
    if found is None:
        return refused
    _, flow, state = found
    if not 1 <= page_no <= len(flow.pages) + 1:
        return _refusal("no_page")
    return _render_page(flow, page_no - 1, state.parts)


@bp.post("/svar")
def answer() -> Any:
    token, flow, refused = _current_invitation()
    if refused:
        return refused
    assert token is not None and flow is not None
    qs, pages = flow.questionnaires, flow.pages
    action = request.form.get("action", "next")
    try:
        state = _read_state(token, flow)
    except StateUnreadable as exc:
        if action != "start":
            return _state_refusal(exc)
        state = AnswerState()  # "Start" on the start page begins afresh
    if action == "start":
        return _go_to(token, state, 0)
    try:
        index = int(request.form.get("page", ""))
    except ValueError:
        abort(400)
    if not 0 <= index <= len(pages):
        abort(400)

    if action.startswith("lang-"):
        set_language(action[len("lang-") :])

    if index < len(pages):
        page = pages[index]
        q = qs[page.q_index]
        fields = bind_post(page_fields(flow.key, q, page, index, current_language()), request.form)
        if any(f.errors for f in fields):
            return _render_page(flow, index, state.parts, fields)
        answers, comments = page_answers(fields, page)
        _merge(state.parts, q, page, answers, comments)
        if comments and not answer_state.fits(answer_state.encode(state, token)):
            for f in fields:
                if f.kind == "textarea" and f.text.strip():
                    f.errors.append(
                        _("Your comments are too long to be kept until you send them. Please shorten them.")
                    )
            return _render_page(flow, index, state.parts, fields)

    if action == "back":
        if index == 0:
            response = redirect(url_for("respond.start"), code=303)
            state.page = 0
            answer_state.write(response, answer_state.encode(state, token))
            return response
        return _go_to(token, state, index - 1)
    if action == "next":
        return _go_to(token, state, min(index + 1, len(pages)))
    if action == "submit" and index == len(pages):
        return _submit(token, flow, state)
    if action.startswith("lang-"):
        return _go_to(token, state, index)
    abort(400)


def _submit(token: str, flow: Flow, state: AnswerState) -> Any:
    qs = flow.questionnaires
    parts = state.parts
    submissions = [
        Submission(q, parts.get(q.id, {}).get("a", {}), parts.get(q.id, {}).get("c", {})) for q in qs
    ]
    try:
        submit(token, submissions, current_language())
    except SubmitRefused as exc:
        session.pop(TOKEN_KEY, None)
        body, status = _refusal(exc.state)
        response = make_response(body, status)
        answer_state.clear(response)
        return response
    except Conflict as exc:
        # e.g. the wave was opened under another mark key (SECRET_KEY changed): nothing was stored and
        # the invitation stays unused; the respondent keeps the session and can try again later
        current_app.logger.error("submit refused by the server's configuration: %s", exc)
        page, status = _render_page(flow, len(flow.pages), parts, not_stored=True), 503
        return page, status
    session.pop(TOKEN_KEY, None)
    session[DONE_KEY] = True
    done = redirect(url_for("respond.thanks"), code=303)
    answer_state.clear(done)
    return done


@bp.get("/tak")
def thanks() -> Any:
    """After Send (a GET, so reloading it sends nothing again)."""
    if not session.get(DONE_KEY):
        return redirect(url_for("respond.start"), code=303)
    return render_template("respond/thanks.html")
