# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication: the key pair or the token of a run, and the bearer token each request carries (internal to this
collection, not a public API).

A run given a key pair logs in once, and again once when its token expires mid-run (they live minutes): threads
whose token expired together share the next login. A run given only a token cannot replace it, and says why it was
rejected.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import _messages as messages


class BearerAuth:  # pylint: disable=too-few-public-methods
    """requests' ``auth=`` for the API: the token as ``Bearer``, or no Authorization header at all for ``POST /auth``.

    Given any ``auth=``, requests no longer reads ``~/.netrc`` (or ``$NETRC``), whose ``default`` or matching
    ``machine`` entry would otherwise replace the token with HTTP Basic credentials, sent to the API. Proxies from the
    environment still apply: ``trust_env`` stays on.
    """

    def __init__(self, token: str | None) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        if self._token is None:
            request.headers.pop("Authorization", None)
        else:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def token_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT, read without verifying it, or None."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None


def _utc(seconds: int) -> str:
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):  # a claim no calendar holds
        return f"{seconds} seconds after 1970"


class Credentials:
    """The key pair and the current token of a run."""

    def __init__(self, api_key: str | None, api_secret: str | None, access_token: str | None) -> None:
        self.key_pair = (api_key, api_secret) if api_key and api_secret else None
        self._token = access_token
        self._login = threading.Lock()  # one login at a time: threads whose token expired together share the next one

    def bearer(self, log_in: Callable[[], str]) -> str:
        """The token to send: the current one, or the one ``log_in()`` gets where there is none."""
        with self._login:
            if self._token is None:
                self._token = log_in()
            return self._token

    def forget(self, token: str | None) -> None:
        """The API rejected ``token``: the next request logs in again, unless another thread already did."""
        with self._login:
            if self._token == token:
                self._token = None

    def rejection_reason(self) -> str:
        """Why the API rejected a given access_token, as far as the token tells."""
        expiry = token_expiry(self._token or "")
        if expiry is not None and expiry <= time.time():
            return messages.token_expired(_utc(expiry))
        return messages.TOKEN_REJECTED
