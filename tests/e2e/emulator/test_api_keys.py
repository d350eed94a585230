# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: create, update and retrieve API keys, validation rules, routing and error bodies."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import socket
import ssl
import uuid
from typing import Any

import pytest
import requests
from wire import SECRET_LIKE, assert_error, call, untimed

from fiskaly_emulator import Emulator


@pytest.fixture
def token(emulator: Emulator) -> str:
    return emulator.issue_token()


KEY_FIELDS = {"name", "kind", "status", "metadata", "_id", "_name", "_type"}


def test_create_returns_key_with_secret(emulator: Emulator, token: str) -> None:
    response = call(
        emulator,
        "PUT",
        "/api_keys/pos-berlin-01",
        token,
        json={"kind": "live", "status": "enabled", "metadata": {"store": "berlin"}},
    )
    assert response.status_code == 200
    key = response.json()
    assert set(key) == KEY_FIELDS | {"secret"}
    assert key["name"] == key["_name"] == "pos-berlin-01" and key["_type"] == "API_KEY"
    assert (key["kind"], key["status"], key["metadata"]) == ("live", "enabled", {"store": "berlin"})
    assert uuid.UUID(key["_id"]).version == 4 and isinstance(key["secret"], str) and len(key["secret"]) >= 20
    stored = emulator.keys()["pos-berlin-01"]
    assert stored == {k: v for k, v in key.items() if k != "secret"}
    assert emulator.create_count("pos-berlin-01") == 1


def test_create_without_metadata_gives_empty_object(emulator: Emulator, token: str) -> None:
    key = call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "disabled"}).json()
    assert key["metadata"] == {} and key["status"] == "disabled"


def test_secret_is_never_shown_again(emulator: Emulator, token: str) -> None:
    created = call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled"}).json()
    for response in (
        call(emulator, "GET", "/api_keys/abc", token),
        call(emulator, "PATCH", "/api_keys/abc", token, json={"status": "disabled"}),
        call(emulator, "GET", "/api_keys", token),
    ):
        assert created["secret"] not in response.text and "secret" not in response.text
    assert "secret" not in emulator.keys()["abc"]


def test_create_existing_name_conflicts(emulator: Emulator, token: str) -> None:
    call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled"})
    body = assert_error(
        call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "live", "status": "disabled"}),
        409,
        "E_API_KEY_EXISTS",
    )
    assert "abc" in body["message"]
    assert emulator.keys()["abc"]["kind"] == "test" and emulator.create_count("abc") == 1


def test_seeded_key_conflicts_and_is_not_counted(emulator: Emulator, token: str) -> None:
    emulator.seed_keys([{"name": "abc", "kind": "test", "status": "enabled"}])
    assert_error(
        call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled"}),
        409,
        "E_API_KEY_EXISTS",
    )
    assert emulator.create_count("abc") == 0
    assert untimed(emulator.requests()) == [
        {"method": "PUT", "path": "/api_keys/abc", "query": {}, "status": 409, "fault": None}
    ]


def test_get_and_patch(emulator: Emulator, token: str) -> None:
    created = call(
        emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled", "metadata": {"a": "b"}}
    ).json()
    del created["secret"]
    assert call(emulator, "GET", "/api_keys/abc", token).json() == created
    patched = call(emulator, "PATCH", "/api_keys/abc", token, json={"status": "disabled"})
    assert patched.status_code == 200 and patched.json() == {**created, "status": "disabled"}
    assert call(emulator, "GET", "/api_keys/abc", token).json()["status"] == "disabled"
    # The reference page does not mark status required: an empty update changes nothing.
    assert call(emulator, "PATCH", "/api_keys/abc", token, json={}).json()["status"] == "disabled"


