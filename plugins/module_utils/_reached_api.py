# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a request that got no good answer may have reached the API, and been carried out all the same
(internal to this collection, not a public API).

A create whose answer was lost may have created the key, its one-time secret with it: the client and the
reconciler ask ``may_have_reached_api`` before they report a plain failure.
"""

from __future__ import annotations

from ._transport_kinds import NEVER_SENT

try:
    from urllib3.exceptions import ProtocolError, ReadTimeoutError
except ImportError:  # requests (and with it urllib3) missing: the client reports it via missing_required_lib
    ProtocolError = ReadTimeoutError = ()

# Answers after which the server may have carried the request out all the same: an error inside the
# API or behind a gateway. 429 and 503 say the request was turned away, so it was not.
MAYBE_PROCESSED_STATUSES = frozenset((500, 502, 504))


def may_have_reached_api(*, history=(), status: int | None = None, transport_kind: str | None = None) -> bool:
    """Whether the API may have carried a request out, from what is known of it:

    - ``history``: urllib3's ``Retry.history``, the attempts before the last one; one whose answer was lost (a read
      timeout, a closed connection) or was a server fault may have been carried out;
    - ``status``: the status of the last answer, a server fault;
    - ``transport_kind``: how the last attempt failed without an answer, unless it cannot have been sent.
    """
    return (
        any(attempt.status in MAYBE_PROCESSED_STATUSES or isinstance(attempt.error, (ReadTimeoutError, ProtocolError)) for attempt in history)
        or status in MAYBE_PROCESSED_STATUSES
        or (transport_kind is not None and transport_kind not in NEVER_SENT)
    )
