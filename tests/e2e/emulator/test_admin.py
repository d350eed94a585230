# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: the /_emulator/ admin API and the Python API around it."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from fiskaly_emulator import Emulator


def admin(emu: Emulator, method: str, name: str, **kwargs: Any) -> requests.Response:
    root = emu.base_url[: -len("/api/v0")]
    return requests.request(method, f"{root}/_emulator/{name}", verify=emu.ca_path, timeout=10, **kwargs)


def api(emu: Emulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {emu.issue_token()}"}
    return requests.request(method, emu.base_url + path, headers=headers, verify=emu.ca_path, timeout=10, **kwargs)


def test_python_api_basics(emulator: Emulator) -> None:
    assert emulator.base_url == f"https://127.0.0.1:{emulator.port}/api/v0"
    assert Path(emulator.ca_path).read_text(encoding="ascii").startswith("-----BEGIN CERTIFICATE-----")
    assert emulator.api_key == "emulator-api-key" and emulator.api_secret == "emulator-api-secret"
    assert emulator.readonly_api_key != emulator.api_key
    assert emulator.stats() == {
        "requests": 0,
        "handler_seconds": 0.0,
        "faults": 0,
        "rate_limited": 0,
        "creates": 0,
        "create_counts": {},
    }


def test_seed_keys(emulator: Emulator) -> None:
    created = emulator.seed_keys(
        [
            {"name": "abc", "kind": "test", "status": "enabled"},
            {"name": "abd", "kind": "live", "status": "disabled", "metadata": {"a": "b"}},
        ]
    )
    assert [key["name"] for key in created] == ["abc", "abd"]
    assert emulator.keys()["abd"]["metadata"] == {"a": "b"} and emulator.keys()["abc"]["metadata"] == {}
    assert emulator.requests() == [] and emulator.create_count("abc") == 0
    # A dump of keys() seeds back after a reset.
    dump = list(emulator.keys().values())
    emulator.reset()
    emulator.seed_keys(dump)
    without_ids = [{k: v for k, v in key.items() if k != "_id"} for key in emulator.keys().values()]
    assert without_ids == [{k: v for k, v in key.items() if k != "_id"} for key in dump]


@pytest.mark.parametrize(
    "records",
    [
        "abc",
        [{"name": "ab", "kind": "test", "status": "enabled"}],
        [{"name": "abc", "kind": "prod", "status": "enabled"}],
        [{"name": "abc", "kind": "test"}],
        [{"kind": "test", "status": "enabled"}],
        ["abc"],
        [{"name": "abc", "kind": "test", "status": "enabled", "metadata": {"k": 1}}],
        [{"name": "abc", "kind": "test", "status": "enabled"}, {"name": "abc", "kind": "test", "status": "enabled"}],
        [
            {"name": "abc", "kind": "test", "status": "enabled"},
            {"name": "existing", "kind": "test", "status": "enabled"},
        ],
    ],
)
def test_seed_is_validated_and_all_or_nothing(emulator: Emulator, records: Any) -> None:
    emulator.seed_keys([{"name": "existing", "kind": "test", "status": "enabled"}])
    with pytest.raises(ValueError):
        emulator.seed_keys(records)
    assert list(emulator.keys()) == ["existing"]


def test_reset_drops_everything(emulator: Emulator) -> None:
    api(emulator, "PUT", "/api_keys/abc", json={"kind": "test", "status": "enabled"})
    emulator.inject("GET", "/api_keys", [{"status": 503}])
    emulator.reset()
    assert emulator.keys() == {} and emulator.requests() == [] and emulator.pending_faults() == []
    assert emulator.create_count("abc") == 0 and emulator.stats()["requests"] == 0
    with pytest.raises(ValueError):
        emulator.reset(access_token_ttl=0)


def test_admin_keys_and_seed(emulator: Emulator) -> None:
    response = admin(emulator, "POST", "keys", json=[{"name": "abc", "kind": "test", "status": "enabled"}])
    assert response.status_code == 200 and response.json()["keys"][0]["name"] == "abc"
    assert (
        admin(
            emulator, "POST", "keys", json={"keys": [{"name": "abd", "kind": "live", "status": "enabled"}]}
        ).status_code
        == 200
    )
    keys = admin(emulator, "GET", "keys").json()["keys"]
    assert keys == emulator.keys() and list(keys) == ["abc", "abd"]
    bad = admin(emulator, "POST", "keys", json=[{"name": "abc", "kind": "test", "status": "enabled"}])
    assert bad.status_code == 400 and bad.json()["code"] == "E_VALIDATION" and "already exists" in bad.json()["message"]


def test_admin_requests_and_stats(emulator: Emulator) -> None:
    api(emulator, "GET", "/api_keys?kind=test")
    api(emulator, "GET", "/api_keys/abc")
    api(emulator, "PUT", "/api_keys/abc", json={"kind": "test", "status": "enabled"})
    log = admin(emulator, "GET", "requests").json()["requests"]
    assert log == emulator.requests() and len(log) == 3
    assert (
        len(
            admin(emulator, "GET", "requests", params={"method": "GET", "path_prefix": "/api_keys/"}).json()["requests"]
        )
        == 1
    )
    stats = admin(emulator, "GET", "stats").json()
    assert (
        stats["requests"] == 3
        and stats["creates"] == 1
        and stats["create_counts"] == {"abc": 1}
        and stats["handler_seconds"] > 0
    )
    assert admin(emulator, "DELETE", "requests").json() == {"cleared": 3}
    assert emulator.requests() == []
    # Admin calls are never logged.
    assert emulator.stats()["requests"] == 3


def test_admin_faults(emulator: Emulator) -> None:
    response = admin(
        emulator,
        "POST",
        "faults",
        json={"method": "GET", "path": "/api_keys", "faults": [{"status": 503, "retry_after": 1}]},
    )
    assert response.json() == {"queued": 1}
    assert admin(emulator, "GET", "faults").json()["faults"] == [
        {"method": "GET", "path": "/api_keys", "fault": {"status": 503, "retry_after": 1}}
    ]
    assert api(emulator, "GET", "/api_keys").status_code == 503
    for body in (
        {"method": "GET", "path": "/api_keys", "faults": [{"status": 42}]},
        {"method": "GET", "faults": []},
        [1],
        "x",
    ):
        bad = admin(emulator, "POST", "faults", json=body)
        assert bad.status_code == 400 and set(bad.json()) == {"status_code", "error", "code", "message"}


def test_admin_reset_with_ttls(emulator: Emulator) -> None:
    api(emulator, "PUT", "/api_keys/abc", json={"kind": "test", "status": "enabled"})
    response = admin(emulator, "POST", "reset", json={"access_token_ttl": 2, "refresh_token_ttl": 3})
    assert response.json() == {"access_token_ttl": 2, "refresh_token_ttl": 3} and emulator.keys() == {}
    token = requests.post(
        emulator.base_url + "/auth",
        json={"api_key": emulator.api_key, "api_secret": emulator.api_secret},
        verify=emulator.ca_path,
        timeout=10,
    ).json()
    assert (token["access_token_expires_in"], token["refresh_token_expires_in"]) == (2, 3)
    assert admin(emulator, "POST", "reset").json() == {"access_token_ttl": 300, "refresh_token_ttl": 86400}
    for body in ({"access_token_ttl": 0}, {"access_token_ttl": "5"}, {"other": 1}, [1]):
        assert admin(emulator, "POST", "reset", json=body).status_code == 400
    assert admin(emulator, "POST", "reset", data=b"{nope").json()["code"] == "E_INVALID_JSON"


def test_admin_expire_tokens(emulator: Emulator) -> None:
    token = emulator.issue_token()
    assert admin(emulator, "POST", "expire-tokens").json() == {"expired": {"access": 1, "refresh": 0}}
    response = requests.get(
        emulator.base_url + "/api_keys",
        headers={"Authorization": f"Bearer {token}"},
        verify=emulator.ca_path,
        timeout=10,
    )
    assert response.json()["code"] == "E_TOKEN_EXPIRED"
    requests.post(
        emulator.base_url + "/auth",
        json={"api_key": emulator.api_key, "api_secret": emulator.api_secret},
        verify=emulator.ca_path,
        timeout=10,
    )
    assert admin(emulator, "POST", "expire-tokens", json={"access": False, "refresh": True}).json() == {
        "expired": {"access": 0, "refresh": 1}
    }


@pytest.mark.parametrize(
    ("method", "name", "status"),
    [
        ("GET", "nope", 404),
        ("GET", "", 404),
        ("GET", "reset", 405),
        ("PUT", "keys", 405),
        ("POST", "stats", 405),
        ("GET", "expire-tokens", 405),
    ],
)
def test_admin_routing_errors(emulator: Emulator, method: str, name: str, status: int) -> None:
    response = admin(emulator, method, name)
    assert response.status_code == status and set(response.json()) == {"status_code", "error", "code", "message"}
    assert emulator.requests() == []


def test_context_manager_and_lifecycle(tmp_path: Path) -> None:
    emu = Emulator(tls_dir=tmp_path)
    with pytest.raises(RuntimeError):
        print(emu.base_url)
    with emu as running:
        assert running is emu and (tmp_path / "ca.pem").is_file()
        assert requests.get(emu.base_url + "/api_keys", verify=emu.ca_path, timeout=10).status_code == 401
        with pytest.raises(RuntimeError):
            emu.start()
        port = emu.port
    with pytest.raises(requests.ConnectionError):
        requests.get(f"https://127.0.0.1:{port}/api/v0/api_keys", verify=str(tmp_path / "ca.pem"), timeout=2)


def test_temporary_tls_dir_is_removed() -> None:
    with Emulator() as emu:
        ca_path = Path(emu.ca_path)
        assert ca_path.is_file()
    assert not ca_path.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com"])
def test_refuses_non_loopback(host: str) -> None:
    with pytest.raises(ValueError):
        Emulator(host=host)


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_other_loopback_hosts(host: str, tmp_path: Path) -> None:
    try:
        emu = Emulator(host=host, tls_dir=tmp_path).start()
    except OSError:
        pytest.skip(f"{host} not available here")
    with emu:
        assert emu.base_url.startswith(f"https://{'[::1]' if host == '::1' else host}:")
        response = requests.post(
            emu.base_url + "/auth",
            json={"api_key": emu.api_key, "api_secret": emu.api_secret},
            verify=emu.ca_path,
            timeout=10,
        )
        assert response.status_code == 200


def test_certificate_is_verified(emulator: Emulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(emulator.base_url + "/api_keys", verify=True, timeout=10)


def test_plain_http_is_refused(emulator: Emulator) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get(emulator.base_url.replace("https://", "http://") + "/api_keys", timeout=5)


def test_json_log_is_serialisable(emulator: Emulator) -> None:
    api(emulator, "GET", "/api_keys?order=desc")
    assert json.loads(json.dumps(emulator.requests())) == emulator.requests()


def test_every_minted_secret_is_remembered_and_served_by_the_admin_api(emulator: Emulator) -> None:
    start = admin(emulator, "GET", "minted").json()["count"]
    wire = {"verify": emulator.ca_path, "timeout": 10}
    token = requests.post(
        f"{emulator.base_url}/auth", json={"api_key": emulator.api_key, "api_secret": emulator.api_secret}, **wire
    ).json()
    created = requests.put(
        f"{emulator.base_url}/api_keys/minted-key",
        json={"kind": "test", "status": "enabled"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        **wire,
    ).json()
    refreshed = requests.post(
        f"{emulator.base_url}/auth", json={"refresh_token": token["refresh_token"]}, **wire
    ).json()
    emulator.reset()  # forgets keys and tokens, never what it handed out: an output may still show them

    answer = admin(emulator, "GET", "minted", params={"since": start}).json()

    assert answer["count"] == start + 5
    assert [(item["kind"], item["owner"], item["value"]) for item in answer["minted"]] == [
        ("access_token", emulator.api_key, token["access_token"]),
        ("refresh_token", emulator.api_key, token["refresh_token"]),
        ("key_secret", "minted-key", created["secret"]),
        ("access_token", emulator.api_key, refreshed["access_token"]),
        ("refresh_token", emulator.api_key, refreshed["refresh_token"]),
    ]
    assert [secret.value for secret in emulator.minted_secrets(start)] == [item["value"] for item in answer["minted"]]


@pytest.mark.parametrize("since", ["-1", "x", "1\n", "²"])
def test_minted_since_must_be_a_count(emulator: Emulator, since: str) -> None:
    response = admin(emulator, "GET", "minted", params={"since": since})
    assert response.status_code == 400 and response.json()["code"] == "E_VALIDATION"