def test_missing_key(emulator: Emulator, token: str) -> None:
    body = assert_error(call(emulator, "GET", "/api_keys/nope", token), 404, "E_API_KEY_NOT_FOUND")
    assert body["message"] == "API key 'nope' does not exist"
    assert_error(
        call(emulator, "PATCH", "/api_keys/nope", token, json={"status": "enabled"}), 404, "E_API_KEY_NOT_FOUND"
    )
    assert emulator.keys() == {}


@pytest.mark.parametrize("name", ["ab", "a" * 31, "ABC", "a_b", "a.b", "äbc", "a%20b", "abc%0A", "-" * 2])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_bad_key_name(emulator: Emulator, token: str, name: str, method: str) -> None:
    body = {"kind": "test", "status": "enabled"} if method == "PUT" else {"status": "enabled"}
    error = assert_error(call(emulator, method, f"/api_keys/{name}", token, json=body), 400, "E_INVALID_KEY_NAME")
    assert "^[a-z0-9-]{3,30}$" in error["message"]
    assert emulator.keys() == {}


@pytest.mark.parametrize("name", ["abc", "a" * 30, "---", "0-9", "pos-berlin-01"])
def test_good_key_names(emulator: Emulator, token: str, name: str) -> None:
    assert (
        call(emulator, "PUT", f"/api_keys/{name}", token, json={"kind": "test", "status": "enabled"}).status_code == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        {"status": "enabled"},
        {"kind": "test"},
        {"kind": "TEST", "status": "enabled"},
        {"kind": "test", "status": "on"},
        {"kind": None, "status": "enabled"},
        {"kind": ["test"], "status": "enabled"},
        {"kind": "test", "status": "enabled", "name": "abc"},
        {"kind": "test", "status": "enabled", "secret": SECRET_LIKE},
        {"kind": "test", "status": "enabled", "metadata": None},
        {"kind": "test", "status": "enabled", "metadata": ["a"]},
        {"kind": "test", "status": "enabled", "metadata": "a=b"},
        {"kind": "test", "status": "enabled", "metadata": {f"k{i}": "v" for i in range(21)}},
        {"kind": "test", "status": "enabled", "metadata": {"k" * 41: "v"}},
        {"kind": "test", "status": "enabled", "metadata": {"k": "v" * 501}},
        {"kind": "test", "status": "enabled", "metadata": {"k": 1}},
        {"kind": "test", "status": "enabled", "metadata": {"k": None}},
        {"kind": "test", "status": "enabled", "metadata": {"k": {"nested": "v"}}},
        {"kind": "test", "status": "enabled", "metadata": {"k": True}},
    ],
)
def test_create_validation(emulator: Emulator, token: str, body: dict[str, Any]) -> None:
    response = call(emulator, "PUT", "/api_keys/abc", token, json=body)
    assert_error(response, 400, "E_VALIDATION")
    assert SECRET_LIKE not in response.text
    assert emulator.keys() == {} and emulator.create_count("abc") == 0


def test_metadata_limits_are_inclusive(emulator: Emulator, token: str) -> None:
    metadata = {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(20)}
    response = call(
        emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled", "metadata": metadata}
    )
    assert response.status_code == 200 and response.json()["metadata"] == metadata
    assert (
        call(
            emulator, "PUT", "/api_keys/abd", token, json={"kind": "test", "status": "enabled", "metadata": {"": ""}}
        ).status_code
        == 200
    )


def test_validation_messages_do_not_echo_values(emulator: Emulator, token: str) -> None:
    bodies = [
        {"kind": SECRET_LIKE, "status": "enabled"},
        {"kind": "test", "status": "enabled", "metadata": {SECRET_LIKE * 2: "v"}},
        {"kind": "test", "status": "enabled", "metadata": {"k": SECRET_LIKE * 20}},
        {"kind": "test", "status": "enabled", SECRET_LIKE: "x"},
    ]
    for body in bodies:
        response = call(emulator, "PUT", "/api_keys/abc", token, json=body)
        assert response.status_code == 400 and SECRET_LIKE not in response.text


