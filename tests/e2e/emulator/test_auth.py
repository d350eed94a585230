# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: POST /auth, bearer tokens, expiry, refresh and the read-only credential."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from wire import SECRET_LIKE, assert_error, call

from fiskaly_emulator import Emulator


def login(emu: Emulator, readonly: bool = False) -> dict[str, Any]:
    key, secret = (emu.readonly_api_key, emu.readonly_api_secret) if readonly else (emu.api_key, emu.api_secret)
    response = call(emu, "POST", "/auth", json={"api_key": key, "api_secret": secret})
    assert response.status_code == 200
    return response.json()


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_token_object_matches_contract(emulator: Emulator) -> None:
    before = int(time.time())
    token = login(emulator)
    # The contract's six fields: each token, the seconds it lasts and when it expires.
    assert set(token) == {
        f"{kind}_token{field}" for kind in ("access", "refresh") for field in ("", "_expires_in", "_expires_at")
    }
    assert token["access_token_expires_in"] == 300 and token["refresh_token_expires_in"] == 86400
    assert before + 299 <= token["access_token_expires_at"] <= int(time.time()) + 300
    assert before + 86399 <= token["refresh_token_expires_at"] <= int(time.time()) + 86400
    header = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    payload = claims(token["access_token"])
    assert payload["sub"] == emulator.api_key and payload["jti"] and payload["exp"] - payload["iat"] in (300, 301)
    assert "." not in token["refresh_token"]
    assert call(emulator, "GET", "/api_keys", token["access_token"]).status_code == 200


def test_tokens_are_unique(emulator: Emulator) -> None:
    first, second = login(emulator), login(emulator)
    assert first["access_token"] != second["access_token"] and first["refresh_token"] != second["refresh_token"]


@pytest.mark.parametrize(
    "body",
    [
        {"api_key": "emulator-api-key", "api_secret": SECRET_LIKE},
        {"api_key": "nobody", "api_secret": "emulator-api-secret"},
        {"api_key": "", "api_secret": ""},
    ],
)
def test_wrong_credentials(emulator: Emulator, body: dict[str, str]) -> None:
    response = call(emulator, "POST", "/auth", json=body)
    error = assert_error(response, 401, "E_INVALID_CREDENTIALS")
    assert SECRET_LIKE not in response.text and "emulator-api-secret" not in error["message"]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'"text"',
        b"{}",
        b'{"api_key": "emulator-api-key"}',
        b'{"api_secret": "x"}',
        b'{"api_key": 1, "api_secret": "x"}',
        b'{"refresh_token": null}',
        b'{"api_key": "a", "api_secret": "b", "extra": 1}',
        b"\xff\xfe",
    ],
)
def test_bad_auth_body(emulator: Emulator, payload: bytes) -> None:
    response = call(emulator, "POST", "/auth", data=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] in ("E_INVALID_JSON", "E_VALIDATION")


def test_auth_message_never_echoes_body(emulator: Emulator) -> None:
    response = call(emulator, "POST", "/auth", json={"api_key": SECRET_LIKE, "api_secret": SECRET_LIKE, SECRET_LIKE: 1})
    assert response.status_code == 400 and SECRET_LIKE not in response.text


