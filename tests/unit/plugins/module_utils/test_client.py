# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the HTTP client, with the Session's transport replaced by scripted answers."""

from __future__ import annotations

import base64
import json
import time
from http.client import RemoteDisconnected
from types import SimpleNamespace

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import RequestHistory

from ansible_collections.fiskaly.management.plugins.module_utils._errors import FiskalyError
from ansible_collections.fiskaly.management.plugins.module_utils._http import sending as sending_module
from ansible_collections.fiskaly.management.plugins.module_utils._http.auth import token_expiry
from ansible_collections.fiskaly.management.plugins.module_utils._http.client import FiskalyClient
from ansible_collections.fiskaly.management.plugins.module_utils._http.failures import (
    ApiError,
    CreateConflict,
    MalformedAnswer,
    TransportError,
)

BASE = "https://api.test/api/v0"


def answer(status: int, body=None, text: str | None = None, history: tuple = ()) -> requests.Response:
    """A response as requests returns it; ``history`` is urllib3's record of the attempts before it."""
    response = requests.Response()
    response.status_code = status
    response._content = (json.dumps(body) if text is None else text).encode()  # pylint: disable=protected-access
    response.raw = SimpleNamespace(retries=SimpleNamespace(history=history))
    return response


def attempt(status: int | None = None, error: Exception | None = None) -> RequestHistory:
    return RequestHistory("PUT", "/api_keys/pos-1", error, status, None)


READ_TIMEOUT = ReadTimeoutError(None, "/api_keys/pos-1", "Read timed out.")  # type: ignore[arg-type]
DROPPED = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response"))
REFUSED = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]


def jwt(exp: float) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'exp': int(exp)})}.signature"


def sent_authorization(call) -> str | None:
    """The Authorization header that a request of this call carries, once its auth= has been applied."""
    request = requests.Request("GET", BASE, headers={"Authorization": "Basic from-netrc"}).prepare()
    return call.auth(request).headers.get("Authorization")


