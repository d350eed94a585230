"""Tokens that expire, transport failures named by their kind, and TLS: verified by default, ca_path, validate_certs,
https only."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest

from harness import faulted_requests, report

MODULE = "fiskaly.management.fiskaly_api_key"
TOKEN = "fiskaly.management.fiskaly_token"
INFO = "fiskaly.management.fiskaly_api_key_info"
BAD_INPUTS = "bad inputs tried (each refused with a message, no traceback)"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def token_exp(token: str) -> int:
    """The exp claim of the emulator's JWT."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


def closed_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def auth_requests(emulator) -> list[dict]:
    return emulator.requests("POST", "/auth")


def test_access_token_expiring_mid_run_is_renewed_once_with_the_key_pair(ansible, emulator):
    emulator.reset(access_token_ttl=1)
    # The listing takes longer than the token lives, so the first write meets an expired token.
    emulator.inject("GET", "/api_keys", [{"delay": 1.5}])
    task = {"name": "fleet", MODULE: {"kind": "test", "api_keys": [{"name": "ttl-a"}, {"name": "ttl-b"}]}}

    run = ansible.playbook([task], module_defaults={"timeout": 10}, shows=("ttl-a", "ttl-b"))

    assert run.status("fleet") == "changed", run.output[-3000:]
    assert run.task("fleet")["summary"]["created"] == 2
    assert sorted(emulator.keys()) == ["ttl-a", "ttl-b"]
    assert emulator.create_count("ttl-a") == emulator.create_count("ttl-b") == 1
    log = [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests()]
    rejected = [index for index, entry in enumerate(log) if entry[2] == 401]
    assert len(rejected) == 1 and rejected[0] > 0, log
    method, path, _status = log[rejected[0]]
    # The delayed request itself meets the expired token: one new login, then that request again.
    assert log[rejected[0] + 1:rejected[0] + 3] == [("POST", "/auth", 200), (method, path, 200)], log
    assert len(auth_requests(emulator)) == 2
    report("tokens", "access token expires mid-run (TTL 1 s)", "401, one new login with the key pair, request repeated, task ok")


def test_given_expired_access_token_with_the_key_pair_logs_in_again(ansible, emulator):
    token = ansible.secret(emulator.issue_token())
    emulator.expire_access_tokens()

    run = ansible.playbook([{"name": "read", INFO: {}}], module_defaults={"access_token": token})

    assert run.status("read") == "ok", run.output[-3000:]
    log = [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests()]
    assert log == [("GET", "/api_keys", 401), ("POST", "/auth", 200), ("GET", "/api_keys", 200)]
    report("tokens", "given access_token expired, key pair given too", "one new login, request repeated, task ok")


def test_given_expired_access_token_without_key_pair_fails_saying_it_expired(ansible, emulator):
    emulator.reset(access_token_ttl=1)
    token = ansible.secret(emulator.issue_token())
    while time.time() < token_exp(token) + 0.1:  # real expiry, claim included
        time.sleep(0.2)

    run = ansible.playbook([{"name": "read", INFO: {}}], connection=False,
                           module_defaults={"base_url": emulator.base_url, "ca_path": emulator.ca_path, "access_token": token})

    message = run.task("read")["msg"]
    assert run.status("read") == "failed"
    assert "the access_token given has expired" in message and "no api_key and api_secret" in message
    assert auth_requests(emulator) == [] and [entry["status"] for entry in emulator.requests()] == [401]
    report(BAD_INPUTS, "expired access_token, no key pair", message)


def connection_without_ca(emulator) -> dict:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key, "api_secret": emulator.api_secret}


@pytest.mark.parametrize("kind", ["connection refused", "DNS failure", "TLS failure", "timeout"])
def test_transport_failure_is_named_by_its_kind(ansible, emulator, kind):
    defaults = {**ansible.connection, "retries": 0, "timeout": 1}
    if kind == "connection refused":
        defaults["base_url"] = f"https://127.0.0.1:{closed_port()}/api/v0"
    elif kind == "DNS failure":
        defaults["base_url"] = "https://nonexistent.invalid/api/v0"
    elif kind == "TLS failure":
        # No ca_path: the emulator's private CA is not trusted, verification is on by default.
        defaults = {**connection_without_ca(emulator), "retries": 0}
    else:
        emulator.inject("POST", "/auth", [{"delay": 2.5}])

    run = ansible.playbook([{"name": "login", TOKEN: {}}], connection=False, module_defaults=defaults)

    result = run.task("login")
    assert run.status("login") == "failed"
    assert result["msg"].startswith(f"Retrieving a token with api_key and api_secret failed: {kind}: ")
    assert result["failure"] == {"status": None, "code": kind, "message": result["failure"]["message"]}
    if kind == "timeout":
        assert [entry["fault"] for entry in faulted_requests(emulator, 1)] == [{"delay": 2.5}]
    else:
        assert emulator.requests() == []
    report(BAD_INPUTS, kind, result["msg"])


def test_ca_path_is_used_even_with_requests_ca_bundle_and_ssl_cert_file_set(ansible, emulator):
    env = {"REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE, "SSL_CERT_FILE": SYSTEM_BUNDLE, "CURL_CA_BUNDLE": SYSTEM_BUNDLE}

    run = ansible.playbook([{"name": "login", TOKEN: {}}, {"name": "read", INFO: {}}], env=env, shows=("tokens",))

    assert run.status("login") == "ok" and run.status("read") == "ok", run.output[-3000:]
    assert [entry["path"] for entry in emulator.requests()] == ["/auth", "/auth", "/api_keys"]


def test_ca_path_from_the_environment_is_used(ansible, emulator):
    env = {"FISKALY_CA_PATH": emulator.ca_path, "REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE}

    run = ansible.playbook([{"name": "login", TOKEN: {}}], connection=False, module_defaults=connection_without_ca(emulator), env=env, shows=("tokens",))

    assert run.status("login") == "ok", run.output[-3000:]
    assert len(auth_requests(emulator)) == 1


def test_validate_certs_false_connects_and_warns(ansible, emulator):
    defaults = {**connection_without_ca(emulator), "validate_certs": False}

    run = ansible.playbook([{"name": "login", TOKEN: {}}], connection=False, module_defaults=defaults, shows=("tokens",))

    result = run.task("login")
    assert run.status("login") == "ok", run.output[-3000:]
    assert any("validate_certs is false" in warning for warning in result["warnings"])
    assert "[WARNING]: validate_certs is false" in run.output
    # One warning from the module, not one from urllib3 per request.
    assert "InsecureRequestWarning" not in run.output
    assert len(auth_requests(emulator)) == 1


def test_http_base_url_is_refused_before_any_request(ansible, emulator):
    defaults = {**ansible.connection, "base_url": emulator.base_url.replace("https://", "http://")}

    run = ansible.playbook([{"name": "create", MODULE: {"name": "plain-http", "kind": "test"}}], connection=False, module_defaults=defaults)

    message = run.task("create")["msg"]
    assert run.status("create") == "failed"
    assert "base_url must be an https:// URL" in message
    assert emulator.requests() == [] and emulator.keys() == {}
    report(BAD_INPUTS, "http:// base_url", message)
