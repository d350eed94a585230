# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a failed request was (internal to this collection, not a public API).

The errors of a request (the API answered with an error status, or there was no usable answer at all), the causes
of a failure without an answer as a user searches for them ("DNS failure", "timeout"), and whether a request that got
no good answer may have reached the API and been carried out all the same: a create whose answer was lost may have
created the key, its one-time secret with it. One home, so that rewording a cause cannot silently change that
decision. The words of each message come from ``_messages``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

try:
    import requests
    from urllib3.exceptions import InvalidHeader as AnswerHeaderError
    from urllib3.exceptions import ProtocolError, ReadTimeoutError
except ImportError:  # reported by the module through missing_required_lib
    ProtocolError = ReadTimeoutError = ()  # type: ignore[assignment,misc]

from .. import _messages as messages
from .._errors import FiskalyError
from .attempt_clock import AttemptTimeout

# -- the causes of a failure without a usable answer: what a user reads after "failed:", and the failure's code --

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

# -- whether a request may have reached the API ----------------------------------------------------------------

# The causes after which the request cannot have reached the API: it never left, or nothing listened.
CANNOT_HAVE_REACHED_API = frozenset(
    (CONNECTION_REFUSED, DNS_FAILURE, TLS_FAILURE, INVALID_REQUEST_HEADER, PROXY_FAILURE, INVALID_URL),
)
# Answers after which the server may have carried the request out all the same: an error inside the
# API or behind a gateway. 429 and 503 say the request was turned away, so it was not.
MAY_HAVE_REACHED_API_STATUSES = frozenset((500, 502, 504))


def may_have_reached_api(*, history: Iterable = (), status: int | None = None, cause: str | None = None) -> bool:
    """Whether the API may have carried a request out, from what is known of it:

    - ``history``: urllib3's ``Retry.history``, the attempts before the last one; one whose answer was lost (a read
      timeout, a closed connection) or was a server fault may have been carried out;
    - ``status``: the status of the last answer, a server fault;
    - ``cause``: how the last attempt failed without an answer, unless it cannot have been sent.
    """
    lost = (ReadTimeoutError, ProtocolError)
    return (
        any(attempt.status in MAY_HAVE_REACHED_API_STATUSES or isinstance(attempt.error, lost) for attempt in history)
        or status in MAY_HAVE_REACHED_API_STATUSES
        or (cause is not None and cause not in CANNOT_HAVE_REACHED_API)
    )


# -- the errors of a request -----------------------------------------------------------------------------------


class ApiError(FiskalyError):
    """The API answered with an error status; ``may_have_reached_api``: whether an attempt may have been carried out
    all the same (an answer lost or a server fault before the last answer, or the last one a server fault)."""

    def __init__(
        self,
        activity: str,
        status: int,
        code: str | None,
        api_message: str,
        *,
        attempts: int = 1,
        may_have_reached_api: bool = False,
    ) -> None:
        self.status = status
        self.code = code
        self.api_message = api_message
        self.may_have_reached_api = may_have_reached_api
        super().__init__(
            messages.request_failed(activity, messages.status_label(status, code), api_message, attempts),
            failure={"status": status, "code": code, "message": api_message},
        )

    @property
    def ended_in(self) -> str:
        """How the request ended, as a message names it: "HTTP 503"."""
        return messages.ended_in_status(self.status)


class CreateConflict(ApiError):
    """409 to a PUT: the name exists. ``may_have_reached_api`` says whether an earlier attempt of this very request
    may have created it (its answer lost on the way)."""

    def __init__(self, activity: str, code: str | None, api_message: str, may_have_reached_api: bool) -> None:
        super().__init__(activity, 409, code, api_message, may_have_reached_api=may_have_reached_api)


class TransportError(FiskalyError):
    """No usable HTTP answer: connection refused, DNS, TLS, proxy, timeout, or an answer that breaks the contract;
    ``cause`` says which."""

    def __init__(self, activity: str, cause: str, detail: str, attempts: int = 1) -> None:
        self.cause = cause
        self.may_have_reached_api = may_have_reached_api(cause=cause)
        super().__init__(
            messages.request_failed(activity, cause, detail, attempts),
            failure={"status": None, "code": cause, "message": detail},
        )

    @property
    def ended_in(self) -> str:
        """How the request ended, as a message names it: "a timeout"."""
        return messages.ended_in_cause(self.cause)


