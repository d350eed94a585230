# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP client of the fiskaly Management API (internal to this collection, not a public API).

It owns the requests Session of a module run, authentication (key pair to token, or a given
token, re-authenticating once when a token it obtained expires), retries, paging, the checks of
every answer against the contract, and the turning of every failure into a ``FiskalyError`` with a
message fit for the user.

It may be used from several threads at once: up to ``max_concurrent_requests`` requests are in flight
(fewer while the API answers 429, see ``_adaptive_concurrency``), and threads whose token expired log in
again once, together.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import closing
from dataclasses import dataclass

try:
    import requests
    from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

from . import _errors as say
from . import _transport_kinds as kinds
from ._adaptive_concurrency import AdaptiveConcurrency
from ._attempt_clock import AttemptClock
from ._connection_watch import WatchedAdapter
from ._environment import ca_bundle_from_environment, proxy_from_environment, proxy_url_error, scrubbed
from ._errors import ApiError, CreateConflict, FiskalyError, MalformedAnswer, TransportError, excerpt
from ._in_order import results_ahead, results_in_order
from ._per_thread_retries import PerThreadRetryAdapter
from ._reached_api import may_have_reached_api
from ._retry import RATE_LIMITED, build_retry
from ._transport_failures import broken_body, transport_detail, transport_kind
from ._wire import API, Request

NOT_JSON = object()


@dataclass
class Answer:
    status: int
    body: object  # NOT_JSON where the body is not JSON
    text: str
    may_have_reached_api: bool  # an attempt before this answer may have been carried out (see _reached_api)
    attempts: int = 1  # how many attempts this answer took, itself included


class BearerAuth:  # pylint: disable=too-few-public-methods
    """requests' ``auth=`` for the API: the token as ``Bearer``, or no Authorization header at all for ``POST /auth``.

    Given any ``auth=``, requests no longer reads ``~/.netrc`` (or ``$NETRC``), whose ``default`` or matching ``machine``
    entry would otherwise replace the token with HTTP Basic credentials, sent to the API. Proxies from the environment
    still apply: ``trust_env`` stays on.
    """

    def __init__(self, token: str | None):
        self._token = token

    def __call__(self, request):
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


class _Read:
    """What one read of a listing saw of changes: each page's count, and whether a page began with another key than
    the one the page before ended with."""

    def __init__(self):
        self.counts: list[int] = []
        self.shifted = False

    @property
    def changed(self) -> bool:
        return self.shifted or len(set(self.counts)) > 1


def _shape(value: object) -> str:
    """What a JSON value is, for a message that must not show it."""
    if value is NOT_JSON:
        return "a body that is not JSON"
    names = {dict: "a JSON object", list: "a JSON list", str: "a JSON string", bool: "a JSON boolean", type(None): "JSON null"}
    return names.get(type(value), "a JSON number")


class _Adapter(PerThreadRetryAdapter, WatchedAdapter):
    """Each thread's own retry policy, and each attempt's connection told to its clock (cut off when over time)."""


