"""The error this store raises when its files cannot be used (locked by another process,
unreadable, closed); bad arguments are the kernel's RequestValidationError and FilterError, and
bad URLs its ConfigurationError."""

from __future__ import annotations

from lluminary.sdk import LluminaryError


class FaissStoreError(LluminaryError):
    """The store's directory could not be opened, read or written; the message says which and why."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