class MalformedAnswer(TransportError):
    """An answer whose status says success but whose body breaks the contract (not JSON, not the object it must be).

    The request may have been carried out all the same; what it did is unknown, as after a lost answer.
    """

    def __init__(self, activity: str, status: int, detail: str) -> None:
        super().__init__(activity, MALFORMED_ANSWER, messages.status_detail(status, detail))
        self.result["failure"]["status"] = status


# -- naming a failure without a usable answer, as requests and urllib3 report it --------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, and what it wraps, as requests and urllib3 nest them."""
    seen = []
    while isinstance(error, BaseException) and error not in seen:
        seen.append(error)
        yield error
        inner: BaseException | None = getattr(error, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in reversed(error.args) if isinstance(arg, BaseException)), None)
        following = inner if inner is not None else error.__context__
        if following is None:
            return
        error = following


def transport_cause(error: Exception, proxy: bool = False) -> str:
    """Name a failure that got no usable HTTP answer the way a user searches for it; ``proxy``: whether one applies."""
    chain = list(_chain(error))
    if isinstance(error, (requests.exceptions.ProxyError, requests.exceptions.InvalidProxyURL)):
        return PROXY_FAILURE
    if proxy and isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        # base_url was checked before any request: what cannot be parsed or spoken is the proxy's
        return PROXY_FAILURE
    answer_header = any(isinstance(link, AnswerHeaderError) for link in chain)
    if answer_header or isinstance(error, requests.exceptions.ContentDecodingError):
        return MALFORMED_ANSWER  # a header or the encoding of the answer, not of the request
    if isinstance(error, requests.exceptions.SSLError) or "CA certificate bundle" in str(error):
        return TLS_FAILURE
    if isinstance(error, requests.exceptions.InvalidHeader):
        return INVALID_REQUEST_HEADER
    if isinstance(error, requests.exceptions.InvalidURL):
        return INVALID_URL
    text = repr(error)
    # A read timeout that used up the retries comes as a ConnectionError wrapping urllib3's ReadTimeoutError.
    over_time = any(isinstance(link, AttemptTimeout) for link in chain)
    if isinstance(error, requests.exceptions.Timeout) or "TimeoutError(" in text or over_time:
        return TIMEOUT
    if any(
        word in text for word in ("NameResolution", "Name or service not known", "getaddrinfo", "nodename nor servname")
    ):
        return DNS_FAILURE
    if "Connection refused" in text or "ConnectionRefused" in text:
        return CONNECTION_REFUSED
    if "RemoteDisconnected" in text or "Connection aborted" in text or "ProtocolError" in text:
        return CONNECTION_CLOSED
    return CONNECTION_ERROR


def transport_detail(error: Exception) -> str:
    if isinstance(error, requests.exceptions.InvalidHeader) and transport_cause(error) == INVALID_REQUEST_HEADER:
        return messages.BAD_REQUEST_HEADER
    over_time = next((link for link in _chain(error) if isinstance(link, AttemptTimeout)), None)
    if over_time is not None:
        return str(over_time)  # rather than urllib3's "Read timed out. (read timeout=2)", which a trickle never reaches
    reason = error.args[0] if error.args else error
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    # ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed ...')): the cause comes last.
    while isinstance(reason, BaseException) and len(reason.args) > 1 and isinstance(reason.args[-1], BaseException):
        reason = reason.args[-1]
    return str(reason) or type(reason).__name__


def broken_body(error: BaseException, url: str) -> Exception | None:
    """The urllib3 error that an answer whose body broke off counts as, for a retry: a read timeout or a closed
    connection; None for any other failure."""
    for link in _chain(error):
        if isinstance(link, (ReadTimeoutError, ProtocolError)):
            return link
        if isinstance(link, AttemptTimeout):
            return ReadTimeoutError(None, url, str(link))  # type: ignore[arg-type]  # no pool: the answer's body broke
    return None
