# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the fiskaly Management API (internal to this collection, not a public API).

It owns the requests Session of a module run, authentication (key pair to token, or a given
token, re-authenticating once when a token it obtained expires), retries, paging, the checks of
every answer against the contract, and the turning of every failure into a ``FiskalyError`` with a
message fit for the user.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import get_environ_proxies, select_proxy
    from urllib3.exceptions import InvalidHeader as AnswerHeaderError, MaxRetryError, ProtocolError, ReadTimeoutError

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

from .errors import ApiError, FiskalyError, MalformedAnswer, TransportError, excerpt
from .retry import MAYBE_PROCESSED_STATUSES, AttemptClock, AttemptTimeout, build_retry, earlier_attempt_may_have_landed

PAGE_SIZE = 100  # the API's largest page
LISTING = "Listing API keys"
# The environment variables that requests reads, in its order, for the certificate authorities when verify is True.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
NOT_JSON = object()


class CreateConflict(ApiError):
    """409 to a PUT: the name exists. ``maybe_ours`` says whether an earlier attempt of this very
    request may have created it (its answer lost on the way)."""

    def __init__(self, action: str, code: str | None, api_message: str, maybe_ours: bool):
        super().__init__(action, 409, code, api_message)
        self.maybe_ours = maybe_ours


@dataclass
class Answer:
    status: int
    body: object  # NOT_JSON where the body is not JSON
    text: str
    earlier_attempt_may_have_landed: bool


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


def ca_bundle_from_environment() -> tuple[str, str] | None:
    """The variable and the path of the certificate authorities that requests takes from the environment, if any."""
    for name in CA_BUNDLE_VARIABLES:
        if os.environ.get(name):
            return name, os.environ[name]
    return None


def without_credentials(url: str) -> str:
    """A proxy URL as a message may show it: scheme, host and port, never a user or a password."""
    if "://" not in url:
        url = "http://" + url  # as requests reads a proxy without a scheme
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be parsed)"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def proxy_from_environment(url: str) -> tuple[str, str, str] | None:
    """The proxy that requests takes for ``url``: (where it comes from, its URL without credentials, its URL), or None."""
    try:
        proxies = get_environ_proxies(url)
        proxy = select_proxy(url, proxies)
    except ValueError:  # a proxy variable that is no URL; requests fails on it the same way, reported then
        return None
    if not proxy:
        return None
    parts = urlsplit(url)
    keys = [key for key in (f"{parts.scheme}://{parts.hostname}", parts.scheme, f"all://{parts.hostname}", "all") if proxies.get(key) == proxy]
    # urllib reads NAME_proxy in any case, the lower-case name winning; the key is what precedes "_proxy".
    names = sorted((name for name, value in os.environ.items() if keys and name.lower() == f"{keys[0]}_proxy" and value == proxy),
                   key=lambda name: name != name.lower())
    return (names[0] if names else "the system's proxy settings"), without_credentials(proxy), proxy


def proxy_url_error(proxy: str) -> str | None:
    """Why requests cannot use this proxy URL, or None."""
    try:
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        parts.port  # pylint: disable=pointless-statement  # raises on a port that is no number or out of range
    except ValueError:
        return "it is not a valid URL"
    if not parts.hostname:
        return "it names no host"
    if parts.scheme.lower() not in PROXY_SCHEMES:
        return f"its scheme is {parts.scheme!r}, not one of {', '.join(PROXY_SCHEMES)}"
    return None


def _scrubbed(text: str, proxy: str | None) -> str:
    """``text`` without a proxy's user information, whatever quoted it."""
    text = re.sub(r"(?<=//)[^/@\s'\"]*@", "", text)
    if proxy:
        try:
            parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            secrets = [parts.password, parts.username]
        except ValueError:
            secrets = []
        # A word of a few letters would be cut out of every other word too: those the URL pattern above must catch.
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
    return text


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


