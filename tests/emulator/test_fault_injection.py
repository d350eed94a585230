"""Emulator: fault injection (status, HTML, drop, delay, lost response) and its request log entries."""
# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from fiskaly_emulator import Emulator
import wire

CREATE = {"kind": "test", "status": "enabled"}


def call(emu: Emulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return wire.call(emu, method, path, emu.issue_token(), **kwargs)


@pytest.mark.parametrize("status", [400, 429, 500, 502, 503, 504, 599])
def test_status_fault_has_json_error_body(emulator: Emulator, status: int) -> None:
    emulator.inject("GET", "/api_keys", [{"status": status}])
    response = call(emulator, "GET", "/api_keys")
    body = response.json()
    assert response.status_code == status and set(body) == {"status_code", "error", "code", "message"} and body["status_code"] == status
    assert "Retry-After" not in response.headers
    assert call(emulator, "GET", "/api_keys").status_code == 200


def test_retry_after(emulator: Emulator) -> None:
    emulator.inject("GET", "/api_keys", [{"status": 429, "retry_after": 2}, {"status": 503, "retry_after": 0.25}])
    first = call(emulator, "GET", "/api_keys")
    assert first.status_code == 429 and first.json()["code"] == "E_RATE_LIMITED" and first.headers["Retry-After"] == "2"
    second = call(emulator, "GET", "/api_keys")
    assert second.status_code == 503 and second.headers["Retry-After"] == "0.25"


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
    assert emulator.requests() == [{"method": "PUT", "path": "/api_keys/abc", "query": {}, "status": None, "fault": {"drop": True}}]
    assert call(emulator, "PUT", "/api_keys/abc", json=CREATE).status_code == 200


def test_drop_on_a_keep_alive_session(emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with requests.Session() as session:
        assert session.get(emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10).status_code == 200
        emulator.inject("GET", "/api_keys", [{"drop": True}])
        with pytest.raises(requests.ConnectionError):
            session.get(emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10)
        assert session.get(emulator.base_url + "/api_keys", headers=headers, verify=emulator.ca_path, timeout=10).status_code == 200


def test_lose_response_changes_state(emulator: Emulator) -> None:
    emulator.inject("PUT", "/api_keys/*", [{"lose_response": True}])
    with pytest.raises(requests.ConnectionError):
        call(emulator, "PUT", "/api_keys/abc", json=CREATE)
    assert "abc" in emulator.keys() and emulator.create_count("abc") == 1
    assert emulator.requests()[-1] == {"method": "PUT", "path": "/api_keys/abc", "query": {}, "status": 200, "fault": {"lose_response": True}}
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


@pytest.mark.parametrize("faults", [
    [], [{}], [{"status": 200}], [{"status": 600}], [{"status": "503"}], [{"status": True}], [{"status": 503, "bogus": 1}],
    [{"drop": False}], [{"drop": True, "status": 503}], [{"lose_response": True, "drop": True}], [{"retry_after": 1}], [{"html": True}],
    [{"status": 503, "retry_after": -1}], [{"delay": -1}], [{"delay": "1"}], [{"delay": 601}], [{"status": 503, "html": "yes"}], ["503"],
])
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
