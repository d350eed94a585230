# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the fiskaly Management API (internal to this collection, not a public API).

It owns the requests Session of a module run, authentication (key pair to token, or a given
token, re-authenticating once when a token it obtained expires), retries, paging, and the
turning of every failure into a ``FiskalyError`` with a message fit for the user.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

try:
    import requests
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

from .errors import ApiError, FiskalyError, TransportError, excerpt
from .retry import MAYBE_PROCESSED_STATUSES, build_retry, earlier_attempt_may_have_landed

PAGE_SIZE = 100  # the API's largest page


class CreateConflict(ApiError):
    """409 to a PUT: the name exists. ``maybe_ours`` says whether an earlier attempt of this very
    request may have created it (its answer lost on the way)."""

    def __init__(self, action: str, code: str | None, api_message: str, maybe_ours: bool):
        super().__init__(action, 409, code, api_message)
        self.maybe_ours = maybe_ours


@dataclass
class Answer:
    status: int
    body: object
    text: str
    earlier_attempt_may_have_landed: bool


def token_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT, read without verifying it, or None."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _transport_kind(error: Exception) -> str:
    """Name a failure that got no HTTP answer the way a user searches for it."""
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failure"
    if isinstance(error, requests.exceptions.InvalidHeader):
        return "invalid request header"
    text = repr(error)
    # A read timeout that used up the retries comes as a ConnectionError wrapping urllib3's ReadTimeoutError.
    if isinstance(error, requests.exceptions.Timeout) or "TimeoutError(" in text:
        return "timeout"
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text or "nodename nor servname" in text:
        return "DNS failure"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "ProtocolError" in text:
        return "connection closed by the server"
    return "connection error"


def _transport_detail(error: Exception) -> str:
    if isinstance(error, requests.exceptions.InvalidHeader):
        return "a header value has a line break or another character HTTP does not allow"  # never the value: it may be a token
    reason = error.args[0] if error.args else error
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    # ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed ...')): the cause comes last.
    while isinstance(reason, BaseException) and len(reason.args) > 1 and isinstance(reason.args[-1], BaseException):
        reason = reason.args[-1]
    return str(reason) or type(reason).__name__