def test_unknown_field_is_named_when_safe(emulator: Emulator, token: str) -> None:
    body = assert_error(
        call(emulator, "PUT", "/api_keys/abc", token, json={"kind": "test", "status": "enabled", "colour": "x"}),
        400,
        "E_VALIDATION",
    )
    assert "'colour'" in body["message"]


@pytest.mark.parametrize(
    "body", [{"status": "paused"}, {"status": None}, {"status": "enabled", "kind": "live"}, {"metadata": {}}]
)
def test_patch_validation(emulator: Emulator, token: str, body: dict[str, Any]) -> None:
    emulator.seed_keys([{"name": "abc", "kind": "test", "status": "enabled"}])
    assert_error(call(emulator, "PATCH", "/api_keys/abc", token, json=body), 400, "E_VALIDATION")
    assert emulator.keys()["abc"]["status"] == "enabled" and emulator.keys()["abc"]["kind"] == "test"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("payload", [b"", b"nope", b"[1]", b"null", b'"x"', b"\xff", b'{"kind": "test",'])
def test_non_json_bodies(emulator: Emulator, token: str, method: str, payload: bytes) -> None:
    emulator.seed_keys([{"name": "abd", "kind": "test", "status": "enabled"}])
    response = call(
        emulator,
        method,
        "/api_keys/abc" if method == "PUT" else "/api_keys/abd",
        token,
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "E_INVALID_JSON")


def test_chunked_body_is_accepted(emulator: Emulator, token: str) -> None:
    chunks = iter([b'{"kind": "test", ', b'"status": "enabled"}'])
    response = call(emulator, "PUT", "/api_keys/abc", token, data=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["kind"] == "test"


def test_oversized_body(emulator: Emulator, token: str) -> None:
    response = call(emulator, "PUT", "/api_keys/abc", token, data=b"x" * (1024 * 1024 + 1))
    assert_error(response, 413, "E_PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("path", ["/", "/api_keys/", "/api_keys/abc/extra", "/auth/x", "/keys", "/api_keysx"])
def test_unknown_api_path(emulator: Emulator, token: str, path: str) -> None:
    assert_error(call(emulator, "GET", path, token), 404, "E_NOT_FOUND")


@pytest.mark.parametrize("path", ["/", "/api/v1/api_keys", "/api", "/favicon.ico"])
def test_path_outside_api(emulator: Emulator, path: str) -> None:
    response = requests.get(emulator.base_url.replace("/api/v0", "") + path, verify=emulator.ca_path, timeout=10)
    assert_error(response, 404, "E_NOT_FOUND")
    assert emulator.requests()[-1]["path"] == path


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/auth", "POST"),
        ("DELETE", "/auth", "POST"),
        ("POST", "/api_keys", "GET"),
        ("PUT", "/api_keys", "GET"),
        ("DELETE", "/api_keys/abc", "GET, PUT, PATCH"),
        ("POST", "/api_keys/abc", "GET, PUT, PATCH"),
        ("OPTIONS", "/api_keys/abc", "GET, PUT, PATCH"),
    ],
)
def test_wrong_method(emulator: Emulator, token: str, method: str, path: str, allowed: str) -> None:
    response = call(emulator, method, path, token)
    assert_error(response, 405, "E_METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == allowed


def test_head_has_no_body_and_keeps_connection_usable(emulator: Emulator, token: str) -> None:
    with requests.Session() as session:
        head = session.head(
            emulator.base_url + "/api_keys",
            headers={"Authorization": f"Bearer {token}"},
            verify=emulator.ca_path,
            timeout=10,
        )
        assert head.status_code == 405 and head.content == b""
        after = session.get(
            emulator.base_url + "/api_keys",
            headers={"Authorization": f"Bearer {token}"},
            verify=emulator.ca_path,
            timeout=10,
        )
        assert after.status_code == 200


def test_unsupported_method_is_json(emulator: Emulator, token: str) -> None:
    response = call(emulator, "BREW", "/api_keys", token)
    assert_error(response, 501, "E_NOT_IMPLEMENTED")


def test_full_workflow_is_logged_without_bodies(emulator: Emulator) -> None:
    auth = call(emulator, "POST", "/auth", json={"api_key": emulator.api_key, "api_secret": emulator.api_secret}).json()
    access = auth["access_token"]
    secret = call(
        emulator,
        "PUT",
        "/api_keys/abc",
        access,
        json={"kind": "test", "status": "enabled", "metadata": {"m": SECRET_LIKE}},
    ).json()["secret"]
    call(emulator, "PATCH", "/api_keys/abc", access, json={"status": "disabled"})
    call(emulator, "GET", "/api_keys/abc", access)
    call(emulator, "GET", "/api_keys?limit=5&kind=test&kind=live", access)
    log = emulator.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("POST", "/auth", 200),
        ("PUT", "/api_keys/abc", 200),
        ("PATCH", "/api_keys/abc", 200),
        ("GET", "/api_keys/abc", 200),
        ("GET", "/api_keys", 200),
    ]
    assert log[-1]["query"] == {"limit": ["5"], "kind": ["test", "live"]}
    assert all(set(entry) == {"method", "path", "query", "status", "fault", "started", "finished"} for entry in log)
    # One client, one request after the other: each was read after the one before was answered.
    assert all(entry["started"] <= entry["finished"] for entry in log)
    assert all(earlier["finished"] <= later["started"] for earlier, later in zip(log, log[1:]))
    text = repr(log)
    for value in (SECRET_LIKE, secret, access, auth["refresh_token"], emulator.api_secret):
        assert value not in text
    assert [entry["path"] for entry in emulator.requests(method="get")] == ["/api_keys/abc", "/api_keys"]
    assert len(emulator.requests(path_prefix="/api_keys/")) == 3
    assert emulator.clear_requests() == 5 and emulator.requests() == []
    assert emulator.stats()["requests"] == 5