def _transport_kind(error: Exception, proxy: bool = False) -> str:
    """Name a failure that got no usable HTTP answer the way a user searches for it; ``proxy``: whether one applies."""
    chain = list(_chain(error))
    if isinstance(error, (requests.exceptions.ProxyError, requests.exceptions.InvalidProxyURL)):
        return "proxy failure"
    if proxy and isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return "proxy failure"  # base_url was checked before any request: what cannot be parsed or spoken is the proxy's
    if any(isinstance(cause, AnswerHeaderError) for cause in chain) or isinstance(error, requests.exceptions.ContentDecodingError):
        return "malformed answer"  # a header or the encoding of the answer, not of the request
    if isinstance(error, requests.exceptions.SSLError) or "CA certificate bundle" in str(error):
        return "TLS failure"
    if isinstance(error, requests.exceptions.InvalidHeader):
        return "invalid request header"
    if isinstance(error, requests.exceptions.InvalidURL):
        return "invalid URL"
    text = repr(error)
    # A read timeout that used up the retries comes as a ConnectionError wrapping urllib3's ReadTimeoutError.
    if isinstance(error, requests.exceptions.Timeout) or "TimeoutError(" in text or any(isinstance(cause, AttemptTimeout) for cause in chain):
        return "timeout"
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text or "nodename nor servname" in text:
        return "DNS failure"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "ProtocolError" in text:
        return "connection closed by the server"
    return "connection error"


def _transport_detail(error: Exception) -> str:
    if isinstance(error, requests.exceptions.InvalidHeader) and _transport_kind(error) == "invalid request header":
        return "a header value has a line break or another character HTTP does not allow"  # never the value: it may be a token
    over_time = next((cause for cause in _chain(error) if isinstance(cause, AttemptTimeout)), None)
    if over_time is not None:
        return str(over_time)  # rather than urllib3's "Read timed out. (read timeout=2)", which a trickle never reaches
    reason = error.args[0] if error.args else error
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    # ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed ...')): the cause comes last.
    while isinstance(reason, BaseException) and len(reason.args) > 1 and isinstance(reason.args[-1], BaseException):
        reason = reason.args[-1]
    return str(reason) or type(reason).__name__


def _broken_body(error: Exception, url: str):
    """The urllib3 error that an answer whose body broke off counts as, for a retry: a read timeout or a closed
    connection; None for any other failure."""
    for cause in _chain(error):
        if isinstance(cause, (ReadTimeoutError, ProtocolError)):
            return cause
        if isinstance(cause, AttemptTimeout):
            return ReadTimeoutError(None, url, str(cause))
    return None


def _utc(seconds: int) -> str:
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):  # a claim no calendar holds
        return f"{seconds} seconds after 1970"


def _shape(value: object) -> str:
    """What a JSON value is, for a message that must not show it."""
    if value is NOT_JSON:
        return "a body that is not JSON"
    names = {dict: "a JSON object", list: "a JSON list", str: "a JSON string", bool: "a JSON boolean", type(None): "JSON null"}
    return names.get(type(value), "a JSON number")


