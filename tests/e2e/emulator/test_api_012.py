# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: the management API 0.12 dialect (--api-version 0.12): organisations, keys by _id, its token claims."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from wire import assert_error, call

from fiskaly_emulator import Emulator

KEY_FIELDS = {
    "_id",
    "_type",
    "_envs",
    "key",
    "name",
    "status",
    "metadata",
    "managed_by_organization_id",
    "created_at",
    "created_by_user",
}


@pytest.fixture(scope="module")
def server_012(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    server = Emulator(port=0, tls_dir=tmp_path_factory.mktemp("emulator-012-tls"), api_version="0.12")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emu(server_012: Emulator) -> Emulator:
    server_012.reset()
    return server_012


@pytest.fixture
def token(emu: Emulator) -> str:
    return str(login(emu)["access_token"])


def login(emu: Emulator, key: str | None = None, secret: str | None = None, readonly: bool = False) -> dict[str, Any]:
    if key is None:
        key, secret = (emu.readonly_api_key, emu.readonly_api_secret) if readonly else (emu.api_key, emu.api_secret)
    response = call(emu, "POST", "/auth", json={"api_key": key, "api_secret": secret})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keys_path(emu: Emulator, org: str | None = None) -> str:
    return f"/organizations/{org or emu.organization_id}/api-keys"


def create(emu: Emulator, token: str, org: str | None = None, **body: Any) -> dict[str, Any]:
    response = call(emu, "POST", keys_path(emu, org), token, json=body)
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


def schema_refused(response: requests.Response, *named: str) -> None:
    body = assert_error(response, 400, "E_FAILED_SCHEMA_VALIDATION")
    for name in named:
        assert name in body["message"], body["message"]


def test_012_api_version_and_organisations(emu: Emulator, emulator: Emulator) -> None:
    assert emu.api_version == "0.12" and uuid.UUID(str(emu.organization_id)).version == 4
    managed = emu.managed_organization_ids
    assert len(managed) == 2 and len({emu.organization_id, *managed}) == 3
    assert all(uuid.UUID(org).version == 4 for org in managed)
    assert emulator.api_version == "0.1.0-draft" and emulator.organization_id is None
    assert emulator.managed_organization_ids == []
    root = emu.base_url[: -len("/api/v0")]
    answer = requests.get(f"{root}/_emulator/dialect", verify=emu.ca_path, timeout=10).json()
    assert answer == {
        "api_version": "0.12",
        "organization_id": emu.organization_id,
        "managed_organization_ids": managed,
    }


def test_api_version_is_checked() -> None:
    with pytest.raises(ValueError, match="api_version"):
        Emulator(api_version="0.13")


def test_012_login_carries_claims_and_refresh_too(emu: Emulator) -> None:
    token = login(emu)
    assert token["access_token_claims"] == {"env": "TEST", "organization_id": emu.organization_id}
    assert login(emu, readonly=True)["access_token_claims"]["organization_id"] == emu.organization_id
    refreshed = call(emu, "POST", "/auth", json={"refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["access_token_claims"] == token["access_token_claims"]
    assert_error(
        call(emu, "POST", "/auth", json={"api_key": emu.api_key, "api_secret": "wrong"}), 401, "E_INVALID_CREDENTIALS"
    )


def test_api_version_draft_login_has_no_claims(emulator: Emulator) -> None:
    response = call(emulator, "POST", "/auth", json={"api_key": emulator.api_key, "api_secret": emulator.api_secret})
    assert response.status_code == 200 and "access_token_claims" not in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api_keys"), ("GET", "/api_keys/abc"), ("PUT", "/api_keys/abc"), ("PATCH", "/api_keys/abc")],
)
def test_012_draft_routes_are_not_found(emu: Emulator, token: str, method: str, path: str) -> None:
    body = assert_error(call(emu, method, path, token, json={}), 404, "E_NOT_FOUND")
    assert body["message"] == "no such endpoint"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_api_version_draft_has_no_012_routes(emulator: Emulator, method: str) -> None:
    token = emulator.issue_token()
    path = f"/organizations/{uuid.uuid4()}/api-keys"
    assert_error(call(emulator, method, path, token, json={"name": "abc"}), 404, "E_NOT_FOUND")
    assert_error(call(emulator, "GET", f"{path}/{uuid.uuid4()}", token), 404, "E_NOT_FOUND")


def test_012_create_answers_201_with_secret_and_names_repeat(emu: Emulator, token: str) -> None:
    first = create(emu, token, name="pos-berlin-01", metadata={"store": "berlin"})
    assert set(first) == KEY_FIELDS | {"secret"}
    assert first["_type"] == "API_KEY" and first["_envs"] == ["TEST"] and first["status"] == "enabled"
    assert first["metadata"] == {"store": "berlin"} and first["managed_by_organization_id"] == ""
    assert uuid.UUID(first["_id"]).version == 4 and uuid.UUID(first["created_by_user"])
    assert first["key"].startswith("test_") and first["key"].count("_") == 2 and isinstance(first["created_at"], int)
    second = create(emu, token, name="pos-berlin-01", status="disabled")
    assert second["_id"] != first["_id"] and second["status"] == "disabled" and second["secret"] != first["secret"]
    assert emu.create_count("pos-berlin-01") == 2 and emu.stats()["create_counts"] == {"pos-berlin-01": 2}
    stored = emu.keys()
    assert list(stored) == [first["_id"], second["_id"]]
    assert stored[first["_id"]] == {k: v for k, v in first.items() if k != "secret"} | {
        "organization_id": emu.organization_id
    }
    minted = [(secret.kind, secret.value) for secret in emu.minted_secrets()]
    assert ("key_secret", first["secret"]) in minted and all(value != first["key"] for _kind, value in minted)
    got = call(emu, "GET", f"{keys_path(emu)}/{first['_id']}", token)
    assert got.status_code == 200 and got.json() == {k: v for k, v in first.items() if k != "secret"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"name": "abc", "kind": "test"}, "'kind'"),
        ({"name": "abc", "status": "enabled", "kind": "live"}, "'kind'"),
        ({"status": "enabled"}, "'name'"),
        ({"name": "AB"}, "name"),
        ({"name": "abc", "status": "paused"}, "status"),
        ({"name": "abc", "metadata": {"a": 1}}, "metadata"),
        ({"name": "abc", "managed_by_organization_id": "nope"}, "managed_by_organization_id"),
    ],
)
def test_012_create_refuses(emu: Emulator, token: str, body: dict[str, Any], named: str) -> None:
    schema_refused(call(emu, "POST", keys_path(emu), token, json=body), named)
    assert emu.keys() == {}


