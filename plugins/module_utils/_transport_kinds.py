# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kinds of failure that got no usable HTTP answer (internal to this collection, not a public API).

Each is what a user reads after "failed:" and the ``code`` of the result's ``failure``; the client names a failure
with one (``_transport_failures``) and decides from it whether the request may have reached the API
(``_reached_api``). One home, so that rewording a kind cannot silently change that decision.
"""

from __future__ import annotations

PROXY_FAILURE = "proxy failure"
MALFORMED_ANSWER = "malformed answer"
TLS_FAILURE = "TLS failure"
INVALID_REQUEST_HEADER = "invalid request header"
INVALID_URL = "invalid URL"
TIMEOUT = "timeout"
DNS_FAILURE = "DNS failure"
CONNECTION_REFUSED = "connection refused"
CONNECTION_CLOSED = "connection closed by the server"
CONNECTION_ERROR = "connection error"

# The kinds after which the request cannot have reached the API: it never left, or nothing listened.
NEVER_SENT = frozenset((CONNECTION_REFUSED, DNS_FAILURE, TLS_FAILURE, INVALID_REQUEST_HEADER, PROXY_FAILURE, INVALID_URL))