class FiskalyClient:  # pylint: disable=too-many-instance-attributes
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
        self._proxy = proxy_from_environment(self.base_url + "/")

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
        action = "Retrieving a token with api_key and api_secret"
        return self._token_object(action, self._call("POST", "/auth", action, body={"api_key": api_key, "api_secret": api_secret}, auth=False))

    def refresh(self, refresh_token: str) -> dict:
        """POST /auth with a refresh token: a new token object."""
        action = "Retrieving a token with refresh_token"
        return self._token_object(action, self._call("POST", "/auth", action, body={"refresh_token": refresh_token}, auth=False))

    @staticmethod
    def _token_object(action: str, answer: Answer) -> dict:
        token = answer.body
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str) or not token["access_token"]:
            raise MalformedAnswer(action, answer.status, "without an access_token string in its body (POST /auth)")
        if not token["access_token"].isascii() or any(character.isspace() or not character.isprintable() for character in token["access_token"]):
            # Never shown: it is a credential, and the API's own.
            raise MalformedAnswer(action, answer.status, "with an access_token that is no printable ASCII without white space: "
                                                         "it cannot go in the Authorization header of the next requests")
        return token

    def _bearer(self) -> str:
        if self._token is None:
            self._token = self.authenticate()["access_token"]
        return self._token

    def _rejected_token(self, action: str, answer: Answer) -> FiskalyError:
        """A 401 to a given access_token that no key pair can replace."""
        expiry = token_expiry(self._token or "")
        if expiry is not None and expiry <= time.time():
            reason = f"the access_token given has expired (at {_utc(expiry)})"
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
        credentials = BearerAuth(self._bearer() if auth else None)
        url = self.base_url + path
        clock = AttemptClock(self._timeout)
        # A fresh policy per request, so that its time budget starts now.
        policy = build_retry(self._retries, self._retry_deadline, clock)
        while True:
            self._adapter.max_retries = policy
            broken = None
            try:
                with clock.running():
                    response = self._session.request(method, url, params=params, json=body, auth=credentials, timeout=self._timeout,
                                                     verify=self._verify, allow_redirects=False, stream=True)
                    try:
                        content = response.content  # read within the attempt's time, as the attempt's last part
                    except (requests.exceptions.RequestException, OSError) as error:
                        response.close()
                        broken = error
            except (requests.exceptions.RequestException, OSError, ValueError) as error:
                raise self._transport_error(action, error) from None
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
        return Answer(response.status_code, parsed, response.text, bool(retries and earlier_attempt_may_have_landed(retries.history)))

    def _next_attempt(self, action: str, policy, method: str, url: str, broken: Exception):
        cause = _broken_body(broken, url)
        if cause is None:
            raise self._transport_error(action, broken)
        try:
            return policy.increment(method, url, error=cause)
        except (MaxRetryError, ReadTimeoutError, ProtocolError):  # no attempt left, or no time
            raise self._transport_error(action, broken) from None

    def _transport_error(self, action: str, error: Exception) -> TransportError:
        kind = _transport_kind(error, self._proxy is not None)
        proxy = self._proxy[2] if self._proxy else None
        detail = _scrubbed(_transport_detail(error), proxy)
        if kind == "proxy failure":
            where = f"the proxy {self._proxy[1]} from {self._proxy[0]}" if self._proxy else "the proxy"
            if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)) and proxy:
                # Never urllib3's words here: they may quote the proxy's URL, credentials and all.
                detail = proxy_url_error(proxy) or ("its scheme needs a library that is missing (PySocks for socks://)"
                                                    if isinstance(error, requests.exceptions.InvalidSchema) else "it is not a valid URL")
                detail = f"requests cannot use {where}: {detail}"
            else:
                detail = f"the API could not be reached through {where}: {detail}"
        elif self._proxy:
            detail += f" (through the proxy {self._proxy[1]} from {self._proxy[0]})"
        if kind == "TLS failure":
            detail += self._ca_note()
        return TransportError(action, kind, detail)

    def _ca_note(self) -> str:
        """Where the certificate authorities that failed came from."""
        if isinstance(self._verify, str):
            return f" (certificate authorities from ca_path {self._verify})"
        source = ca_bundle_from_environment() if self._verify else None
        if source:
            return f" (certificate authorities from the environment variable {source[0]}={source[1]}; set ca_path to trust others)"
        return ""

    def _call(self, method: str, path: str, action: str, *, params=None, body=None, auth: bool = True) -> Answer:
        """The answer of a request whose status says success; any other raises."""
        answer = self._send(method, path, action, params, body, auth)
        if answer.status == 401 and auth:
            if not self._key_pair:
                raise self._rejected_token(action, answer)
            # The token expired mid-run (they live minutes): log in again, once, and repeat.
            self._token = None
            landed = answer.earlier_attempt_may_have_landed
            answer = self._send(method, path, action, params, body, auth)
            answer.earlier_attempt_may_have_landed |= landed
        if 200 <= answer.status < 300:
            if answer.body is NOT_JSON:
                # The body of a create or a login may hold a secret or a token: never quoted back.
                shown = f"({len(answer.text)} characters, not shown: it may hold a secret)" if method in ("PUT", "POST") else repr(excerpt(answer.text))
                raise MalformedAnswer(action, answer.status, f"with a body that is not JSON: {shown}")
            return answer
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
            code = body.get("code") if isinstance(body.get("code"), str) else None
            return ApiError(action, answer.status, code, body["message"])
        shown = excerpt(answer.text) if answer.text.strip() else "(empty body)"
        return ApiError(action, answer.status, None, f"the answer is not the API's JSON error: {shown!r}")

    @staticmethod
    def _key_object(action: str, answer: Answer) -> dict:
        if not isinstance(answer.body, dict):
            raise MalformedAnswer(action, answer.status, f"with {_shape(answer.body)} where the contract has an API key object")
        return answer.body

    # -- API keys ------------------------------------------------------------------------

    def get_api_key(self, name: str) -> dict | None:
        """The key, or None where it does not exist."""
        action = f"Reading API key '{name}'"
        try:
            return self._key_object(action, self._call("GET", f"/api_keys/{name}", action))
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def create_api_key(self, name: str, kind: str, status: str, metadata: dict | None) -> dict:
        """PUT the key: the key object, which should hold the one-time ``secret`` (the caller checks that it does).

        An answer that is no object at all raises ``MalformedAnswer``: the key may exist all the same.
        """
        body = {"kind": kind, "status": status}
        if metadata is not None:
            body["metadata"] = metadata
        action = f"Creating API key '{name}'"
        return self._key_object(action, self._call("PUT", f"/api_keys/{name}", action, body=body))

    def set_api_key_status(self, name: str, status: str) -> dict:
        action = f"Setting the status of API key '{name}' to {status}"
        return self._key_object(action, self._call("PATCH", f"/api_keys/{name}", action, body={"status": status}))

    def list_api_key_pages(self, *, kind=None, status=None, order_by=None, order=None, offset: int = 0, limit=None):
        """Yield ``(keys, count)`` page by page, 100 keys a page at most, ``limit`` keys in all, each key once.

        Fails on a page that breaks the contract, and on a page of keys all returned before (a server that ignores
        ``offset`` would otherwise give the first page again and again).
        """
        filters = {name: value for name, value in (("kind", kind), ("status", status), ("order_by", order_by), ("order", order)) if value}
        fetched = 0
        seen: set[str] = set()
        while limit is None or fetched < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - fetched)
            at = offset + fetched
            keys, count = self._page(self._call("GET", "/api_keys", LISTING, params={**filters, "limit": size, "offset": at}), at)
            keys = keys[:size]  # a server that ignores limit
            new = []
            for key in keys:
                if key["name"] not in seen:  # a key that moved across pages while they were read
                    seen.add(key["name"])
                    new.append(key)
            if keys and not new:
                raise MalformedAnswer(LISTING, 200, f"with a page at offset {at} that holds only keys of earlier pages: the API seems to "
                                                    "ignore offset, so the listing cannot be completed")
            yield new, count
            fetched += len(keys)
            # Stop on a short page, whatever count says (the contract asks for both).
            if len(keys) < size or offset + fetched >= count:
                return

    @staticmethod
    def _page(answer: Answer, at: int) -> tuple[list, int]:
        """The keys and the count of a list object, checked against the contract."""
        body, where = answer.body, f"for the page at offset {at}"
        if not isinstance(body, dict):
            raise MalformedAnswer(LISTING, answer.status, f"with {_shape(body)} {where}, where the contract has a list object")
        keys, count = body.get("data"), body.get("count")
        if not isinstance(keys, list):
            raise MalformedAnswer(LISTING, answer.status, f"{where} without a 'data' list (it has {_shape(keys) if 'data' in body else 'none'})")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            shown = count if isinstance(count, int) and not isinstance(count, bool) else _shape(count) if "count" in body else "none"
            raise MalformedAnswer(LISTING, answer.status, f"{where} without a 'count' of 0 or more (it has {shown})")
        for index, key in enumerate(keys):
            if not isinstance(key, dict) or not isinstance(key.get("name"), str):
                what = _shape(key) if not isinstance(key, dict) else "an object without a 'name' string"
                raise MalformedAnswer(LISTING, answer.status, f"{where}: item {index} of 'data' is {what}, where the contract has an API key object")
        return keys, count
