# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Naming a request that got no usable HTTP answer, as requests and urllib3 report it (internal, not a public API).

The kind of failure is the word a user searches for ("DNS failure", "timeout"); the detail is the
library's reason, without the nesting that requests and urllib3 wrap it in.
"""

from __future__ import annotations

try:
    import requests
    from urllib3.exceptions import InvalidHeader as AnswerHeaderError
    from urllib3.exceptions import ProtocolError, ReadTimeoutError
except ImportError:  # reported by the module through missing_required_lib
    pass

from . import _errors as say
from . import _transport_kinds as kinds
from ._attempt_clock import AttemptTimeout


def _chain(error: BaseException):
    """The error, and what it wraps, as requests and urllib3 nest them."""
    seen = []
    while isinstance(error, BaseException) and error not in seen:
        seen.append(error)
        yield error
        inner = getattr(error, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in reversed(error.args) if isinstance(arg, BaseException)), None)
        error = inner if inner is not None else error.__context__


def transport_kind(error: Exception, proxy: bool = False) -> str:
    """Name a failure that got no usable HTTP answer the way a user searches for it; ``proxy``: whether one applies."""
    chain = list(_chain(error))
    if isinstance(error, (requests.exceptions.ProxyError, requests.exceptions.InvalidProxyURL)):
        return kinds.PROXY_FAILURE
    if proxy and isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return kinds.PROXY_FAILURE  # base_url was checked before any request: what cannot be parsed or spoken is the proxy's
    if any(isinstance(cause, AnswerHeaderError) for cause in chain) or isinstance(error, requests.exceptions.ContentDecodingError):
        return kinds.MALFORMED_ANSWER  # a header or the encoding of the answer, not of the request
    if isinstance(error, requests.exceptions.SSLError) or "CA certificate bundle" in str(error):
        return kinds.TLS_FAILURE
    if isinstance(error, requests.exceptions.InvalidHeader):
        return kinds.INVALID_REQUEST_HEADER
    if isinstance(error, requests.exceptions.InvalidURL):
        return kinds.INVALID_URL
    text = repr(error)
    # A read timeout that used up the retries comes as a ConnectionError wrapping urllib3's ReadTimeoutError.
    if isinstance(error, requests.exceptions.Timeout) or "TimeoutError(" in text or any(isinstance(cause, AttemptTimeout) for cause in chain):
        return kinds.TIMEOUT
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text or "nodename nor servname" in text:
        return kinds.DNS_FAILURE
    if "Connection refused" in text or "ConnectionRefused" in text:
        return kinds.CONNECTION_REFUSED
    if "RemoteDisconnected" in text or "Connection aborted" in text or "ProtocolError" in text:
        return kinds.CONNECTION_CLOSED
    return kinds.CONNECTION_ERROR


def transport_detail(error: Exception) -> str:
    if isinstance(error, requests.exceptions.InvalidHeader) and transport_kind(error) == kinds.INVALID_REQUEST_HEADER:
        return say.BAD_REQUEST_HEADER
    over_time = next((cause for cause in _chain(error) if isinstance(cause, AttemptTimeout)), None)
    if over_time is not None:
        return str(over_time)  # rather than urllib3's "Read timed out. (read timeout=2)", which a trickle never reaches
    reason = error.args[0] if error.args else error
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    # ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed ...')): the cause comes last.
    while isinstance(reason, BaseException) and len(reason.args) > 1 and isinstance(reason.args[-1], BaseException):
        reason = reason.args[-1]
    return str(reason) or type(reason).__name__


def broken_body(error: Exception, url: str):
    """The urllib3 error that an answer whose body broke off counts as, for a retry: a read timeout or a closed
    connection; None for any other failure."""
    for cause in _chain(error):
        if isinstance(cause, (ReadTimeoutError, ProtocolError)):
            return cause
        if isinstance(cause, AttemptTimeout):
            return ReadTimeoutError(None, url, str(cause))
    return None
