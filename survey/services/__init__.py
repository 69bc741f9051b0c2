"""Every write of the application, one use case per function, one transaction each.

Views and CLI commands call these functions; they never ``commit()`` themselves. A function either
commits its whole change or raises :class:`ServiceError` (or a subclass) and changes nothing.
"""

from __future__ import annotations

from typing import Any


class ServiceError(ValueError):
    """A request that cannot be carried out; ``str(err)`` says what and how to fix it.

    ``msgid`` is the English message with ``%(name)s`` placeholders, ``params`` their values: ``str(err)``
    is ``msgid % params`` (English, for the command line and logs), and a page shows
    ``gettext(msgid) % params`` in its own language (:func:`survey.i18n.service_text`). Every literal
    msgid is in the translation catalogue (``tests/survey/test_service_messages.py``).
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)


class NotFound(ServiceError):
    """Something named does not exist."""


class Conflict(ServiceError):
    """The request clashes with the current state (e.g. a wave that is already closed)."""