class Transport:
    """Stands in for Session.request: records each call, answers from a script."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, method, url, **kwargs):
        self.calls.append(SimpleNamespace(method=method, url=url, **kwargs))
        result = self.answers.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    def paths(self):
        return [f"{call.method} {call.url.removeprefix(BASE)}" for call in self.calls]


def new_client(**kwargs) -> FiskalyClient:
    """A client of BASE with a test key pair unless kwargs name other credentials."""
    return FiskalyClient(BASE, **{"api_key": "key", "api_secret": "s3cret", **kwargs})


def make_client(transport: Transport, **kwargs) -> FiskalyClient:
    client = new_client(**kwargs)
    client.sender._session.request = transport  # type: ignore[assignment]  # pylint: disable=protected-access
    return client


TOKEN = {"access_token": "tok-1", "access_token_expires_in": 300, "refresh_token": "ref-1"}
KEY = {"name": "pos-1", "kind": "test", "status": "enabled", "metadata": {}}


def test_logs_in_once_and_sends_the_token_as_bearer():
    transport = Transport(answer(200, TOKEN), answer(200, KEY), answer(200, KEY))
    client = make_client(transport)
    assert client.get_api_key("pos-1") == KEY
    assert client.get_api_key("pos-1") == KEY
    assert transport.paths() == ["POST /auth", "GET /api_keys/pos-1", "GET /api_keys/pos-1"]
    assert transport.calls[0].json == {"api_key": "key", "api_secret": "s3cret"}
    assert sent_authorization(transport.calls[0]) is None
    assert sent_authorization(transport.calls[1]) == "Bearer tok-1"


def test_a_given_token_is_used_without_login():
    transport = Transport(answer(200, KEY))
    client = make_client(transport, api_key=None, api_secret=None, access_token="given")
    client.get_api_key("pos-1")
    assert transport.paths() == ["GET /api_keys/pos-1"]
    assert sent_authorization(transport.calls[0]) == "Bearer given"


def test_verify_and_timeout_go_with_every_request():
    transport = Transport(answer(200, TOKEN), answer(200, KEY))
    make_client(transport, verify="/ca.pem", timeout=7.5).get_api_key("pos-1")
    assert all(call.verify == "/ca.pem" and call.timeout == 7.5 for call in transport.calls)


def test_an_expired_token_from_the_key_pair_is_renewed_once():
    transport = Transport(
        answer(200, TOKEN),
        answer(401, {"message": "expired"}),
        answer(200, {**TOKEN, "access_token": "tok-2"}),
        answer(200, KEY),
    )
    assert make_client(transport).get_api_key("pos-1") == KEY
    assert transport.paths() == ["POST /auth", "GET /api_keys/pos-1", "POST /auth", "GET /api_keys/pos-1"]
    assert sent_authorization(transport.calls[3]) == "Bearer tok-2"


def test_a_second_401_after_login_again_fails():
    transport = Transport(
        answer(200, TOKEN),
        answer(401, {"code": "E_X", "message": "no"}),
        answer(200, TOKEN),
        answer(401, {"code": "E_X", "message": "still no"}),
    )
    with pytest.raises(ApiError, match="HTTP 401 E_X: still no"):
        make_client(transport).get_api_key("pos-1")


def test_an_expired_given_token_without_key_pair_says_so():
    transport = Transport(answer(401, {"status_code": 401, "code": "E_TOKEN_EXPIRED", "message": "token expired"}))
    client = make_client(transport, api_key=None, api_secret=None, access_token=jwt(time.time() - 60))
    with pytest.raises(FiskalyError, match=r"access_token given has expired .*no api_key and api_secret") as raised:
        client.get_api_key("pos-1")
    assert raised.value.result["failure"]["status"] == 401
    assert transport.paths() == ["GET /api_keys/pos-1"]


def test_a_rejected_given_token_that_is_not_expired_is_called_rejected():
    transport = Transport(answer(401, {"message": "revoked"}))
    client = make_client(transport, api_key=None, api_secret=None, access_token="opaque")
    with pytest.raises(FiskalyError, match="access_token given was rejected"):
        client.get_api_key("pos-1")


def test_an_expired_given_token_falls_back_to_the_key_pair():
    transport = Transport(answer(401, {"message": "expired"}), answer(200, TOKEN), answer(200, KEY))
    assert make_client(transport, access_token="old").get_api_key("pos-1") == KEY
    assert transport.paths() == ["GET /api_keys/pos-1", "POST /auth", "GET /api_keys/pos-1"]


def test_api_errors_carry_status_code_and_message():
    body = {"status_code": 400, "error": "Bad Request", "code": "E_VALIDATION", "message": "metadata too big"}
    transport = Transport(answer(200, TOKEN), answer(400, body))
    with pytest.raises(ApiError) as raised:
        make_client(transport).create_api_key("pos-1", "test", "enabled", {"a": "b"})
    assert str(raised.value) == "Creating API key 'pos-1' failed: HTTP 400 E_VALIDATION: metadata too big"
    assert raised.value.result == {"failure": {"status": 400, "code": "E_VALIDATION", "message": "metadata too big"}}
    assert transport.calls[1].json == {"kind": "test", "status": "enabled", "metadata": {"a": "b"}}


def test_a_non_json_error_is_reported_with_status_and_excerpt():
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>" + "x" * 500 + "</body></html>"
    transport = Transport(answer(200, TOKEN), answer(502, text=page))
    with pytest.raises(ApiError) as raised:
        make_client(transport).get_api_key("pos-1")
    message = str(raised.value)
    assert message.startswith(
        "Reading API key 'pos-1' failed: HTTP 502: the answer is not the API's JSON error: '502 Bad Gateway Bad Gateway x"
    )
    assert "<html>" not in message and len(message) < 250


def test_a_non_json_success_is_an_error_not_a_traceback():
    transport = Transport(answer(200, TOKEN), answer(200, text="<html>maintenance</html>"))
    with pytest.raises(FiskalyError, match="HTTP 200 with a body that is not JSON: 'maintenance'"):
        make_client(transport).get_api_key("pos-1")


def test_a_missing_key_reads_as_none():
    transport = Transport(answer(200, TOKEN), answer(404, {"code": "E_API_KEY_NOT_FOUND", "message": "nope"}))
    assert make_client(transport).get_api_key("pos-1") is None


CONFLICT = {"code": "E_API_KEY_EXISTS", "message": "exists"}


@pytest.mark.parametrize(
    ("history", "may_have_reached_api"),
    [
        ((), False),
        ((attempt(error=READ_TIMEOUT),), True),
        ((attempt(error=DROPPED),), True),
        ((attempt(status=500),), True),
        ((attempt(status=502),), True),
        ((attempt(status=504),), True),
        # Turned away or never sent: the server did not create the key then.
        ((attempt(status=429),), False),
        ((attempt(status=503),), False),
        ((attempt(error=REFUSED),), False),
        ((attempt(status=429), attempt(error=READ_TIMEOUT)), True),
    ],
)
def test_a_409_to_a_put_says_whether_an_earlier_attempt_may_have_created_the_key(history, may_have_reached_api):
    transport = Transport(answer(200, TOKEN), answer(409, CONFLICT, history=history))
    with pytest.raises(CreateConflict) as raised:
        make_client(transport).create_api_key("pos-1", "test", "enabled", None)
    assert raised.value.may_have_reached_api is may_have_reached_api
    assert transport.calls[1].json == {"kind": "test", "status": "enabled"}


def test_a_lost_create_answer_is_remembered_across_a_login_again():
    # PUT created the key, its answer was lost; the repeat met an expired token; after the login the PUT got 409.
    transport = Transport(
        answer(200, TOKEN),
        answer(401, {"message": "expired"}, history=(attempt(error=DROPPED),)),
        answer(200, TOKEN),
        answer(409, CONFLICT),
    )
    with pytest.raises(CreateConflict) as raised:
        make_client(transport).create_api_key("pos-1", "test", "enabled", None)
    assert raised.value.may_have_reached_api is True
    assert transport.paths() == ["POST /auth", "PUT /api_keys/pos-1", "POST /auth", "PUT /api_keys/pos-1"]


def test_an_invalid_header_never_shows_its_value():
    error = requests.exceptions.InvalidHeader(
        "Invalid leading whitespace, reserved character(s), or return character(s) in header value: 'Bearer secret-token\\n'"
    )
    with pytest.raises(TransportError) as raised:
        make_client(Transport(answer(200, TOKEN), error)).get_api_key("pos-1")
    assert raised.value.cause == "invalid request header"
    assert "secret-token" not in str(raised.value) and "secret-token" not in repr(raised.value.result)


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (requests.exceptions.SSLError("certificate verify failed"), "TLS failure"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout"),
        (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
        (requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"), "DNS failure"),
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), "connection refused"),
        (
            requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())"),
            "connection closed by the server",
        ),
        (requests.exceptions.ConnectionError("something else"), "connection error"),
    ],
)
def test_transport_failures_are_named(error, cause):
    with pytest.raises(TransportError) as raised:
        make_client(Transport(error)).authenticate()
    assert raised.value.cause == cause
    assert str(raised.value).startswith(f"Retrieving a token with api_key and api_secret failed: {cause}: ")
    # Only a request that may have reached the API can have created a key whose answer was lost.
    assert raised.value.may_have_reached_api is (
        cause in ("timeout", "connection closed by the server", "connection error")
    )


def test_a_read_timeout_that_used_up_the_retries_is_named_timeout():
    # requests raises ConnectionError(MaxRetryError(reason=ReadTimeoutError)) then, not a Timeout.
    cause = ReadTimeoutError(None, "/api_keys/pos-1", "Read timed out. (read timeout=1.0)")
    error = requests.exceptions.ConnectionError(MaxRetryError(None, "/api_keys/pos-1", cause))
    with pytest.raises(TransportError, match=r"failed: timeout: .*Read timed out"):
        make_client(Transport(error)).authenticate()


def test_a_dropped_connection_is_told_in_words_not_as_a_python_tuple():
    cause = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response"))
    error = requests.exceptions.ConnectionError(MaxRetryError(None, "/auth", cause))
    with pytest.raises(TransportError) as raised:
        make_client(Transport(error)).authenticate()
    assert str(raised.value) == (
        "Retrieving a token with api_key and api_secret failed: connection closed by the server: Remote end closed connection without response"
    )


def page(names, count):
    return answer(200, {"data": [{**KEY, "name": name} for name in names], "count": count, "_type": "API_KEY_LIST"})


class PagesByOffset(Transport):
    """Answers each listing by its offset, as a server does, so that pages read concurrently may arrive in any order.

    The answer to the offset in ``slow`` comes late, so that the pages after it are answered first.
    """

    def __init__(self, token, pages: dict, slow: int | None = None):
        super().__init__(token)
        self.pages = pages
        self.slow = slow

    def __call__(self, method, url, **kwargs):
        if method == "POST":
            return super().__call__(method, url, **kwargs)
        self.calls.append(SimpleNamespace(method=method, url=url, **kwargs))
        if kwargs["params"]["offset"] == self.slow:
            time.sleep(0.3)
        return self.pages[kwargs["params"]["offset"]]


def test_paging_reads_until_count_is_reached():
    names = [f"k{i:03}" for i in range(250)]
    # The pages after the first are read concurrently (as the modules do, 10 in flight): the second one answered last.
    # Each page after the first begins with the last key of the page before.
    transport = PagesByOffset(
        answer(200, TOKEN),
        {0: page(names[:100], 250), 99: page(names[99:199], 250), 198: page(names[198:], 250)},
        slow=99,
    )
    pages = list(make_client(transport, max_concurrent_requests=10).list_api_key_pages(kind=["test"], order_by="name"))
    assert [len(keys) for keys, _count in pages] == [100, 99, 51]
    assert [key["name"] for keys, _count in pages for key in keys] == names
    # The first page alone and first; the pages its count announces in any order.
    assert transport.calls[1].params["offset"] == 0
    assert sorted(call.params["offset"] for call in transport.calls[2:]) == [99, 198]
    assert all(call.params["limit"] == 100 and call.params["kind"] == ["test"] for call in transport.calls[1:])
    assert "status" not in transport.calls[1].params


def test_paging_stops_on_a_short_page_whatever_count_says():
    transport = Transport(answer(200, TOKEN), page(["a1", "a2"], 999))
    assert len(list(make_client(transport).list_api_key_pages())) == 1


def test_paging_with_limit_and_offset_asks_for_no_more_than_needed():
    transport = Transport(
        answer(200, TOKEN), page([f"k{i}" for i in range(100)], 500), page([f"k{i}" for i in range(99, 130)], 500)
    )
    pages = list(make_client(transport).list_api_key_pages(limit=130, offset=20))
    assert sum(len(keys) for keys, _count in pages) == 130
    # The 30 keys still wanted, and the one before them (the first page's last).
    assert [(call.params["limit"], call.params["offset"]) for call in transport.calls[1:]] == [(100, 20), (31, 119)]


def test_a_list_answer_without_data_is_an_error():
    transport = Transport(answer(200, TOKEN), answer(200, {"unexpected": True}))
    with pytest.raises(FiskalyError, match="without a 'data' list"):
        list(make_client(transport).list_api_key_pages())


def test_auth_without_access_token_in_the_answer_is_an_error():
    with pytest.raises(FiskalyError, match="without an access_token"):
        make_client(Transport(answer(200, {"nothing": 1}))).authenticate()


def test_refresh_sends_only_the_refresh_token():
    transport = Transport(answer(200, TOKEN))
    assert make_client(transport).refresh("ref-0") == TOKEN
    assert transport.calls[0].json == {"refresh_token": "ref-0"}


def test_token_expiry_reads_the_exp_claim_or_none():
    assert token_expiry(jwt(1700000000)) == 1700000000
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.%%%.c") is None


def test_each_request_gets_a_fresh_retry_budget(monkeypatch):
    budgets = []
    real = sending_module.build_retry
    monkeypatch.setattr(
        sending_module,
        "build_retry",
        lambda retries, deadline, clock, slot, **kwargs: (
            budgets.append((retries, deadline)) or real(retries, deadline, clock, slot, **kwargs)
        ),
    )
    transport = Transport(answer(200, TOKEN), answer(200, KEY))
    make_client(transport, retries=3, retry_deadline=9).get_api_key("pos-1")
    assert budgets == [(3, 9), (3, 9)]


# -- issue 13: hostile answers and surroundings ------------------------------------------------------------------------


class Wire:
    """Stands in for the HTTPS adapter: the Session prepares each request for real (netrc, proxies, auth), this records it."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def __call__(self, request, **kwargs):
        self.sent.append((request, kwargs))
        result = self.answers.pop(0)
        if isinstance(result, Exception):
            raise result
        result.request = request
        return result


