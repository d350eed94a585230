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
