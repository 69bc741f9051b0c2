"""Every write of the application, one use case per function, one transaction each.

Views and CLI commands call these functions; they never ``commit()`` themselves. A function either
commits its whole change or raises :class:`ServiceError` (or a subclass) and changes nothing.
"""

from __future__ import annotations


class ServiceError(ValueError):
    """A request that cannot be carried out; ``str(err)`` says what and how to fix it."""


class NotFound(ServiceError):
    """Something named does not exist."""


class Conflict(ServiceError):
    """The request clashes with the current state (e.g. a wave that is already closed)."""