def wired_client(wire: Wire, **kwargs) -> FiskalyClient:
    client = new_client(**kwargs)
    client.sender._adapter.send = wire  # type: ignore[assignment]  # pylint: disable=protected-access
    return client


def test_a_netrc_entry_never_replaces_the_bearer_token(tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text(
        "machine api.test login netrc-user password netrc-password\ndefault login other password other-password\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert requests.utils.get_netrc_auth(BASE) == ("netrc-user", "netrc-password")  # requests would use it
    wire = Wire(answer(200, TOKEN), answer(200, KEY))
    assert wired_client(wire).get_api_key("pos-1") == KEY
    login, read = (request for request, _options in wire.sent)
    assert "Authorization" not in login.headers
    assert read.headers["Authorization"] == "Bearer tok-1"


def test_proxies_from_the_environment_still_apply(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    wire = Wire(answer(200, TOKEN))
    wired_client(wire).authenticate()
    assert wire.sent[0][1]["proxies"].get("https") == "http://proxy.test:3128"


def proxy_refused(proxy_port: int = 3128) -> requests.exceptions.ProxyError:
    from urllib3.exceptions import ProxyError as Urllib3ProxyError  # pylint: disable=import-outside-toplevel

    refused = f"Failed to establish a new connection: [Errno 111] Connection refused (port {proxy_port})"
    cause = NewConnectionError(None, refused)  # type: ignore[arg-type]
    return requests.exceptions.ProxyError(
        MaxRetryError(None, "/api/v0/auth", Urllib3ProxyError("Unable to connect to proxy", cause))  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_dead_proxy_is_named_with_its_variable_never_its_credentials(monkeypatch, variable):
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://proxy-user:proxy-password@proxy.test:3128")
    with pytest.raises(TransportError) as raised:
        wired_client(Wire(proxy_refused())).authenticate()
    message = str(raised.value)
    assert raised.value.cause == "proxy failure" and raised.value.may_have_reached_api is False
    assert f"through the proxy http://proxy.test:3128 from {variable}" in message and "Connection refused" in message
    assert (
        "proxy-password" not in message
        and "proxy-user" not in message
        and "proxy-password" not in repr(raised.value.result)
    )


def test_a_transport_failure_through_a_proxy_says_which(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    with pytest.raises(
        TransportError, match=r"timeout: .* \(through the proxy http://proxy.test:3128 from HTTPS_PROXY\)"
    ):
        wired_client(Wire(requests.exceptions.ReadTimeout("read timed out"))).authenticate()


def test_a_tls_failure_names_the_variable_its_authorities_came_from(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(
        TransportError,
        match=r"from the environment variable REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt; set ca_path",
    ):
        make_client(Transport(requests.exceptions.SSLError("certificate verify failed"))).authenticate()


def test_a_missing_ca_bundle_is_a_tls_failure_not_an_unexpected_error(monkeypatch):
    error = OSError("Could not find a suitable TLS CA certificate bundle, invalid path: /nowhere.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nowhere.pem")
    with pytest.raises(TransportError) as raised:
        make_client(Transport(error)).authenticate()
    assert raised.value.cause == "TLS failure" and "REQUESTS_CA_BUNDLE=/nowhere.pem" in str(raised.value)


def test_an_invalid_header_of_the_answer_is_not_blamed_on_the_request():
    from urllib3.exceptions import InvalidHeader  # pylint: disable=import-outside-toplevel

    error = requests.exceptions.InvalidHeader(InvalidHeader("Invalid Retry-After header: soon"))
    with pytest.raises(TransportError) as raised:
        make_client(Transport(error)).authenticate()
    assert raised.value.cause == "malformed answer" and "request header" not in str(raised.value)


NOT_AN_OBJECT = [[KEY], "pos-1", 7, None, True]


@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_key_answer_that_is_no_object_is_a_clear_failure(body):
    calls = {"get_api_key": ("pos-1",), "update_api_key": ({"name": "pos-1"}, "disabled")}
    for method, args in calls.items():
        client = make_client(Transport(answer(200, TOKEN), answer(200, body)))
        with pytest.raises(
            MalformedAnswer, match=r"malformed answer: HTTP 200 with .* where the contract has an API key object"
        ) as raised:
            getattr(client, method)(*args)
        assert raised.value.result["failure"]["status"] == 200


@pytest.mark.parametrize("body", NOT_AN_OBJECT)
def test_a_create_answer_that_is_no_object_may_have_landed(body):
    with pytest.raises(MalformedAnswer) as raised:
        make_client(Transport(answer(200, TOKEN), answer(200, body))).create_api_key("pos-1", "test", "enabled", None)
    assert raised.value.may_have_reached_api is True


def test_a_create_answer_that_is_not_json_is_never_quoted():
    transport = Transport(answer(200, TOKEN), answer(200, text="secret=the-new-secret-value"))
    with pytest.raises(MalformedAnswer) as raised:
        make_client(transport).create_api_key("pos-1", "test", "enabled", None)
    assert "the-new-secret-value" not in str(raised.value) and "not shown: it may hold a secret" in str(raised.value)


def test_a_create_answer_with_another_2xx_status_is_taken_as_a_create():
    created = {**KEY, "secret": "s-1"}
    assert (
        make_client(Transport(answer(200, TOKEN), answer(201, created))).create_api_key(
            "pos-1", "test", "enabled", None
        )
        == created
    )


@pytest.mark.parametrize("token", ["tök€n", "tok en", "tok\r\nX: 1", ""])
def test_a_login_answer_with_a_token_that_cannot_be_sent_is_a_clear_failure(token):
    with pytest.raises(MalformedAnswer, match=r"POST /auth|Authorization header") as raised:
        make_client(Transport(answer(200, {**TOKEN, "access_token": token}))).authenticate()
    assert (token not in str(raised.value)) or not token


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "with a JSON list for the page at offset 0, where the contract has a list object"),
        ("keys", "with a JSON string for the page at offset 0"),
        ({"data": {"a": 1}, "count": 1}, "without a 'data' list (it has a JSON object)"),
        ({"data": [], "count": -1}, "without a 'count' of 0 or more (it has -1)"),
        ({"data": [], "count": "3"}, "without a 'count' of 0 or more (it has a JSON string)"),
        ({"data": [], "count": True}, "without a 'count' of 0 or more (it has a JSON boolean)"),
        ({"data": []}, "without a 'count' of 0 or more (it has none)"),
        ({"data": [KEY, 7], "count": 2}, "item 1 of 'data' is a JSON number, where the contract has an API key object"),
        ({"data": [{"kind": "test"}], "count": 1}, "item 0 of 'data' is an object without a 'name' string"),
    ],
)
def test_a_list_answer_that_breaks_the_contract_is_a_clear_failure(body, fragment):
    with pytest.raises(MalformedAnswer) as raised:
        list(make_client(Transport(answer(200, TOKEN), answer(200, body))).list_api_key_pages())
    assert str(raised.value).startswith("Listing API keys failed: malformed answer: HTTP 200 ") and fragment in str(
        raised.value
    )


def test_a_server_that_ignores_offset_stops_the_paging():
    first = [f"k{i:03}" for i in range(100)]
    transport = Transport(answer(200, TOKEN), page(first, 1000), page(first, 1000), page(first, 1000))
    pages = make_client(transport).list_api_key_pages()
    assert len(next(pages)[0]) == 100
    with pytest.raises(
        MalformedAnswer, match="page at offset 99 that holds only keys of earlier pages: the API seems to ignore offset"
    ):
        next(pages)
    assert len(transport.calls) == 3


def test_a_key_that_moved_across_pages_is_returned_once():
    names = [f"k{i:03}" for i in range(150)]
    # A key created before the second page was read pushed k098 onto it (where k099 was); the second read is steady.
    transport = Transport(
        answer(200, TOKEN), page(names[:100], 151), page(names[98:], 151), page(names[:100], 150), page(names[99:], 150)
    )
    keys = [key["name"] for keys, _count in make_client(transport).list_api_key_pages() for key in keys]
    assert keys == names


def test_a_server_that_ignores_limit_gives_no_more_than_asked():
    transport = Transport(answer(200, TOKEN), page([f"k{i:03}" for i in range(100)], 100))
    assert [len(keys) for keys, _count in make_client(transport).list_api_key_pages(limit=10)] == [10]


def test_deeply_nested_json_is_not_an_unexpected_error():
    with pytest.raises(MalformedAnswer, match="not JSON"):
        make_client(Transport(answer(200, TOKEN), answer(200, text="[" * 100000 + "]" * 100000))).get_api_key("pos-1")


def test_an_expiry_claim_beyond_any_calendar_is_no_unexpected_error():
    client = make_client(
        Transport(answer(401, {"message": "no"})), api_key=None, api_secret=None, access_token=jwt(-(10**20))
    )
    with pytest.raises(FiskalyError, match="has expired"):
        client.get_api_key("pos-1")


class BrokenBody(requests.Response):
    """An answer whose body breaks off while it is read, as a trickle does that outlasts the attempt's time."""

    def __init__(self, error: Exception):
        super().__init__()
        self.status_code = 200
        self.raw = SimpleNamespace(retries=None, close=lambda: None)
        self.error = error

    @property
    def content(self):
        raise self.error


BODY_TIMEOUT = requests.exceptions.ConnectionError(ReadTimeoutError(None, "/api_keys/pos-1", "Read timed out."))  # type: ignore[arg-type]


def test_an_answer_whose_body_times_out_is_retried_as_a_read_timeout(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    conflict = answer(409, CONFLICT)
    transport = Transport(answer(200, TOKEN), BrokenBody(BODY_TIMEOUT), conflict)
    client = make_client(transport)
    real = transport.__call__

    def with_urllib3s_record(method, url, **kwargs):
        result = real(method, url, **kwargs)
        if result is conflict:  # urllib3 hands the policy it was given, with its history, to the answer
            result.raw.retries = client.sender._adapter.max_retries  # pylint: disable=protected-access
        return result

    client.sender._session.request = with_urllib3s_record  # pylint: disable=protected-access
    with pytest.raises(CreateConflict) as raised:
        client.create_api_key("pos-1", "test", "enabled", None)
    # The first PUT may have created the key: its answer broke off.
    assert raised.value.may_have_reached_api is True and transport.paths() == [
        "POST /auth",
        "PUT /api_keys/pos-1",
        "PUT /api_keys/pos-1",
    ]


def test_an_answer_whose_body_times_out_on_the_last_attempt_fails_as_a_timeout(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    transport = Transport(answer(200, TOKEN), BrokenBody(BODY_TIMEOUT), BrokenBody(BODY_TIMEOUT))
    with pytest.raises(TransportError) as raised:
        make_client(transport, retries=1).get_api_key("pos-1")
    assert raised.value.cause == "timeout" and raised.value.may_have_reached_api is True
    assert transport.paths() == ["POST /auth", "GET /api_keys/pos-1", "GET /api_keys/pos-1"]