def raw_request(emu: Emulator, token: str, extra_headers: bytes, body: bytes) -> bytes:
    """A PUT written by hand, for framing that requests would never send; returns the status line."""
    context = ssl.create_default_context(cafile=emu.ca_path)
    head = (
        (
            f"PUT /api/v0/api_keys/abc HTTP/1.1\r\nHost: {emu.host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nConnection: close\r\n"
        ).encode()
        + extra_headers
        + b"\r\n"
    )
    with (
        socket.create_connection((emu.host, emu.port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=emu.host) as tls,
    ):
        tls.sendall(head + body)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


BODY = b'{"kind": "test", "status": "enabled"}'


# Whole-string rules: int() alone would take each of these, str.isdigit() would take "²".
@pytest.mark.parametrize("length", [b"\xc2\xb2", b"+37", b"3_7", b"0x25", b"37\x0b"])
def test_content_length_must_be_plain_digits(emulator: Emulator, token: str, length: bytes) -> None:
    assert raw_request(emulator, token, b"Content-Length: " + length + b"\r\n", BODY).startswith(b"HTTP/1.1 400")
    assert "abc" not in emulator.keys()


@pytest.mark.parametrize("size", [b"0x25", b"+25", b"2_5", b" 25"])
def test_chunk_sizes_must_be_plain_hex_digits(emulator: Emulator, token: str, size: bytes) -> None:
    body = size + b"\r\n" + BODY + b"\r\n0\r\n\r\n"
    assert raw_request(emulator, token, b"Transfer-Encoding: chunked\r\n", body).startswith(b"HTTP/1.1 400")
    assert "abc" not in emulator.keys()


def test_hand_written_framing_that_is_right_is_accepted(emulator: Emulator, token: str) -> None:
    assert raw_request(emulator, token, b"Content-Length: 37\r\n", BODY).startswith(b"HTTP/1.1 200")