class FiskalyClient:
    """One Session, one token, for the run of one module."""

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
    ):
        self.base_url = base_url.rstrip("/")
        self._key_pair = (api_key, api_secret) if api_key and api_secret else None
        self._token = access_token
        # Passed with each request: REQUESTS_CA_BUNDLE would override a Session.verify attribute.
        self._verify = verify
        self._timeout = timeout
        self._retries = retries
        self._retry_deadline = retry_deadline
        self._session = requests.Session()
        self._adapter = HTTPAdapter()
        self._session.mount("https://", self._adapter)
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- authentication ------------------------------------------------------------------

    def authenticate(self) -> dict:
        """POST /auth with the key pair: a token object."""
        api_key, api_secret = self._key_pair or (None, None)
        return self._token_object(self._call("POST", "/auth", "Retrieving a token with api_key and api_secret",
                                             body={"api_key": api_key, "api_secret": api_secret}, auth=False))

    def refresh(self, refresh_token: str) -> dict:
        """POST /auth with a refresh token: a new token object."""
        return self._token_object(self._call("POST", "/auth", "Retrieving a token with refresh_token",
                                             body={"refresh_token": refresh_token}, auth=False))

    def _token_object(self, token: object) -> dict:
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise FiskalyError("POST /auth answered 200 without an access_token in its body")
        return token

    def _bearer(self) -> str:
        if self._token is None:
            self._token = self.authenticate()["access_token"]
        return self._token

    def _rejected_token(self, action: str, answer: Answer) -> FiskalyError:
        """A 401 to a given access_token that no key pair can replace."""
        expiry = token_expiry(self._token or "")
        if expiry is not None and expiry <= time.time():
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
            reason = f"the access_token given has expired (at {when})"
        else:
            reason = "the access_token given was rejected"
        error = self._api_error(action, answer)
        return FiskalyError(
            f"{action} failed: {reason}, and there is no api_key and api_secret to get a new one. "
            f"Pass a fresh token (fiskaly.management.fiskaly_token) or the key pair. API said: HTTP 401: {error.api_message}",
            failure=error.result["failure"],
        )

    # -- requests ------------------------------------------------------------------------

    def _send(self, method: str, path: str, action: str, params=None, body=None, auth: bool = True) -> Answer:
        headers = {"Authorization": f"Bearer {self._bearer()}"} if auth else {}
        # A fresh policy per request, so that its time budget starts now.
        self._adapter.max_retries = build_retry(self._retries, self._retry_deadline)
        try:
            response = self._session.request(method, self.base_url + path, params=params, json=body, headers=headers,
                                             timeout=self._timeout, verify=self._verify, allow_redirects=False)
        except requests.exceptions.RequestException as error:
            raise TransportError(action, _transport_kind(error), _transport_detail(error)) from None
        retries = getattr(response.raw, "retries", None)
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        return Answer(response.status_code, parsed, response.text, bool(retries and earlier_attempt_may_have_landed(retries.history)))

    def _call(self, method: str, path: str, action: str, *, params=None, body=None, auth: bool = True) -> object:
        answer = self._send(method, path, action, params, body, auth)
        if answer.status == 401 and auth:
            if not self._key_pair:
                raise self._rejected_token(action, answer)
            # The token expired mid-run (they live minutes): log in again, once, and repeat.
            self._token = None
            landed = answer.earlier_attempt_may_have_landed
            answer = self._send(method, path, action, params, body, auth)
            answer.earlier_attempt_may_have_landed |= landed
        if answer.status == 200:
            if answer.body is None:
                raise FiskalyError(f"{action} failed: HTTP {answer.status} with a body that is not JSON: {excerpt(answer.text)!r}")
            return answer.body
        if answer.status == 409 and method == "PUT":
            error = self._api_error(action, answer)
            raise CreateConflict(action, error.code, error.api_message, answer.earlier_attempt_may_have_landed)
        error = self._api_error(action, answer)
        # Whatever the last answer, an attempt whose answer was lost or was a server fault may have been carried out.
        error.may_have_reached_api = answer.earlier_attempt_may_have_landed or answer.status in MAYBE_PROCESSED_STATUSES
        raise error

    @staticmethod
    def _api_error(action: str, answer: Answer) -> ApiError:
        body = answer.body
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return ApiError(action, answer.status, body.get("code"), body["message"])
        shown = excerpt(answer.text) if answer.text.strip() else "(empty body)"
        return ApiError(action, answer.status, None, f"the answer is not the API's JSON error: {shown!r}")

    # -- API keys ------------------------------------------------------------------------

    def get_api_key(self, name: str) -> dict | None:
        """The key, or None where it does not exist."""
        try:
            return self._call("GET", f"/api_keys/{name}", f"Reading API key '{name}'")
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def create_api_key(self, name: str, kind: str, status: str, metadata: dict | None) -> dict:
        """PUT the key: the key object, with its one-time ``secret``."""
        body = {"kind": kind, "status": status}
        if metadata is not None:
            body["metadata"] = metadata
        return self._call("PUT", f"/api_keys/{name}", f"Creating API key '{name}'", body=body)

    def set_api_key_status(self, name: str, status: str) -> dict:
        return self._call("PATCH", f"/api_keys/{name}", f"Setting the status of API key '{name}' to {status}",
                          body={"status": status})

    def list_api_key_pages(self, *, kind=None, status=None, order_by=None, order=None, offset: int = 0, limit=None):
        """Yield ``(keys, count)`` page by page, 100 keys a page at most, ``limit`` keys in all."""
        filters = {name: value for name, value in (("kind", kind), ("status", status), ("order_by", order_by), ("order", order)) if value}
        fetched = 0
        while limit is None or fetched < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - fetched)
            body = self._call("GET", "/api_keys", "Listing API keys", params={**filters, "limit": size, "offset": offset + fetched})
            keys, count = body.get("data"), body.get("count")
            if not isinstance(keys, list) or not isinstance(count, int):
                raise FiskalyError("Listing API keys failed: the answer has no 'data' list and 'count'")
            yield keys, count
            fetched += len(keys)
            # Stop on a short page, whatever count says (the contract asks for both).
            if len(keys) < size or offset + fetched >= count:
                return
