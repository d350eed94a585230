# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors that make a module run fail (internal to this collection, not a public API).

Each error knows the one-line message a user reads and the result fields beside it (the structured ``failure`` that a
playbook can test, say), so that modules turn any of them into ``fail_json`` the same way. The errors of a request are
in ``_http.failures``; the words of every message in ``_messages``.
"""

from __future__ import annotations

from typing import Any

from . import _messages as messages


class FiskalyError(Exception):
    """Anything that makes a module run fail; ``str()`` is the message for the user."""

    def __init__(self, message: str, **result: Any) -> None:
        super().__init__(message)
        # Extra result fields (never "msg"): returned beside the message by fail_json.
        self.result = result

    @classmethod
    def unexpected(cls, error: BaseException) -> FiskalyError:
        """A bug of ours or a library's, said in one line, without a traceback in the user's face."""
        return cls(messages.unexpected(type(error).__name__, error))


class InvalidInput(FiskalyError):
    """Arguments that break a rule, found before any request is sent."""
