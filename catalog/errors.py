"""The project's errors: each names where the problem is (a file, a card, a source) and why, in one line."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """An error's message in one line: its first, or its type's name where it says nothing."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class PosezooError(Exception):
    """Something posezoo cannot use; `where` is the file, card or source, `reason` one line."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason

    @property
    def path(self) -> str:
        return self.where


class CardError(PosezooError):
    """A model card (or the shared `_defaults.yaml`) that does not follow the card schema.

    `reasons` holds every problem found in the card, one line each; `reason` is the first.
    """

    def __init__(self, where: str, reason: str, more: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(where, reason)
        self.reasons = list(dict.fromkeys([reason, *more]))

    def lines(self) -> list[str]:
        return [f"{self.where}: {reason}" for reason in self.reasons]


class FetchError(PosezooError):
    """A model source that cannot be fetched or does not match its pin."""


class ModelError(PosezooError):
    """A model file that cannot be read, converted or run."""


class InternalError(PosezooError):
    """A bug in posezoo itself, met while reading a file: said in one line, with a hint to report it."""

    hint = "this is a bug in posezoo: please report it with the file"