class FiskalyClient:  # pylint: disable=too-many-instance-attributes
    """One Session, one token, for the run of one module; ``api`` is the wire table of the API version it speaks.

    ``max_concurrent_requests`` is how many requests the listing's pages and a fleet's reads and writes may have in
    flight at once; 1 sends every request after the one before.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        access_token: str | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        retries: int = 5,
        retry_deadline: float = 60.0,
        user_agent: str = "fiskaly.management",
        max_concurrent_requests: int = 1,
        api=API,
    ):
        self.base_url = base_url.rstrip("/")
        self.api = api
        self._key_pair = (api_key, api_secret) if api_key and api_secret else None
        self._token = access_token
        # Passed with each request: REQUESTS_CA_BUNDLE would override a Session.verify attribute.
        self._verify = verify
        self._timeout = timeout
        self._retries = retries
        self._retry_deadline = retry_deadline
        self.concurrency = AdaptiveConcurrency(max_concurrent_requests)
        self._login = threading.Lock()  # one login at a time: threads whose token expired together share the next one
        self._session = requests.Session()
        # A connection per request in flight, each kept for the next request (requests keeps 10 by default).
        self._adapter = _Adapter(pool_maxsize=max(10, self.concurrency.ceiling))
        self._session.mount("https://", self._adapter)
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        self._proxy = proxy_from_environment(self.base_url + "/")
        self.listing_changed: str | None = None  # see list_api_key_pages

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- authentication ------------------------------------------------------------------

    def authenticate(self) -> dict:
        """Log in with the key pair: a token object."""
        api_key, api_secret = self._key_pair or (None, None)
        action = say.action_authenticate()
        return self._token_object(action, self._call(self.api.login(api_key, api_secret), action))

    def refresh(self, refresh_token: str) -> dict:
        """Log in with a refresh token: a new token object."""
        action = say.action_refresh()
        return self._token_object(action, self._call(self.api.refresh(refresh_token), action))

    def _token_object(self, action: str, answer: Answer) -> dict:
        token, field = answer.body, self.api.ACCESS_TOKEN
        if not isinstance(token, dict) or not isinstance(token.get(field), str) or not token[field]:
            raise MalformedAnswer(action, answer.status, say.NO_ACCESS_TOKEN)
        if not token[field].isascii() or any(character.isspace() or not character.isprintable() for character in token[field]):
            raise MalformedAnswer(action, answer.status, say.UNUSABLE_ACCESS_TOKEN)
        return token

    def _bearer(self) -> str:
        with self._login:
            if self._token is None:
                self._token = self.authenticate()[self.api.ACCESS_TOKEN]
            return self._token

    def _forget(self, token: str | None) -> None:
        """The API rejected ``token``: the next request logs in again, unless another thread already did."""
        with self._login:
            if self._token == token:
                self._token = None

    def _rejected_token(self, action: str, answer: Answer) -> FiskalyError:
        """A 401 to a given access_token that no key pair can replace."""
        expiry = token_expiry(self._token or "")
        reason = say.token_expired(_utc(expiry)) if expiry is not None and expiry <= time.time() else say.TOKEN_REJECTED
        error = self._api_error(action, answer)
        return FiskalyError(say.rejected_token(action, reason, error.api_message), failure=error.result["failure"])

    # -- requests ------------------------------------------------------------------------

    def _send(self, request: Request, action: str, token: str | None) -> Answer:
        with self.concurrency.slot() as slot:
            answer = self._send_in_slot(request, action, token, slot)
        if answer.status != RATE_LIMITED:
            self.concurrency.answered()
        return answer

    def _send_in_slot(self, request: Request, action: str, token: str | None, slot) -> Answer:
        credentials = BearerAuth(token)
        method, url = request.method, self.base_url + request.path
        clock = AttemptClock(self._timeout)
        # A fresh policy per request, so that its time budget starts now (and not while it waited for its slot).
        policy = build_retry(self._retries, self._retry_deadline, clock, slot)
        while True:
            self._adapter.max_retries = policy
            broken = None
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
                retried_out = any(isinstance(cause, MaxRetryError) for cause in (error, *error.args))
                attempts = policy.tally[0] if retried_out else policy.tally[0] + 1
                raise self._transport_error(action, clock.over_time(error), attempts) from None
            if broken is None:
                break
            # The answer broke off or took too long: an attempt like any other, retried within the same budget.
            policy = self._next_attempt(action, getattr(response.raw, "retries", None) or policy, method, url, broken)
            policy.sleep()
        retries = getattr(response.raw, "retries", None)
        try:
            parsed = json.loads(content.decode("utf-8-sig")) if content.strip() else NOT_JSON
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python parses
            parsed = NOT_JSON
        history = retries.history if retries else ()
        return Answer(response.status_code, parsed, response.text, bool(retries and may_have_reached_api(history=history)), len(history) + 1)

    def _next_attempt(self, action: str, policy, method: str, url: str, broken: Exception):
        cause = broken_body(broken, url)
        if cause is None:
            raise self._transport_error(action, broken)
        try:
            return policy.increment(method, url, error=cause)
        except (MaxRetryError, ReadTimeoutError, ProtocolError):  # no attempt left, or no time
            raise self._transport_error(action, broken, policy.tally[0]) from None

    def _transport_error(self, action: str, error: Exception, attempts: int = 1) -> TransportError:
        kind = transport_kind(error, self._proxy is not None)
        proxy = self._proxy[2] if self._proxy else None
        detail = scrubbed(transport_detail(error), proxy)
        if kind == kinds.PROXY_FAILURE:
            where = say.proxy_named(self._proxy[1], self._proxy[0]) if self._proxy else say.SOME_PROXY
            if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)) and proxy:
                # Never urllib3's words here: they may quote the proxy's URL, credentials and all.
                problem = proxy_url_error(proxy) or (say.MISSING_SOCKS if isinstance(error, requests.exceptions.InvalidSchema) else say.PROXY_NOT_A_URL)
                detail = say.proxy_cannot_be_used(where, problem)
            else:
                detail = say.proxy_did_not_reach(where, detail)
        elif self._proxy:
            detail += say.through_proxy(self._proxy[1], self._proxy[0])
        if kind == kinds.TLS_FAILURE:
            detail += self._ca_note()
        error = TransportError(action, kind, detail)
        error.args = (say.with_attempts(str(error), attempts),)
        return error

    def _ca_note(self) -> str:
        """Where the certificate authorities that failed came from."""
        if isinstance(self._verify, str):
            return say.ca_from_ca_path(self._verify)
        source = ca_bundle_from_environment() if self._verify else None
        return say.ca_from_environment(*source) if source else ""

    def _call(self, request: Request, action: str) -> Answer:
        """The answer of a request whose status says success; any other raises."""
        token = self._bearer() if request.auth else None
        answer = self._send(request, action, token)
        if answer.status == self.api.UNAUTHORIZED and request.auth:
            if not self._key_pair:
                raise self._rejected_token(action, answer)
            # The token expired mid-run (they live minutes): log in again, once, and repeat.
            self._forget(token)
            earlier = answer.may_have_reached_api
            answer = self._send(request, action, self._bearer())
            answer.may_have_reached_api |= earlier
        if 200 <= answer.status < 300:
            if answer.body is NOT_JSON:
                shown = say.body_hidden(len(answer.text)) if request.answer_holds_secret else repr(excerpt(answer.text))
                raise MalformedAnswer(action, answer.status, say.body_not_json(shown))
            return answer
        error = self._api_error(action, answer)
        if answer.status == self.api.EXISTS and request.creates:
            raise CreateConflict(action, error.code, error.api_message, answer.may_have_reached_api)
        error.args = (say.with_attempts(str(error), answer.attempts),)
        # Whatever the last answer, an attempt whose answer was lost or was a server fault may have been carried out.
        error.may_have_reached_api = answer.may_have_reached_api or may_have_reached_api(status=answer.status)
        raise error

    def _api_error(self, action: str, answer: Answer) -> ApiError:
        body, message, code = answer.body, self.api.ERROR_MESSAGE, self.api.ERROR_CODE
        if isinstance(body, dict) and isinstance(body.get(message), str):
            return ApiError(action, answer.status, body.get(code) if isinstance(body.get(code), str) else None, body[message])
        shown = excerpt(answer.text) if answer.text.strip() else say.EMPTY_BODY
        return ApiError(action, answer.status, None, say.not_the_api_error(shown))

    @staticmethod
    def _key_object(action: str, answer: Answer) -> dict:
        if not isinstance(answer.body, dict):
            raise MalformedAnswer(action, answer.status, say.not_a_key_object(_shape(answer.body)))
        return answer.body

    # -- API keys ------------------------------------------------------------------------

    def get_api_key(self, name: str) -> dict | None:
        """The key, or None where it does not exist."""
        action = say.action_read(name)
        try:
            return self._key_object(action, self._call(self.api.read_key(name), action))
        except ApiError as error:
            if error.status == self.api.NOT_FOUND:
                return None
            raise

    def create_api_key(self, name: str, kind: str, status: str, metadata: dict | None) -> dict:
        """Create the key: the key object, which should hold the one-time secret (the caller checks that it does).

        An answer that is no object at all raises ``MalformedAnswer``: the key may exist all the same.
        """
        action = say.action_create(name)
        return self._key_object(action, self._call(self.api.create_key(name, kind, status, metadata), action))

    def set_api_key_status(self, name: str, status: str) -> dict:
        action = say.action_set_status(name, status)
        return self._key_object(action, self._call(self.api.set_key_status(name, status), action))

    def get_api_keys(self, names: list[str]) -> list[dict | None]:
        """Each key, or None where it does not exist, in the order of ``names``; read concurrently."""
        return list(results_in_order(self.get_api_key, [(name,) for name in names], self.concurrency.ceiling))

    def list_api_key_pages(self, *, kind=None, status=None, order_by=None, order=None, offset: int = 0, limit=None):
        """Yield ``(keys, count)`` page by page, ``limit`` keys in all, each key once (the fleet's look-up: no order).

        The first page comes alone; the pages after it are read ahead, ``max_concurrent_requests`` at most beyond the
        last page taken, and taken in order, so that no ``count`` decides how much is asked. Each page after the first
        begins with the last key of the page before (one key of overlap). Where the account changed while the pages
        were read (a page's ``count`` differs from the first's, or a page does not begin with the key the page before
        ended with), a key may have moved onto a page read before it moved: the listing is then read again, one page
        at a time, and the keys it adds follow. Should the account change during that second read too,
        ``listing_changed`` says so (a message; None otherwise).

        Fails on a page that breaks the contract, and on a page of keys all returned before in the same read (a server
        that ignores ``offset`` would otherwise give the first page again and again).
        """
        filters = {"kind": kind, "status": status, "order_by": order_by, "order": order}
        seen: set[str] = set()
        self.listing_changed = None
        first = _Read()
        yield from self._new_keys(self._read_listing(filters, offset, limit, self.concurrency.ceiling, first), seen, limit)
        if not first.changed:
            return
        again = _Read()
        yield from self._new_keys(self._read_listing(filters, offset, limit, 1, again), seen, limit)
        if again.changed:
            self.listing_changed = say.listing_kept_changing(first.counts[0], again.counts[-1])

    def list_api_keys(self, *, kind=None, status=None, order_by=None, order=None, offset: int = 0, limit=None) -> tuple[list, int]:
        """``(keys, count)``: the keys in the order the API gave them, ``limit`` at most, and the last page's count.

        Read as ``list_api_key_pages`` reads them. Where the account changed during the first read, the keys are in
        the order of the second read, and a key only the first read found (one deleted meanwhile, say) follows the
        key it followed there; then the first ``limit`` are kept. This needs no knowledge of how the API sorts (none
        is given without ``order_by``); a leftover goes right after its predecessor even where a key created meanwhile
        sorts between them, a place that only a listing that kept changing (``listing_changed``) can give it.
        """
        filters = {"kind": kind, "status": status, "order_by": order_by, "order": order}
        self.listing_changed = None
        first = _Read()
        keys, count = self._every_key(self._read_listing(filters, offset, limit, self.concurrency.ceiling, first))
        if first.changed:
            again = _Read()
            second, count = self._every_key(self._read_listing(filters, offset, limit, 1, again))
            if again.changed:
                self.listing_changed = say.listing_kept_changing(first.counts[0], again.counts[-1])
            keys = self._with_leftovers(second, keys)
        return (keys if limit is None else keys[:limit]), count

    def _every_key(self, pages) -> tuple[list, int]:
        every, last = [], 0
        for keys, count in self._new_keys(pages, set(), None):
            every += keys
            last = count
        return every, last

    def _new_keys(self, pages, seen: set, limit):
        """The keys of each page not returned before, ``limit`` in all, with the page's count."""
        for keys, count in pages:
            new = [key for key in keys if key[self.api.KEY_NAME] not in seen]
            if limit is not None:
                new = new[: max(0, limit - len(seen))]
            seen.update(key[self.api.KEY_NAME] for key in new)
            yield new, count

    def _with_leftovers(self, second: list, first: list) -> list:
        """The keys of ``second``, each key of ``first`` it lacks placed after the key it followed in ``first``."""
        name = self.api.KEY_NAME
        kept = {key[name] for key in second}
        after: dict = {}
        anchor = None
        for key in first:
            if key[name] in kept:
                anchor = key[name]
            else:
                after.setdefault(anchor, []).append(key)
        merged = list(after.get(None, []))
        for key in second:
            merged += [key, *after.get(key[name], [])]
        return merged

    def _read_listing(self, filters: dict, offset: int, limit: int | None, workers: int, read: _Read):
        """``(keys, count)`` of each page from ``offset`` on, in order, until a short page or the last one a count
        announces; what each page tells of a change goes to ``read``. At most ``workers`` pages are read ahead of the
        one taken. Each page after the first asks for one key before its own: the last key of the page before, so
        that a key moving from one page to another between their reads shows as a page beginning with another key."""
        end = None if limit is None else offset + limit
        size = self.api.PAGE_SIZE
        state = {"next": offset, "bound": offset + 1, "done": False}  # the first page alone: its count tells how many follow

        def next_page():
            new = state["next"]  # the first key no page has asked for yet
            if state["done"] or new >= state["bound"] or (end is not None and new >= end):
                return None
            overlap = 1 if new > offset else 0
            ask = size - overlap if end is None else min(size - overlap, end - new)
            state["next"] = new + ask
            return filters, new - overlap, ask + overlap, overlap

        earlier: set[str] = set()
        last = None
        with closing(results_ahead(self._read_page, next_page, workers)) as pages:
            for at, asked, overlap, page, count in pages:
                keys = page[:asked]  # a server that ignores limit
                names = {key[self.api.KEY_NAME] for key in keys[overlap:]}
                if names and names <= earlier:
                    raise MalformedAnswer(say.ACTION_LIST, 200, say.only_earlier_keys(at))
                earlier |= names
                if overlap and [key[self.api.KEY_NAME] for key in keys[:1]] != [last]:
                    read.shifted = True  # the page before's last key moved: so may others, onto pages read before
                else:
                    keys = keys[overlap:]
                last = keys[-1][self.api.KEY_NAME] if keys else last
                read.counts.append(count)
                state["bound"] = count  # pages up to what the latest count announces, read ahead in the window only
                yield keys, count
                # Stop on a short page, whatever count says (the contract asks for both).
                if len(page[:asked]) < asked or at + len(page[:asked]) >= count:
                    state["done"] = True
                    return

    def _read_page(self, filters: dict, at: int, size: int, overlap: int) -> tuple[int, int, int, list, int]:
        request = self.api.list_keys(**filters, limit=size, offset=at)
        return (at, size, overlap, *self._page(self._call(request, say.ACTION_LIST), at))

    def _page(self, answer: Answer, at: int) -> tuple[list, int]:
        """The keys and the count of a list object, checked against the contract."""
        body, where, action = answer.body, say.page_at(at), say.ACTION_LIST
        data, counted, name = self.api.PAGE_KEYS, self.api.PAGE_COUNT, self.api.KEY_NAME
        if not isinstance(body, dict):
            raise MalformedAnswer(action, answer.status, say.page_not_a_list_object(_shape(body), where))
        keys, count = body.get(data), body.get(counted)
        if not isinstance(keys, list):
            raise MalformedAnswer(action, answer.status, say.page_without_data(where, _shape(keys) if data in body else "none"))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            shown = count if isinstance(count, int) and not isinstance(count, bool) else _shape(count) if counted in body else "none"
            raise MalformedAnswer(action, answer.status, say.page_without_count(where, shown))
        for index, key in enumerate(keys):
            if not isinstance(key, dict) or not isinstance(key.get(name), str):
                what = _shape(key) if not isinstance(key, dict) else f"an object without a '{name}' string"
                raise MalformedAnswer(action, answer.status, say.page_item_not_a_key(where, index, what))
        return keys, count
