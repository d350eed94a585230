# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: fault injection (status, HTML, drop, delay, lost response, raw Retry-After, given body, trickle) and its request log entries."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import pytest
import requests
import wire

from fiskaly_emulator import Emulator

CREATE = {"kind": "test", "status": "enabled"}


def call(emu: Emulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return wire.call(emu, method, path, emu.issue_token(), **kwargs)


@pytest.mark.parametrize("status", [400, 429, 500, 502, 503, 504, 599])
def test_status_fault_has_json_error_body(emulator: Emulator, status: int) -> None:
    emulator.inject("GET", "/api_keys", [{"status": status}])
    response = call(emulator, "GET", "/api_keys")
    body = response.json()
    assert (
        response.status_code == status
        and set(body) == {"status_code", "error", "code", "message"}
        and body["status_code"] == status
    )
    assert "Retry-After" not in response.headers
    assert call(emulator, "GET", "/api_keys").status_code == 200


def test_retry_after(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 429, "retry_after": 2}, {"status": 503, "retry_after": 0}])
    first = call(emulator, "GET", "/api_keys")
    assert first.status_code == 429 and first.json()["code"] == "E_RATE_LIMITED" and first.headers["Retry-After"] == "2"
    second = call(emulator, "GET", "/api_keys")
    assert second.status_code == 503 and second.headers["Retry-After"] == "0"