def test_012_create_takes_managed_by_organization_id(emu: Emulator, token: str) -> None:
    managed = emu.managed_organization_ids[0]
    key = create(emu, token, managed, name="abc", status="enabled", managed_by_organization_id=emu.organization_id)
    assert key["managed_by_organization_id"] == emu.organization_id
    assert emu.keys()[key["_id"]]["organization_id"] == managed


def test_012_list_query_rules_and_paging(emu: Emulator, token: str) -> None:
    names = ["delta", "alpha", "charlie", "alpha", "bravo"]
    created = [create(emu, token, name=name, status="disabled" if i % 2 else "enabled") for i, name in enumerate(names)]
    create(emu, token, emu.managed_organization_ids[0], name="elsewhere")
    answer = call(emu, "GET", keys_path(emu), token).json()
    assert answer["_type"] == "API_KEY_LIST" and answer["count"] == 5
    assert [key["_id"] for key in answer["data"]] == [key["_id"] for key in created]  # creation order
    pages = [
        call(emu, "GET", keys_path(emu), token, params={"order_by": "name", "limit": 2, "offset": offset}).json()
        for offset in (0, 2, 4)
    ]
    seen = [key for page in pages for key in page["data"]]
    assert all(page["count"] == 5 for page in pages) and [len(page["data"]) for page in pages] == [2, 2, 1]
    assert [key["name"] for key in seen] == sorted(names) and len({key["_id"] for key in seen}) == 5
    alphas = sorted(key["_id"] for key in created if key["name"] == "alpha")
    assert [key["_id"] for key in seen[:2]] == alphas  # ties broken by _id
    desc = call(emu, "GET", keys_path(emu), token, params={"order_by": "name", "order": "desc"}).json()["data"]
    assert [key["_id"] for key in desc] == [key["_id"] for key in reversed(seen)]
    disabled = call(emu, "GET", keys_path(emu), token, params={"status": "disabled"}).json()
    assert disabled["count"] == 2 and {key["status"] for key in disabled["data"]} == {"disabled"}
    for order_by in ("status", "created_at"):
        listed = call(emu, "GET", keys_path(emu), token, params={"order_by": order_by}).json()
        assert listed["count"] == 5


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"kind": "test"}, "'kind'"),
        ({"order_by": "kind"}, "order_by"),
        ({"order": "up"}, "order"),
        ({"status": ["enabled", "disabled"]}, "status"),
        ({"status": "paused"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_012_list_refuses(emu: Emulator, token: str, params: dict[str, Any], named: str) -> None:
    schema_refused(call(emu, "GET", keys_path(emu), token, params=params), named)


def test_012_patch_replaces_metadata_and_refuses_name(emu: Emulator, token: str) -> None:
    key = create(emu, token, name="abc", metadata={"a": "1", "b": "2"})
    path = f"{keys_path(emu)}/{key['_id']}"
    patched = call(emu, "PATCH", path, token, json={"metadata": {"c": "3"}})
    assert patched.status_code == 200 and patched.json()["metadata"] == {"c": "3"}
    patched = call(emu, "PATCH", path, token, json={"status": "disabled", "metadata": {}})
    assert (patched.json()["status"], patched.json()["metadata"]) == ("disabled", {})
    for body, named in (({"name": "xyz"}, "'name'"), ({"kind": "live"}, "'kind'"), ({}, "status")):
        schema_refused(call(emu, "PATCH", path, token, json=body), named)
    assert call(emu, "GET", path, token).json()["name"] == "abc"
    assert_error(
        call(emu, "PATCH", f"{keys_path(emu)}/{uuid.uuid4()}", token, json={"status": "enabled"}), 404, "E_NOT_FOUND"
    )


def test_012_delete_then_not_found(emu: Emulator, token: str) -> None:
    key = create(emu, token, name="abc")
    path = f"{keys_path(emu)}/{key['_id']}"
    deleted = call(emu, "DELETE", path, token)
    assert deleted.status_code == 200 and deleted.json() == {"_success": True}
    for method in ("GET", "DELETE"):
        assert_error(call(emu, method, path, token), 404, "E_NOT_FOUND")
    assert emu.keys() == {}


def test_012_organisation_access(emu: Emulator, token: str) -> None:
    managed = emu.managed_organization_ids
    key = create(emu, token, managed[1], name="abc")
    assert key["managed_by_organization_id"] == emu.organization_id
    assert call(emu, "GET", keys_path(emu, managed[1]), token).json()["count"] == 1
    assert call(emu, "GET", keys_path(emu), token).json()["count"] == 0
    # A key of one organisation is not found under another.
    assert_error(call(emu, "GET", f"{keys_path(emu)}/{key['_id']}", token), 404, "E_NOT_FOUND")
    body = assert_error(call(emu, "GET", keys_path(emu, str(uuid.uuid4())), token), 404, "E_NOT_FOUND")
    assert body["message"] == "organization not found"
    assert_error(call(emu, "GET", keys_path(emu, "not-a-uuid"), token), 404, "E_NOT_FOUND")
    assert_error(call(emu, "GET", keys_path(emu)), 401, "E_UNAUTHORIZED")


def test_012_created_key_logs_in_until_disabled_or_deleted(emu: Emulator, token: str) -> None:
    managed = emu.managed_organization_ids[0]
    key = create(emu, token, managed, name="fleet-key")
    own = login(emu, key["key"], key["secret"])
    assert own["access_token_claims"] == {"env": "TEST", "organization_id": managed}
    assert call(emu, "GET", keys_path(emu, managed), own["access_token"]).json()["count"] == 1
    created = create(emu, own["access_token"], managed, name="made-by-key")
    assert_error(call(emu, "GET", keys_path(emu), own["access_token"]), 403, "E_FORBIDDEN")  # its manager's
    assert_error(
        call(emu, "GET", keys_path(emu, emu.managed_organization_ids[1]), own["access_token"]), 403, "E_FORBIDDEN"
    )
    wrong = call(emu, "POST", "/auth", json={"api_key": key["key"], "api_secret": created["secret"]})
    assert_error(wrong, 401, "E_INVALID_CREDENTIALS")
    path = f"{keys_path(emu, managed)}/{key['_id']}"
    call(emu, "PATCH", path, token, json={"status": "disabled"})
    refused = call(emu, "POST", "/auth", json={"api_key": key["key"], "api_secret": key["secret"]})
    assert_error(refused, 401, "E_INVALID_CREDENTIALS")
    call(emu, "PATCH", path, token, json={"status": "enabled"})
    assert login(emu, key["key"], key["secret"])["access_token_claims"]["organization_id"] == managed
    call(emu, "DELETE", path, token)
    gone = call(emu, "POST", "/auth", json={"api_key": key["key"], "api_secret": key["secret"]})
    assert_error(gone, 401, "E_INVALID_CREDENTIALS")


def test_012_readonly_refuses_writes(emu: Emulator, token: str) -> None:
    key = create(emu, token, name="abc")
    readonly = login(emu, readonly=True)["access_token"]
    assert call(emu, "GET", keys_path(emu), readonly).json()["count"] == 1
    assert call(emu, "GET", f"{keys_path(emu)}/{key['_id']}", readonly).status_code == 200
    path = f"{keys_path(emu)}/{key['_id']}"
    for method, target, body in (
        ("POST", keys_path(emu), {"name": "xyz"}),
        ("PATCH", path, {"status": "disabled"}),
        ("DELETE", path, None),
    ):
        assert_error(call(emu, method, target, readonly, json=body), 403, "E_FORBIDDEN")
    assert list(emu.keys()) == [key["_id"]] and emu.keys()[key["_id"]]["status"] == "enabled"


def test_012_method_not_allowed(emu: Emulator, token: str) -> None:
    response = call(emu, "PUT", keys_path(emu), token, json={})
    assert_error(response, 405, "E_METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET, POST"


def test_012_seed_keys(emu: Emulator, token: str) -> None:
    managed = emu.managed_organization_ids[0]
    seeded = emu.seed_keys(
        [
            {"name": "abc", "status": "disabled", "metadata": {"a": "1"}},
            {"name": "abc"},
            {"name": "xyz", "organization_id": managed, "_envs": ["TEST", "LIVE"]},
        ]
    )
    assert [key["organization_id"] for key in seeded] == [emu.organization_id] * 2 + [managed]
    assert seeded[2]["_envs"] == ["TEST", "LIVE"] and seeded[2]["managed_by_organization_id"] == emu.organization_id
    assert seeded[0]["status"] == "disabled" and seeded[1]["status"] == "enabled"
    assert emu.create_count("abc") == 0 and emu.stats()["creates"] == 0
    assert call(emu, "GET", keys_path(emu), token).json()["count"] == 2
    assert list(emu.keys()) == [key["_id"] for key in seeded]
    # A dump seeds back.
    dump = list(emu.keys().values())
    emu.reset()
    assert [key["name"] for key in emu.seed_keys(dump)] == ["abc", "abc", "xyz"]
    for record, named in (
        ({"name": "abc", "kind": "test"}, "kind"),
        ({"name": "abc", "organization_id": str(uuid.uuid4())}, "organization_id"),
        ({"name": "abc", "_envs": []}, "_envs"),
    ):
        with pytest.raises(ValueError, match=named):
            emu.seed_keys([record])


def test_012_admin_seed_and_keys(emu: Emulator) -> None:
    root = emu.base_url[: -len("/api/v0")] + "/_emulator"
    answer = requests.post(
        f"{root}/keys", json={"keys": [{"name": "abc"}, {"name": "abc"}]}, verify=emu.ca_path, timeout=10
    )
    assert answer.status_code == 200, answer.text
    seeded = answer.json()["keys"]
    assert len(seeded) == 2 and seeded[0]["_id"] != seeded[1]["_id"]
    keys = requests.get(f"{root}/keys", verify=emu.ca_path, timeout=10).json()["keys"]
    assert set(keys) == {key["_id"] for key in seeded}
    refused = requests.post(f"{root}/keys", json=[{"name": "abc", "kind": "test"}], verify=emu.ca_path, timeout=10)
    assert refused.status_code == 400 and "kind" in refused.json()["message"]


def test_012_faults_journal_and_rate_limit_on_012_paths(emu: Emulator, token: str) -> None:
    path = keys_path(emu)
    emu.inject("GET", f"/organizations/{emu.organization_id}/*", [{"status": 503, "retry_after": 1}])
    assert_error(call(emu, "GET", path, token), 503, "E_SERVICE_UNAVAILABLE")
    assert call(emu, "GET", path, token).status_code == 200
    emu.inject("POST", path, [{"status": 500}])
    assert call(emu, "POST", path, token, json={"name": "abc"}).status_code == 500
    logged = emu.requests(path_prefix="/organizations/")
    assert [(entry["method"], entry["status"]) for entry in logged] == [("GET", 503), ("GET", 200), ("POST", 500)]
    assert emu.keys() == {}
    emu.set_network(rate_limit=1)
    statuses = [call(emu, "GET", path, token).status_code for _attempt in range(3)]
    assert 429 in statuses


def test_012_listing_changes(emu: Emulator, token: str) -> None:
    for name in ("key-1", "key-2", "key-3"):
        create(emu, token, name=name)
    emu.change_after_page(0, [{"create": [{"name": "key-4"}, {"name": "key-1"}], "delete": ["key-2"]}])
    assert emu.pending_listing_changes()[0]["changes"][0]["create"][0]["name"] == "key-4"
    first = call(emu, "GET", keys_path(emu), token, params={"limit": 2}).json()
    assert first["count"] == 3
    second = call(emu, "GET", keys_path(emu), token, params={"limit": 2, "offset": 2}).json()
    assert second["count"] == 4 and [key["name"] for key in second["data"]] == ["key-4", "key-1"]
    with pytest.raises(ValueError, match="kind"):
        emu.change_after_page(0, [{"create": [{"name": "abc", "kind": "test"}]}])


def test_api_version_cli_and_json_file(tmp_path: Path) -> None:
    emulator_dir = Path(__file__).resolve().parents[3] / "emulator"
    for version in ("0.12", "0.1.0-draft"):
        json_file, env_file = tmp_path / f"{version}.json", tmp_path / f"{version}.env"
        args = ["--port", "0", "--json-file", str(json_file), "--env-file", str(env_file), "--api-version", version]
        with subprocess.Popen(
            [sys.executable, "-m", "fiskaly_emulator", *args],
            cwd=emulator_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            try:
                deadline = time.monotonic() + 20
                while not (json_file.exists() and env_file.exists()):
                    assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                    time.sleep(0.05)
                details = json.loads(json_file.read_text(encoding="utf-8"))
                env = env_file.read_text(encoding="utf-8")
            finally:
                process.terminate()
                process.wait(10)
        assert details["api_version"] == version
        if version == "0.12":
            assert uuid.UUID(details["organization_id"]) and len(details["managed_organization_ids"]) == 2
        else:
            assert details["organization_id"] is None and details["managed_organization_ids"] == []
        assert "FISKALY_API_VERSION" not in env and "FISKALY_ORGANIZATION_ID" not in env