def test_refresh_token_gives_new_tokens(emulator: Emulator) -> None:
    first = login(emulator)
    response = call(emulator, "POST", "/auth", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert claims(second["access_token"])["sub"] == emulator.api_key
    assert call(emulator, "GET", "/api_keys", second["access_token"]).status_code == 200
    # The old refresh token stays usable until it expires (no rotation), so a lost answer cannot lock a client out.
    assert call(emulator, "POST", "/auth", json={"refresh_token": first["refresh_token"]}).status_code == 200


def test_unknown_refresh_token(emulator: Emulator) -> None:
    response = call(emulator, "POST", "/auth", json={"refresh_token": SECRET_LIKE})
    assert_error(response, 401, "E_INVALID_REFRESH_TOKEN")
    assert SECRET_LIKE not in response.text


def test_refresh_token_expires_with_ttl(emulator: Emulator) -> None:
    emulator.reset(refresh_token_ttl=1)
    token = login(emulator)
    assert token["refresh_token_expires_in"] == 1
    time.sleep(1.1)
    assert_error(
        call(emulator, "POST", "/auth", json={"refresh_token": token["refresh_token"]}), 401, "E_REFRESH_TOKEN_EXPIRED"
    )


def test_expire_refresh_tokens(emulator: Emulator) -> None:
    token = login(emulator)
    assert emulator.expire_refresh_tokens() == 1
    assert_error(
        call(emulator, "POST", "/auth", json={"refresh_token": token["refresh_token"]}), 401, "E_REFRESH_TOKEN_EXPIRED"
    )


def test_access_token_expires_with_ttl(emulator: Emulator) -> None:
    emulator.reset(access_token_ttl=1)
    token = login(emulator)
    assert token["access_token_expires_in"] == 1
    assert call(emulator, "GET", "/api_keys", token["access_token"]).status_code == 200
    time.sleep(1.1)
    assert_error(call(emulator, "GET", "/api_keys", token["access_token"]), 401, "E_TOKEN_EXPIRED")
    refreshed = call(emulator, "POST", "/auth", json={"refresh_token": token["refresh_token"]}).json()
    assert call(emulator, "GET", "/api_keys", refreshed["access_token"]).status_code == 200


def test_expire_access_tokens(emulator: Emulator) -> None:
    token = login(emulator)["access_token"]
    minted = emulator.issue_token()
    assert emulator.expire_access_tokens() == 2
    for value in (token, minted):
        response = assert_error(call(emulator, "GET", "/api_keys/abc", value), 401, "E_TOKEN_EXPIRED")
        assert value not in response["message"]
    assert call(emulator, "GET", "/api_keys", login(emulator)["access_token"]).status_code == 200


def test_reset_restores_default_ttls(emulator: Emulator) -> None:
    emulator.reset(access_token_ttl=5, refresh_token_ttl=7)
    assert login(emulator)["access_token_expires_in"] == 5
    emulator.reset()
    token = login(emulator)
    assert (token["access_token_expires_in"], token["refresh_token_expires_in"]) == (300, 86400)


def test_reset_revokes_tokens(emulator: Emulator) -> None:
    token = login(emulator)
    emulator.reset()
    assert_error(call(emulator, "GET", "/api_keys", token["access_token"]), 401, "E_TOKEN_REVOKED")
    assert_error(
        call(emulator, "POST", "/auth", json={"refresh_token": token["refresh_token"]}), 401, "E_INVALID_REFRESH_TOKEN"
    )


def test_constructor_ttls(tmp_path: Any) -> None:
    with Emulator(tls_dir=tmp_path, access_token_ttl=42, refresh_token_ttl=4242) as emu:
        token = login(emu)
        assert (token["access_token_expires_in"], token["refresh_token_expires_in"]) == (42, 4242)
        emu.reset(access_token_ttl=1)
        emu.reset()
        assert login(emu)["access_token_expires_in"] == 42
    with pytest.raises(ValueError):
        Emulator(access_token_ttl=0)


def test_missing_authorization(emulator: Emulator) -> None:
    for method, path in (
        ("GET", "/api_keys"),
        ("GET", "/api_keys/abc"),
        ("PUT", "/api_keys/abc"),
        ("PATCH", "/api_keys/abc"),
    ):
        response = call(emulator, method, path, json={"kind": "test", "status": "enabled"})
        assert_error(response, 401, "E_UNAUTHORIZED")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert emulator.keys() == {}


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token abc", "abc"])
def test_wrong_scheme(emulator: Emulator, header: str) -> None:
    assert_error(call(emulator, "GET", "/api_keys", headers={"Authorization": header}), 401, "E_UNAUTHORIZED")


def _forge(token: str, **changes: Any) -> str:
    head, payload, signature = token.split(".")
    data = claims(token)
    data.update(changes)
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{head}.{payload}.{signature}"


def test_invalid_tokens(emulator: Emulator, tmp_path: Any) -> None:
    good = emulator.issue_token()
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    with Emulator(tls_dir=tmp_path) as other:
        foreign = other.issue_token()
    cases = {
        "abc": "malformed",
        "a.b": "malformed",
        "a.b.c": "malformed",
        good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"): "signature",
        _forge(good, sub="someone-else"): "signature",
        none_header + "." + good.split(".")[1] + ".": "HS256",
        foreign: "signature",
    }
    for token, words in cases.items():
        response = assert_error(call(emulator, "GET", "/api_keys", token), 401, "E_INVALID_TOKEN")
        assert words in response["message"] and token not in response["message"]


def test_readonly_credential(emulator: Emulator) -> None:
    emulator.seed_keys([{"name": "pos-1", "kind": "test", "status": "enabled"}])
    token = login(emulator, readonly=True)
    assert claims(token["access_token"])["sub"] == emulator.readonly_api_key
    access = token["access_token"]
    assert call(emulator, "GET", "/api_keys", access).status_code == 200
    assert call(emulator, "GET", "/api_keys/pos-1", access).status_code == 200
    assert_error(
        call(emulator, "PUT", "/api_keys/pos-2", access, json={"kind": "test", "status": "enabled"}), 403, "E_FORBIDDEN"
    )
    assert_error(call(emulator, "PATCH", "/api_keys/pos-1", access, json={"status": "disabled"}), 403, "E_FORBIDDEN")
    assert emulator.keys()["pos-1"]["status"] == "enabled" and "pos-2" not in emulator.keys()
    refreshed = call(emulator, "POST", "/auth", json={"refresh_token": token["refresh_token"]}).json()
    assert_error(
        call(emulator, "PATCH", "/api_keys/pos-1", refreshed["access_token"], json={"status": "disabled"}),
        403,
        "E_FORBIDDEN",
    )
    assert_error(call(emulator, "PUT", "/api_keys/x", emulator.issue_token(readonly=True), json={}), 403, "E_FORBIDDEN")


def test_auth_needs_no_bearer_and_ignores_one(emulator: Emulator) -> None:
    response = call(
        emulator, "POST", "/auth", "garbage", json={"api_key": emulator.api_key, "api_secret": emulator.api_secret}
    )
    assert response.status_code == 200


def test_custom_credentials(tmp_path: Any) -> None:
    with Emulator(tls_dir=tmp_path, api_key="k-1", api_secret="s-1") as emu:
        assert call(emu, "POST", "/auth", json={"api_key": "k-1", "api_secret": "s-1"}).status_code == 200
        assert (
            call(
                emu, "POST", "/auth", json={"api_key": "emulator-api-key", "api_secret": "emulator-api-secret"}
            ).status_code
            == 401
        )