def test_html_fault(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/*", [{"status": 502, "html": True}])
    response = call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert response.status_code == 502 and response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().startswith("<html>") and "502 Bad Gateway" in response.text
    with pytest.raises(ValueError):
        response.json()
    assert emulator.keys() == {}


def test_faults_are_consumed_in_order_one_per_request(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys/abc", [{"status": 500}, {"status": 503}])
    emulator.seed_keys([{"name": "abc", **CREATE}])
    assert [call(emulator, "GET", "/api_keys/abc").status_code for _attempt in range(4)] == [500, 503, 200, 200]
    log = emulator.requests()
    assert [entry["fault"] for entry in log] == [{"status": 500}, {"status": 503}, None, None]
    assert [entry["status"] for entry in log] == [500, 503, 200, 200]
    assert emulator.stats()["faults"] == 2


def test_matching_by_method_and_path(emulator: Emulator) -> None:
    emulator.seed_keys([{"name": "abc", **CREATE}])
    emulator.inject("PATCH", "/api_keys/abc", [{"status": 500}])
    emulator.inject("*", "/auth", [{"status": 503}])
    assert call(emulator, "GET", "/api_keys/abc").status_code == 200
    assert call(emulator, "GET", "/api_keys").status_code == 200
    assert call(emulator, "PATCH", "/api_keys/abd", json={"status": "enabled"}).status_code == 404
    assert len(emulator.pending_faults()) == 2
    assert call(emulator, "PATCH", "/api_keys/abc", json={"status": "disabled"}).status_code == 500
    assert emulator.keys()["abc"]["status"] == "enabled"
    assert requests.post(emulator.base_url + "/auth", json={}, verify=emulator.ca_path, timeout=10).status_code == 503
    assert emulator.pending_faults() == []


def test_prefix_pattern(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys*", [{"status": 500}, {"status": 502}])
    assert call(emulator, "GET", "/api_keys").status_code == 500
    assert call(emulator, "GET", "/api_keys/abc").status_code == 502
    assert call(emulator, "GET", "/api_keys/abc").status_code == 404


def test_drop_closes_without_answer(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/abc", [{"drop": True}])
    with pytest.raises(requests.ConnectionError):
        call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert emulator.keys() == {} and emulator.create_count("abc") == 0
    assert wire.untimed(emulator.requests()) == [
        {"method": "PUT", "path": "/api_keys/abc", "query": {}, "status": None, "fault": {"drop": True}}
    ]
    assert call(emulator, "PUT", "/api_keys/abc", json=CREATE).status_code == 200


def test_drop_on_a_keep_alive_session(emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with requests.Session() as session:
        assert (
            session.get(
                emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10
            ).status_code
            == 200
        )
        emulator.inject("GET", "/api_keys", [{"drop": True}])
        with pytest.raises(requests.ConnectionError):
            session.get(emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10)
        assert (
            session.get(
                emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10
            ).status_code
            == 200
        )


def test_lose_response_changes_state(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/*", [{"lose_response": True}])
    with pytest.raises(requests.ConnectionError):
        call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert "abc" in emulator.keys() and emulator.create_count("abc") == 1
    assert wire.untimed(emulator.requests())[-1] == {
        "method": "PUT",
        "path": "/api_keys/abc",
        "query": {},
        "status": 200,
        "fault": {"lose_response": True},
    }
    retry = call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert retry.status_code == 409 and emulator.create_count("abc") == 1


def test_delay_then_normal_answer(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"delay": 0.3}])
    started = time.monotonic()
    assert call(emulator, "GET", "/api_keys").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emulator.requests()[-1]["fault"] == {"delay": 0.3} and emulator.requests()[-1]["status"] == 200


def test_delay_causes_client_read_timeout(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/abc", [{"delay": 0.5}])
    with pytest.raises(requests.ReadTimeout):
        call(emulator, "PUT", "/api_keys/abc", json=CREATE, timeout=(5, 0.1))
    time.sleep(0.6)
    # The server still carried the request out, as a real slow server would.
    assert "abc" in emulator.keys()


def test_delay_with_status(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"delay": 0.1, "status": 504}])
    assert call(emulator, "GET", "/api_keys").status_code == 504


def test_fault_precedes_authentication(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 503}])
    response = requests.get(emulator.base_url + "/api_keys", verify=emulator.ca_path, timeout=10)
    assert response.status_code == 503


@pytest.mark.parametrize(
    "faults",
    [
        [],
        [{}],
        [{"status": 200}],
        [{"status": 600}],
        [{"status": "503"}],
        [{"status": True}],
        [{"status": 503, "bogus": 1}],
        [{"drop": False}],
        [{"drop": True, "status": 503}],
        [{"lose_response": True, "drop": True}],
        [{"retry_after": 1}],
        [{"html": True}],
        [{"status": 503, "retry_after": -1}],
        [{"delay": -1}],
        [{"delay": "1"}],
        [{"delay": 601}],
        [{"status": 503, "html": "yes"}],
        ["503"],
        [{"retry_after_raw": "soon"}],
        [{"status": 429, "retry_after_raw": 5}],
        [{"status": 429, "retry_after_raw": "1\r\nX-Injected: 1"}],
        [{"status": 429, "retry_after_raw": "\u20ac"}],
        [{"status": 429, "retry_after": 1, "retry_after_raw": "1"}],
        [{"status": 502, "html": True, "body": {}}],
        [{"drop": True, "body": {}}],
        [{"lose_response": True, "body": {}}],
        [{"trickle": 0}],
        [{"trickle": -1}],
        [{"trickle": 61}],
        [{"trickle": "1"}],
        [{"trickle": 0.1, "trickle_bytes": 0}],
        [{"trickle": 0.1, "trickle_bytes": True}],
        [{"trickle": 0.1, "trickle_from": "tail"}],
        [{"trickle_bytes": 2}],
        [{"status": 503, "trickle_from": "body"}],
        [{"trickle": 0.1, "drop": True}],
        [{"trickle": 0.1, "lose_response": True}],
    ],
)
def test_invalid_faults(emulator: Emulator, faults: list[Any]) -> None:
    with pytest.raises(ValueError):
        emulator.inject("GET", "/api_keys", faults)
    assert emulator.pending_faults() == []


@pytest.mark.parametrize(("method", "path"), [("", "/auth"), ("GET", "api_keys"), ("GET", "")])
def test_invalid_fault_target(emulator: Emulator, method: str, path: str) -> None:
    with pytest.raises(ValueError):
        emulator.inject(method, path, [{"status": 503}])


def test_reset_clears_faults(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 503}])
    emulator.reset()
    assert emulator.pending_faults() == [] and call(emulator, "GET", "/api_keys").status_code == 200


@pytest.mark.parametrize("raw", ["soon", "1.5", "-1", "", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_raw_is_sent_verbatim(emulator: Emulator, raw: str) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 429, "retry_after_raw": raw}])
    response = call(emulator, "GET", "/api_keys")
    assert response.status_code == 429 and response.headers["Retry-After"] == raw
    assert emulator.requests()[-1]["fault"] == {"status": 429, "retry_after_raw": raw}


def test_body_replaces_the_answer_after_the_request_was_carried_out(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/abc", [{"body": {"name": "abc"}}])
    response = call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert response.status_code == 200 and response.json() == {"name": "abc"}
    assert "abc" in emulator.keys() and emulator.create_count("abc") == 1
    assert wire.untimed(emulator.requests())[-1] == {
        "method": "PUT",
        "path": "/api_keys/abc",
        "query": {},
        "status": 200,
        "fault": {"body": {"name": "abc"}},
    }


@pytest.mark.parametrize("body", [None, [1, 2], "text", 7, {"data": "nope"}])
def test_any_json_body_can_be_given(emulator: Emulator, body: Any) -> None:
    emulator.inject("GET", "/api_keys", [{"body": body}])
    response = call(emulator, "GET", "/api_keys")
    assert (
        response.status_code == 200
        and response.headers["Content-Type"] == "application/json"
        and response.json() == body
    )


def test_body_with_a_status_is_not_carried_out(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/abc", [{"status": 503, "body": {"message": 5}}])
    response = call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert response.status_code == 503 and response.json() == {"message": 5}
    assert emulator.keys() == {}


def raw_get(emu: Emulator, path: str, timeout: float = 10) -> list[tuple[float, bytes]]:
    """One GET over a bare TLS socket: each piece of the answer as it arrived, with the time it took to come."""
    context = ssl.create_default_context(cafile=emu.ca_path)
    with (
        socket.create_connection((emu.host, emu.port), timeout=timeout) as tcp,
        context.wrap_socket(tcp, server_hostname=emu.host) as tls,
    ):
        tls.sendall(
            f"GET /api/v0{path} HTTP/1.1\r\nHost: {emu.host}\r\nAuthorization: Bearer {emu.issue_token()}\r\n\r\n".encode()
        )
        pieces, started = [], time.monotonic()
        while True:
            piece = tls.recv(65536)
            if not piece:
                return pieces
            pieces.append((time.monotonic() - started, piece))


def test_trickle_sends_the_whole_answer_in_pieces(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"trickle": 0.01, "trickle_bytes": 40}])
    pieces = raw_get(emulator, "/api_keys")
    answer = b"".join(piece for _at, piece in pieces)
    assert (
        answer.startswith(b"HTTP/1.1 200 OK\r\n")
        and answer.endswith(b'"_type":"API_KEY_LIST"}')
        and b"Connection: close" in answer
    )
    assert len(pieces) == -(-len(answer) // 40) and all(len(piece) <= 40 for _at, piece in pieces)
    assert pieces[-1][0] >= 0.01 * (len(pieces) - 1)


def test_trickle_from_body_sends_the_head_at_once(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"trickle": 0.01, "trickle_from": "body", "trickle_bytes": 5}])
    pieces = raw_get(emulator, "/api_keys")
    assert pieces[0][1].endswith(b"\r\n\r\n") and pieces[0][1].startswith(b"HTTP/1.1 200 OK")
    assert b"".join(piece for _at, piece in pieces[1:]) == b'{"data":[],"count":0,"_type":"API_KEY_LIST"}'
    assert all(len(piece) <= 5 for _at, piece in pieces[1:])


def test_trickle_outlasts_a_per_read_timeout(emulator: Emulator) -> None:
    # Each piece comes well within requests' read timeout, yet the whole answer takes longer than it.
    emulator.inject("GET", "/api_keys", [{"trickle": 0.05, "trickle_bytes": 20}])
    started = time.monotonic()
    response = call(emulator, "GET", "/api_keys", timeout=0.5)
    assert response.status_code == 200 and response.json()["count"] == 0
    assert time.monotonic() - started > 0.5


def test_trickle_of_a_status_fault_and_a_client_that_goes_away(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 503, "trickle": 0.2}])
    context = ssl.create_default_context(cafile=emulator.ca_path)
    with (
        socket.create_connection((emulator.host, emulator.port), timeout=10) as tcp,
        context.wrap_socket(tcp, server_hostname=emulator.host) as tls,
    ):
        tls.sendall(f"GET /api/v0/api_keys HTTP/1.1\r\nHost: {emulator.host}\r\n\r\n".encode())
        assert tls.recv(100) == b"H"
    assert emulator.requests()[-1]["status"] == 503
    # The emulator goes on answering others, and its trickling handler ends once it finds the client gone.
    assert call(emulator, "GET", "/api_keys").status_code == 200
