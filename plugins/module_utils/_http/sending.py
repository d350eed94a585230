# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sending one request and getting its answer (internal to this collection, not a public API).

The requests Session of a run, a place among the requests in flight for each request (``concurrency``), its retry
policy (``retry``) and the clock of each attempt (``attempt_clock``). A request that gets no usable answer raises
``TransportError``, worded once here, where the proxy and the certificate authorities that were used are known.
"""

from __future__ import annotations

from typing import Any

try:
    import requests
    from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError
except ImportError:  # reported by the module through missing_required_lib
    pass

from .. import _messages as messages
from .answers import Answer, parsed
from .attempt_clock import AttemptClock, WatchedAdapter
from .auth import BearerAuth
from .concurrency import AdaptiveConcurrency, Slot
from .environment import ca_bundle_from_environment, proxy_from_environment, proxy_url_error, scrubbed
from .failures import (
    PROXY_FAILURE,
    TLS_FAILURE,
    TransportError,
    broken_body,
    may_have_reached_api,
    transport_cause,
    transport_detail,
)
from .retry import RATE_LIMITED, DeadlineRetry, PerThreadRetryAdapter, build_retry
from .routes import Request


class _Adapter(PerThreadRetryAdapter, WatchedAdapter):
    """Each thread's own retry policy, and each attempt's connection told to its clock (cut off when over time)."""


class Sender:  # pylint: disable=too-many-instance-attributes
    """One Session for the run of one module; at most ``max_concurrent_requests`` requests in flight."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        base_url: str,
        *,
        verify: bool | str,
        timeout: float,
        retries: int,
        retry_deadline: float,
        user_agent: str,
        max_concurrent_requests: int,
    ) -> None:
        self.base_url = base_url
        # Passed with each request: REQUESTS_CA_BUNDLE would override a Session.verify attribute.
        self._verify = verify
        self._timeout = timeout
        self._retries = retries
        self._retry_deadline = retry_deadline
        self.concurrency = AdaptiveConcurrency(max_concurrent_requests)
        self._session = requests.Session()
        # A connection per request in flight, each kept for the next request (requests keeps 10 by default).
        self._adapter = _Adapter(pool_maxsize=max(10, self.concurrency.max_concurrent_requests))
        self._session.mount("https://", self._adapter)
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        self._proxy = proxy_from_environment(self.base_url + "/")

    def close(self) -> None:
        self._session.close()

    def send(self, request: Request, activity: str, token: str | None) -> Answer:
        """The answer to ``request``, after retries; no usable answer raises ``TransportError``."""
        with self.concurrency.slot() as slot:
            answer = self._send_in_slot(request, activity, token, slot)
        if answer.status != RATE_LIMITED:
            self.concurrency.answered()
        return answer

    def _send_in_slot(self, request: Request, activity: str, token: str | None, slot: Slot) -> Answer:
        credentials = BearerAuth(token)
        method, url = request.method, self.base_url + request.path
        clock = AttemptClock(self._timeout)
        # A fresh policy per request, so that its time budget starts now (and not while it waited for its slot).
        policy = build_retry(self._retries, self._retry_deadline, clock, slot, idempotent=request.idempotent)
        while True:
            self._adapter.max_retries = policy
            broken: BaseException | None = None
            try:
                with clock.running():
                    response = self._session.request(
                        method,
                        url,
                        params=request.params,
                        json=request.body,
                        auth=credentials,
                        timeout=self._timeout,
                        verify=self._verify,
                        allow_redirects=False,
                        stream=True,
                    )
                    try:
                        content = response.content  # read within the attempt's time, as the attempt's last part
                    except (requests.exceptions.RequestException, OSError) as error:
                        response.close()
                        broken = error
                    broken = clock.over_time(broken)  # an answer the attempt clock cut off, even one it left short
            except (requests.exceptions.RequestException, OSError, ValueError) as error:
                # Each failed attempt went through the policy; one that was not retried may have failed outside it.
                retried_out = any(isinstance(link, MaxRetryError) for link in (error, *error.args))
                attempts = policy.tally[0] if retried_out else policy.tally[0] + 1
                raise self._transport_error(activity, clock.over_time(error), attempts) from None
            if broken is None:
                break
            # The answer broke off or took too long: an attempt like any other, retried within the same budget.
            policy = self._next_attempt(activity, getattr(response.raw, "retries", None) or policy, method, url, broken)
            policy.sleep()
        retries = getattr(response.raw, "retries", None)
        history = retries.history if retries else ()
        reached = bool(retries and may_have_reached_api(history=history))
        return Answer(response.status_code, parsed(content), response.text, reached, len(history) + 1)

    def _next_attempt(
        self, activity: str, policy: DeadlineRetry, method: str, url: str, broken: BaseException
    ) -> DeadlineRetry:
        broken_as = broken_body(broken, url)
        if broken_as is None:
            raise self._transport_error(activity, broken)
        try:
            return policy.increment(method, url, error=broken_as)
        except (MaxRetryError, ReadTimeoutError, ProtocolError):  # no attempt left, or no time
            raise self._transport_error(activity, broken, policy.tally[0]) from None

    def _transport_error(self, activity: str, error: Any, attempts: int = 1) -> TransportError:
        cause = transport_cause(error, self._proxy is not None)
        proxy = self._proxy[2] if self._proxy else None
        detail = scrubbed(transport_detail(error), proxy)
        if cause == PROXY_FAILURE:
            where = messages.proxy_named(self._proxy[1], self._proxy[0]) if self._proxy else messages.SOME_PROXY
            if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)) and proxy:
                # Never urllib3's words here: they may quote the proxy's URL, credentials and all.
                missing_library = isinstance(error, requests.exceptions.InvalidSchema)
                unusable = messages.MISSING_SOCKS if missing_library else messages.PROXY_NOT_A_URL
                detail = messages.proxy_cannot_be_used(where, proxy_url_error(proxy) or unusable)
            else:
                detail = messages.proxy_did_not_reach(where, detail)
        elif self._proxy:
            detail += messages.through_proxy(self._proxy[1], self._proxy[0])
        if cause == TLS_FAILURE:
            detail += self._ca_note()
        return TransportError(activity, cause, detail, attempts)

    def _ca_note(self) -> str:
        """Where the certificate authorities that failed came from."""
        if isinstance(self._verify, str):
            return messages.ca_from_ca_path(self._verify)
        source = ca_bundle_from_environment() if self._verify else None
        return messages.ca_from_environment(*source) if source else ""
