# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the fiskaly client (internal to this collection, not a public API).

Each error knows the one-line message a user reads and the structured ``failure`` field
that a playbook can test, so that modules turn any of them into ``fail_json`` the same way.
"""

from __future__ import annotations

import re

EXCERPT_LENGTH = 120
# How many input errors a message lists; the rest are counted (a fleet of 10,000 bad names makes one short message).
LISTED_ERRORS = 10


class FiskalyError(Exception):
    """Anything that makes a module run fail; ``str()`` is the message for the user."""

    def __init__(self, message: str, **result):
        super().__init__(message)
        # Extra result fields (never "msg"): returned beside the message by fail_json.
        self.result = result

    @classmethod
    def unexpected(cls, error: Exception) -> FiskalyError:
        """A bug of ours or a library's, said in one line, without a traceback in the user's face."""
        return cls(f"Unexpected error: {type(error).__name__}: {error}")


class InvalidInput(FiskalyError):
    """Arguments that break a rule, found before any request is sent."""


class ApiError(FiskalyError):
    """The API answered with an error status."""

    # Set by the client where an attempt of the request may have been carried out all the same.
    may_have_reached_api = False

    def __init__(self, action: str, status: int, code: str | None, api_message: str):
        self.status = status
        self.code = code
        self.api_message = api_message
        label = f"HTTP {status} {code}" if code else f"HTTP {status}"
        super().__init__(
            f"{action} failed: {label}: {api_message}",
            failure={"status": status, "code": code, "message": api_message},
        )


class TransportError(FiskalyError):
    """No usable HTTP answer: connection refused, DNS, TLS, proxy, timeout, or an answer that breaks the contract."""

    # Kinds of failure after which the request cannot have reached the API.
    NEVER_SENT = frozenset(("connection refused", "DNS failure", "TLS failure", "invalid request header", "proxy failure", "invalid URL"))

    def __init__(self, action: str, kind: str, detail: str):
        self.kind = kind
        super().__init__(f"{action} failed: {kind}: {detail}", failure={"status": None, "code": kind, "message": detail})

    @property
    def may_have_reached_api(self) -> bool:
        return self.kind not in self.NEVER_SENT


class MalformedAnswer(TransportError):
    """An answer whose status says success but whose body breaks the contract (not JSON, not the object it must be).

    The request may have been carried out all the same; what it did is unknown, as after a lost answer.
    """

    def __init__(self, action: str, status: int, detail: str):
        super().__init__(action, "malformed answer", f"HTTP {status} {detail}")
        self.result["failure"]["status"] = status


def error_list(errors: list[str]) -> str:
    """Input errors as one message: all of a few, or the first ``LISTED_ERRORS`` and how many there are in all."""
    if len(errors) <= LISTED_ERRORS:
        return "; ".join(errors)
    return (f"{len(errors)} errors, the first {LISTED_ERRORS} of them: " + "; ".join(errors[:LISTED_ERRORS])
            + f"; and {len(errors) - LISTED_ERRORS} more")


def excerpt(text: str) -> str:
    """A short, single-line piece of a non-JSON body (an HTML page from a gateway, say)."""
    without_tags = re.sub(r"<[^>]*>", " ", text)
    flat = " ".join(without_tags.split())
    return flat if len(flat) <= EXCERPT_LENGTH else flat[:EXCERPT_LENGTH] + "..."
