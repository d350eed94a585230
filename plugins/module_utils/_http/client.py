# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP client of the fiskaly Management API (internal to this collection, not a public API).

What a module asks of the API, one method each: log in, read, create and set the status of a key, list keys. Each
request goes through ``_call``: the bearer token (``auth``), the request sent and retried (``sending``), the answer
checked against the contract (``answers``), and any failure raised as a ``FiskalyError`` worded where its meaning is
known (``failures``). The route table of the API version it speaks is ``routes``: given (``api_version``), or, with
``auto``, decided from what the API said, never by a write: 0.12's login answer names the organisation of the token
(``access_token_claims``), the draft's does not; with only an access token, an ``organization_id`` given means 0.12.

It may be used from several threads at once: up to ``max_concurrent_requests`` requests are in flight
(fewer while the API answers 429, see ``concurrency``), and threads whose token expired log in again once, together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

try:
    import requests  # noqa: F401  # pylint: disable=unused-import  # whether the module can run at all

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

import threading

from .. import _messages as messages
from .._errors import FiskalyError, InvalidInput
from .answers import Answer, api_error, json_body, key_object, page, token_object
from .auth import Credentials
from .concurrency import results_in_order
from .failures import ApiError, CreateConflict, may_have_reached_api
from .paging import Read, every_key, new_keys, read_listing, with_leftovers
from .routes import AUTO, DRAFT, V012, ManagementApi, ManagementApi012, ManagementApiDraft, Request
from .sending import Sender


class FiskalyClient:
    """One Session, one token, for the run of one module; ``api`` is the route table of the API version it speaks.

    ``max_concurrent_requests`` is how many requests the listing's pages and a fleet's reads and writes may have in
    flight at once; 1 sends every request after the one before.
    """

    def __init__(  # pylint: disable=too-many-arguments
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
        api_version: str = AUTO,
        organization_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.organization_id = organization_id
        self.claims: dict | None = None  # the login answer's access_token_claims, where it had them
        self.logged_in = False  # whether a login answer came (and with it, what claims says)
        self._api: ManagementApi | None = None
        self._deciding = threading.Lock()
        self.credentials = Credentials(api_key, api_secret, access_token)
        self.sender = Sender(
            self.base_url,
            verify=verify,
            timeout=timeout,
            retries=retries,
            retry_deadline=retry_deadline,
            user_agent=user_agent,
            max_concurrent_requests=max_concurrent_requests,
        )
        self.concurrency = self.sender.concurrency
        self.listing_changed: str | None = None  # see list_api_key_pages

    def close(self) -> None:
        self.sender.close()

    def __enter__(self) -> FiskalyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- authentication ------------------------------------------------------------------

    def authenticate(self) -> dict:
        """Log in with the key pair: a token object."""
        api_key, api_secret = self.credentials.key_pair or (None, None)
        activity = messages.activity_authenticate()
        return self._token(activity, ManagementApi.login(api_key, api_secret))

    def refresh(self, refresh_token: str) -> dict:
        """Log in with a refresh token: a new token object."""
        return self._token(messages.activity_refresh(), ManagementApi.refresh(refresh_token))

    def _token(self, activity: str, request: Request) -> dict:
        token = token_object(ManagementApi, activity, self._call(request, activity))
        claims = token.get(ManagementApi.TOKEN_CLAIMS)
        self.claims = claims if isinstance(claims, dict) else None
        self.logged_in = True
        return token

    def _log_in(self) -> str:
        return str(self.authenticate()[ManagementApi.ACCESS_TOKEN])

    # -- the API version -----------------------------------------------------------------

    @property
    def api(self) -> ManagementApi:
        """The route table of the version this run speaks, decided on first use (which may log in)."""
        with self._deciding:
            if self._api is None:
                self._api = self._decide()
            return self._api

    def _decide(self) -> ManagementApi:
        if self.api_version == DRAFT and self.organization_id is None:
            return ManagementApiDraft()
        if self.credentials.key_pair and (self.api_version == AUTO or self.organization_id is None):
            self.credentials.bearer(self._log_in)  # the login answer says which version, and the organisation
        return self.decided_by(self.claims, logged_in=self.logged_in)

    def decided_by(self, claims: dict | None, *, logged_in: bool = True) -> ManagementApi:
        """The version that ``api_version``, ``organization_id`` and the login answer's ``claims`` make (None: a
        login answer without claims, or no login); fails where they disagree.

        With ``auto``, a login answer decides; without one (an access token alone), ``organization_id`` does.
        """
        claimed = claims.get(ManagementApi.CLAIMED_ORGANIZATION) if claims else None
        claimed = claimed if isinstance(claimed, str) and claimed else None
        version = self.api_version
        if version == AUTO:
            says_012 = claims is not None if logged_in else self.organization_id is not None
            version = V012 if says_012 else DRAFT
        if version == DRAFT:
            if self.organization_id is not None:
                raise InvalidInput(messages.organization_on_draft(self.api_version == AUTO))
            return ManagementApiDraft()
        organization = self.organization_id or claimed
        if organization is None:
            raise InvalidInput(messages.NO_ORGANIZATION)
        return ManagementApi012(organization)

    @property
    def environment(self) -> str | None:
        """The environment that the login answer names (0.12: TEST or LIVE), or None."""
        env = self.claims.get(ManagementApi.CLAIMED_ENVIRONMENT) if self.claims else None
        return env if isinstance(env, str) else None

    # -- one request ---------------------------------------------------------------------

    def _call(self, request: Request, activity: str) -> Answer:
        """The answer of a request whose status says success; any other raises."""
        token = self.credentials.bearer(self._log_in) if request.auth else None
        answer = self.sender.send(request, activity, token)
        if answer.status == ManagementApi.UNAUTHORIZED and request.auth:
            if not self.credentials.key_pair:
                raise self._rejected_token(activity, answer)
            # The token expired mid-run (they live minutes): log in again, once, and repeat.
            self.credentials.forget(token)
            earlier = answer.may_have_reached_api
            answer = self.sender.send(request, activity, self.credentials.bearer(self._log_in))
            answer.may_have_reached_api |= earlier
        if 200 <= answer.status < 300:
            return json_body(activity, answer, request.answer_holds_secret)
        code, api_message = api_error(ManagementApi, answer)
        if answer.status == ManagementApi.EXISTS and request.creates:
            raise CreateConflict(activity, code, api_message, answer.may_have_reached_api)
        if answer.status == ManagementApi.NOT_FOUND and request.lists and self._api and self._api.LISTING_NEVER_404:
            # The draft's listing has no reason to be missing: the server speaks another version.
            api_message = messages.draft_route_not_found(api_message, self.claims is not None)
        # Whatever the last answer, an attempt whose answer was lost or was a server fault may have been carried out.
        reached = answer.may_have_reached_api or may_have_reached_api(status=answer.status)
        raise ApiError(
            activity,
            answer.status,
            code,
            api_message,
            attempts=answer.attempts,
            may_have_reached_api=reached,
        )

    def _rejected_token(self, activity: str, answer: Answer) -> FiskalyError:
        """A 401 to a given access_token that no key pair can replace."""
        code, api_message = api_error(ManagementApi, answer)
        reason = self.credentials.rejection_reason()
        failure = {"status": answer.status, "code": code, "message": api_message}
        return FiskalyError(messages.rejected_token(activity, reason, api_message), failure=failure)

    # -- API keys ------------------------------------------------------------------------

    def get_api_key(self, address: str) -> dict | None:
        """The key that ``address`` names (the draft: its name; 0.12: its ``_id``), or None where it does not exist."""
        activity = messages.activity_read(address)
        try:
            return key_object(activity, self._call(self.api.read_key(address), activity))
        except ApiError as error:
            if error.status == ManagementApi.NOT_FOUND:
                return None
            raise

    def find_api_keys(self, name: str) -> list[dict]:
        """Every key named ``name``: one at most on the draft (a GET), any number on 0.12 (a listing)."""
        if self.api.NAMES_ARE_UNIQUE:
            found = self.get_api_key(name)
            return [] if found is None else [found]
        named = ManagementApi.KEY_NAME
        return [key for keys, _count in self.list_api_key_pages() for key in keys if key.get(named) == name]

    def create_api_key(self, name: str, kind: str | None, status: str, metadata: dict | None) -> dict:
        """Create the key: the key object, which should hold the one-time secret (the caller checks that it does).

        An answer that is no object at all raises ``MalformedAnswer``: the key may exist all the same.
        """
        activity = messages.activity_create(name)
        return key_object(activity, self._call(self.api.create_key(name, kind, status, metadata), activity))

    def update_api_key(self, key: dict, status: str | None, metadata: dict | None = None) -> dict:
        """Set the status and (0.12) the metadata of an existing key: the key object."""
        activity = messages.activity_update(key.get(ManagementApi.KEY_NAME), status, metadata is not None)
        request = self.api.update_key(self.api.address(key), status, metadata)
        return key_object(activity, self._call(request, activity))

    def delete_api_key(self, key: dict) -> None:
        """Delete an existing key (0.12 only, ``CAN_DELETE``)."""
        activity = messages.activity_delete(key.get(ManagementApi.KEY_NAME), self.api.address(key))
        self._call(self.api.delete_key(self.api.address(key)), activity)

    def get_api_keys(self, addresses: list[str]) -> list[dict | None]:
        """Each key, or None where it does not exist, in the order of ``addresses``; read concurrently."""
        items = [(address,) for address in addresses]
        return list(results_in_order(self.get_api_key, items, self.concurrency.max_concurrent_requests))

    def listing_filters(
        self, kind: list[str] | None, status: list[str] | None, order_by: str | None, order: str | None
    ) -> dict:
        """The query of a listing in the version spoken; what it cannot ask for fails, never silently dropped."""
        api = self.api
        if kind and not api.FILTERS_BY_KIND:
            raise InvalidInput(messages.not_in_version("kind", api.VERSION, messages.NO_KIND_FILTER))
        if order_by is not None and order_by not in api.ORDER_FIELDS:
            raise InvalidInput(messages.order_by_not_in_version(order_by, api.VERSION, api.ORDER_FIELDS))
        if status and not api.STATUS_FILTER_REPEATS:
            # One value, or every value: the same keys as no filter at all.
            status = status if len(set(status)) == 1 else None
        filters: dict[str, Any] = {}
        for name, value in (("kind", kind), ("status", status), ("order_by", order_by), ("order", order)):
            if value:
                filters[name] = value if api.STATUS_FILTER_REPEATS or name != "status" else value[0]
        return filters

    def list_api_key_pages(  # pylint: disable=too-many-arguments
        self,
        *,
        kind: list[str] | None = None,
        status: list[str] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[tuple[list, int]]:
        """Yield ``(keys, count)`` page by page, ``limit`` keys in all, each key once (the fleet's look-up: no order).

        The pages are read as ``paging`` reads them. Where the account changed while the pages were read (a page's
        ``count`` differs from the first's, or a page does not begin with the key the page before ended with), a key
        may have moved onto a page read before it moved: the listing is then read again, one page at a time, and the
        keys it adds follow. Should the account change during that second read too, ``listing_changed`` says so (a
        message; None otherwise).

        Fails on a page that breaks the contract, and on a page of keys all returned before in the same read (a server
        that ignores ``offset`` would otherwise give the first page again and again).
        """
        filters = self.listing_filters(kind, status, order_by, order)
        name = self.api.KEY_IDENTITY
        seen: set[str] = set()
        self.listing_changed = None
        first = Read()
        at_once = self.concurrency.max_concurrent_requests
        yield from new_keys(self._read_listing(filters, offset, limit, at_once, first), name, seen, limit)
        if not first.changed:
            return
        again = Read()
        yield from new_keys(self._read_listing(filters, offset, limit, 1, again), name, seen, limit)
        if again.changed:
            self.listing_changed = messages.listing_kept_changing(first.counts[0], again.counts[-1])

    def list_api_keys(  # pylint: disable=too-many-arguments
        self,
        *,
        kind: list[str] | None = None,
        status: list[str] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list, int]:
        """``(keys, count)``: the keys in the order the API gave them, ``limit`` at most, and the last page's count.

        Read as ``list_api_key_pages`` reads them. Where the account changed during the first read, the keys are in
        the order of the second read, and a key only the first read found (one deleted meanwhile, say) follows the
        key it followed there; then the first ``limit`` are kept. This needs no knowledge of how the API sorts (none
        is given without ``order_by``); a leftover goes right after its predecessor even where a key created meanwhile
        sorts between them, a place that only a listing that kept changing (``listing_changed``) can give it.
        """
        filters = self.listing_filters(kind, status, order_by, order)
        name = self.api.KEY_IDENTITY
        self.listing_changed = None
        first = Read()
        at_once = self.concurrency.max_concurrent_requests
        keys, count = every_key(self._read_listing(filters, offset, limit, at_once, first), name)
        if first.changed:
            again = Read()
            second, count = every_key(self._read_listing(filters, offset, limit, 1, again), name)
            if again.changed:
                self.listing_changed = messages.listing_kept_changing(first.counts[0], again.counts[-1])
            keys = with_leftovers(second, keys, name)
        return (keys if limit is None else keys[:limit]), count

    def _read_listing(
        self, filters: dict, offset: int, limit: int | None, at_once: int, read: Read
    ) -> Iterator[tuple[list, int]]:
        page_size, name = self.api.PAGE_SIZE, self.api.KEY_IDENTITY
        return read_listing(self._read_page, name, page_size, filters, offset, limit, at_once, read)

    def _read_page(self, filters: dict[str, Any], at: int, size: int, overlap: int) -> tuple[int, int, int, list, int]:
        request = self.api.list_keys(filters, limit=size, offset=at)
        return (at, size, overlap, *page(self.api, self._call(request, messages.ACTIVITY_LIST), at))
