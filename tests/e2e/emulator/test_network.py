# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: network conditions (--latency, --rate-limit), set at start, by set_network() and by the admin API."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import wire
from test_cli import EMULATOR_DIR, read_json_file, start

from fiskaly_emulator import Emulator
from fiskaly_emulator.cli import build_parser
from fiskaly_emulator.network import TokenBucket

CREATE = {"kind": "test", "status": "enabled"}
UNLIMITED = {"latency": 0.0, "rate_limit": None}


@pytest.fixture
def launch() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def admin(emu: Emulator, method: str, name: str, **kwargs: Any) -> requests.Response:
    root = emu.base_url[: -len("/api/v0")]
    return requests.request(method, f"{root}/_emulator/{name}", verify=emu.ca_path, timeout=10, **kwargs)


def timed(operation: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = operation()
    return result, time.monotonic() - started


def burst(
    emu: Emulator, count: int, method: str = "GET", path: str = "/api_keys", **kwargs: Any
) -> list[requests.Response]:
    # One keep-alive connection: the burst is over long before the bucket gains a token.
    token = emu.issue_token()
    with requests.Session() as session:
        return [
            session.request(
                method,
                emu.base_url + path.format(number=number),
                headers={"Authorization": f"Bearer {token}"},
                verify=emu.ca_path,
                timeout=10,
                **kwargs,
            )
            for number in range(count)
        ]


# Latency


def test_latency_delays_each_answer_and_is_in_the_request_log(emulator: Emulator) -> None:
    assert emulator.set_network(latency=0.3) == {"latency": 0.3, "rate_limit": None}
    response, seconds = timed(lambda: wire.call(emulator, "GET", "/api_keys", emulator.issue_token()))
    assert response.status_code == 200 and seconds >= 0.3
    [entry] = emulator.requests()
    assert entry["finished"] - entry["started"] >= 0.3
    # The server's own handling time leaves the latency out.
    assert emulator.stats()["handler_seconds"] < 0.3


def test_concurrent_requests_wait_out_their_latency_together(emulator: Emulator) -> None:
    emulator.set_network(latency=0.3)
    token = emulator.issue_token()
    with ThreadPoolExecutor(10) as pool:
        answers, seconds = timed(
            lambda: list(pool.map(lambda _number: wire.call(emulator, "GET", "/api_keys", token), range(10)))
        )
    assert [answer.status_code for answer in answers] == [200] * 10
    # One after the other would take 3 s; together, about one latency plus ten TLS handshakes.
    assert seconds < 2.0
    log = emulator.requests()
    assert len(log) == 10 and all(entry["finished"] - entry["started"] >= 0.3 for entry in log)
    assert max(entry["finished"] for entry in log) - min(entry["started"] for entry in log) < 2.0


def test_latency_delays_errors_and_faults_too(emulator: Emulator) -> None:
    emulator.set_network(latency=0.3)
    unauthorized, seconds = timed(lambda: wire.call(emulator, "GET", "/api_keys"))
    assert unauthorized.status_code == 401 and seconds >= 0.3
    emulator.inject("GET", "/api_keys", [{"status": 503}])
    fault, seconds = timed(lambda: wire.call(emulator, "GET", "/api_keys", emulator.issue_token()))
    assert fault.status_code == 503 and seconds >= 0.3
    emulator.inject("GET", "/api_keys", [{"delay": 0.2}])
    delayed, seconds = timed(lambda: wire.call(emulator, "GET", "/api_keys", emulator.issue_token()))
    assert delayed.status_code == 200 and seconds >= 0.5  # the fault's delay comes on top
    too_large, seconds = timed(
        lambda: wire.call(emulator, "PUT", "/api_keys/abc", emulator.issue_token(), data=b"x" * (1024 * 1024 + 1))
    )
    assert too_large.status_code == 413 and seconds >= 0.3


def test_latency_leaves_the_admin_api_alone(emulator: Emulator) -> None:
    emulator.set_network(latency=3.0)
    for name in ("stats", "requests", "network"):
        response, seconds = timed(lambda name=name: admin(emulator, "GET", name))
        assert response.status_code == 200 and seconds < 1.5, name


# Rate limit


def test_token_bucket_arithmetic() -> None:
    now = [100.0]
    bucket = TokenBucket(4, clock=lambda: now[0])
    assert [bucket.take() for _number in range(4)] == [0.0] * 4
    assert bucket.take() == pytest.approx(0.25)
    now[0] += 0.125  # half a token
    assert bucket.take() == pytest.approx(0.125)
    now[0] += 0.125
    assert bucket.take() == 0.0
    now[0] += 60  # never more than one second's worth
    assert [bucket.take() for _number in range(5)][-1] > 0


def test_a_burst_gets_exactly_the_limit_then_429s_with_the_contracts_body(emulator: Emulator) -> None:
    emulator.set_network(rate_limit=3)
    answers = burst(emulator, 7)
    assert [answer.status_code for answer in answers] == [200] * 3 + [429] * 4
    for answer in answers[3:]:
        body = wire.assert_error(answer, 429, "E_RATE_LIMITED")
        assert "3 requests per second" in body["message"]
        assert answer.headers["Retry-After"].isdigit() and int(answer.headers["Retry-After"]) >= 1
    log = emulator.requests()
    assert [entry["status"] for entry in log] == [200] * 3 + [429] * 4 and all(entry["fault"] is None for entry in log)
    stats = emulator.stats()
    assert stats["rate_limited"] == 4 and stats["requests"] == 7 and stats["faults"] == 0


def test_a_rate_limited_request_is_not_carried_out(emulator: Emulator) -> None:
    emulator.set_network(rate_limit=2)
    emulator.inject("PUT", "/api_keys/*", [{"status": 503}])
    answers = burst(emulator, 5, "PUT", "/api_keys/key-{number}", json=CREATE)
    # The first takes the fault, the second creates; the rest never reach the API, nor the next fault.
    assert [answer.status_code for answer in answers] == [503, 200, 429, 429, 429]
    assert list(emulator.keys()) == ["key-1"]
    assert [emulator.create_count(f"key-{number}") for number in range(5)] == [0, 1, 0, 0, 0]
    assert emulator.pending_faults() == []


def test_tokens_come_back_after_retry_after(emulator: Emulator) -> None:
    emulator.set_network(rate_limit=3)
    answers = burst(emulator, 4)
    assert answers[-1].status_code == 429
    time.sleep(int(answers[-1].headers["Retry-After"]))
    assert [answer.status_code for answer in burst(emulator, 4)] == [200, 200, 200, 429]


def test_a_429_travels_with_the_latency_too(emulator: Emulator) -> None:
    emulator.set_network(latency=0.3, rate_limit=1)
    answers, seconds = timed(lambda: burst(emulator, 2))
    assert [answer.status_code for answer in answers] == [200, 429] and seconds >= 0.6
    assert emulator.requests()[-1]["finished"] - emulator.requests()[-1]["started"] >= 0.3


def test_other_paths_and_the_admin_api_are_not_rate_limited(emulator: Emulator) -> None:
    emulator.set_network(rate_limit=1)
    assert [admin(emulator, "GET", "stats").status_code for _number in range(5)] == [200] * 5
    assert [answer.status_code for answer in burst(emulator, 2)] == [200, 429]


# Changing the network


@pytest.mark.parametrize(
    "settings",
    [
        {"latency": -0.1},
        {"latency": 60.5},
        {"latency": "0.1"},
        {"latency": True},
        {"latency": None},
        {"latency": math.nan},
        {"latency": math.inf},
        {"rate_limit": 0},
        {"rate_limit": -5},
        {"rate_limit": 1.5},
        {"rate_limit": "10"},
        {"rate_limit": True},
        {"rate_limit": 10**7},
        {"latency": 0.1, "rate_limit": 0},  # all or nothing: the good latency is not taken either
    ],
)
def test_set_network_refuses_bad_values_and_changes_nothing(emulator: Emulator, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"latency|rate_limit"):
        emulator.set_network(**settings)
    assert emulator.network_settings() == UNLIMITED
    if not any(isinstance(value, float) and not math.isfinite(value) for value in settings.values()):  # JSON has no nan
        response = admin(emulator, "POST", "network", json=settings)
        body = wire.assert_error(response, 400, "E_VALIDATION")
        assert "latency" in body["message"] or "rate_limit" in body["message"]
        assert emulator.network_settings() == UNLIMITED


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"latency": 60}, {"latency": 60.0, "rate_limit": None}),
        ({"latency": 0, "rate_limit": 1}, {"latency": 0.0, "rate_limit": 1}),
    ],
)
def test_set_network_takes_the_bounds(emulator: Emulator, settings: dict[str, Any], expected: dict[str, Any]) -> None:
    assert emulator.set_network(**settings) == expected == emulator.network_settings()


def test_admin_network_endpoint(emulator: Emulator) -> None:
    assert admin(emulator, "GET", "network").json() == UNLIMITED
    assert admin(emulator, "POST", "network", json={"latency": 0.05, "rate_limit": 100}).json() == {
        "latency": 0.05,
        "rate_limit": 100,
    }
    # A setting left out stays; null lifts the limit.
    assert admin(emulator, "POST", "network", json={"latency": 0}).json() == {"latency": 0.0, "rate_limit": 100}
    assert admin(emulator, "POST", "network", json={"rate_limit": None}).json() == UNLIMITED
    assert emulator.network_settings() == UNLIMITED
    for body in ({}, {"jitter": 1}, [0.1], "fast", None):
        bad = wire.assert_error(admin(emulator, "POST", "network", json=body), 400, "E_VALIDATION")
        assert "latency" in bad["message"] and "rate_limit" in bad["message"]
    assert wire.assert_error(admin(emulator, "POST", "network", data=b"{nope"), 400, "E_INVALID_JSON")
    refused = admin(emulator, "PUT", "network", json={"latency": 1})
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, POST"


def test_admin_request_log_has_the_times(emulator: Emulator) -> None:
    wire.call(emulator, "GET", "/api_keys", emulator.issue_token())
    [entry] = admin(emulator, "GET", "requests").json()["requests"]
    assert entry["started"] <= entry["finished"] <= time.monotonic()
    assert [entry] == emulator.requests()


def test_reset_restores_the_constructors_network(tmp_path: Path) -> None:
    with Emulator(tls_dir=tmp_path, latency=0.05, rate_limit=2) as emu:
        assert emu.network_settings() == {"latency": 0.05, "rate_limit": 2}
        assert [answer.status_code for answer in burst(emu, 3)] == [200, 200, 429]
        emu.set_network(latency=0, rate_limit=None)
        emu.reset()
        assert emu.network_settings() == {"latency": 0.05, "rate_limit": 2}
        # A full bucket again, and a fresh count.
        assert [answer.status_code for answer in burst(emu, 3)] == [200, 200, 429] and emu.stats()["rate_limited"] == 1
        emu.set_network(rate_limit=50)
        assert admin(emu, "POST", "reset").status_code == 200 and emu.network_settings() == {
            "latency": 0.05,
            "rate_limit": 2,
        }


@pytest.mark.parametrize("settings", [{"latency": -1}, {"latency": 61}, {"rate_limit": 0}, {"rate_limit": 2.0}])
def test_constructor_refuses_bad_network(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Emulator(**settings)


def test_session_reset_goes_back_to_no_limit(emulator: Emulator) -> None:
    emulator.set_network(latency=0.2, rate_limit=1)
    emulator.reset()
    assert emulator.network_settings() == UNLIMITED
    assert [answer.status_code for answer in burst(emulator, 5)] == [200] * 5


# The emulator fixture's parameter


@pytest.mark.parametrize("emulator", [{"latency": 0.05, "rate_limit": 2}], indirect=True)
def test_the_fixture_takes_the_network_as_a_parameter(emulator: Emulator) -> None:
    assert emulator.network_settings() == {"latency": 0.05, "rate_limit": 2}
    answers, seconds = timed(lambda: burst(emulator, 3))
    assert [answer.status_code for answer in answers] == [200, 200, 429] and seconds >= 0.15


def test_the_fixture_restores_the_network_after_the_test(tmp_path: Path) -> None:
    # In a pytest run of its own, in this order: a test with the parameter, then one that sees the session emulator as
    # it is.
    (tmp_path / "test_order.py").write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('emulator', [{'latency': 0.01, 'rate_limit': 7}], indirect=True)\n"
        "def test_with(emulator):\n"
        "    assert emulator.network_settings() == {'latency': 0.01, 'rate_limit': 7}\n"
        "def test_after(emulator_server):\n"
        "    assert emulator_server.network_settings() == {'latency': 0.0, 'rate_limit': None}\n"
        "def test_without(emulator):\n"
        "    assert emulator.network_settings() == {'latency': 0.0, 'rate_limit': None}\n",
        encoding="utf-8",
    )
    tests_dir = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EMULATOR_DIR), str(tests_dir)])}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "conftest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr


# The command line


def test_cli_parses_the_network_options() -> None:
    assert vars(build_parser().parse_args([])).items() >= {"latency": 0.0, "rate_limit": None}.items()
    args = build_parser().parse_args(["--latency", "0.05", "--rate-limit", "100"])
    assert (args.latency, args.rate_limit) == (0.05, 100)
    assert build_parser().parse_args(["--latency", "60", "--rate-limit", "1"]).latency == 60.0
    assert build_parser().parse_args(["--latency", ".5"]).latency == 0.5


@pytest.mark.parametrize(
    "args",
    [
        ["--latency", "-0.1"],
        ["--latency", "60.01"],
        ["--latency", "nan"],
        ["--latency", "inf"],
        ["--latency", "1e1"],
        ["--latency", " 0.1"],
        ["--latency", "fast"],
        ["--rate-limit", "0"],
        ["--rate-limit", "-1"],
        ["--rate-limit", "1.5"],
        ["--rate-limit", "1000001"],
        ["--rate-limit", "+5"],
    ],
)
def test_cli_refuses_bad_network_options(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser("fiskaly-emulator").parse_args(args)
    assert exited.value.code == 2 and args[0] in capsys.readouterr().err


def test_cli_starts_with_the_network_options(tmp_path: Path, launch: list[subprocess.Popen[str]]) -> None:
    json_file = tmp_path / "emulator.json"
    process = start(launch, "--port", "0", "--json-file", str(json_file), "--latency", "0.05", "--rate-limit", "1")
    details = read_json_file(json_file, process)
    network = requests.get(f"{details['admin_url']}/network", verify=str(details["ca_path"]), timeout=10)
    assert network.json() == {"latency": 0.05, "rate_limit": 1}
    login = {"api_key": details["api_key"], "api_secret": details["api_secret"]}
    with requests.Session() as session:
        answers, seconds = timed(
            lambda: [
                session.post(f"{details['base_url']}/auth", json=login, verify=str(details["ca_path"]), timeout=10)
                for _n in range(2)
            ]
        )
    assert [answer.status_code for answer in answers] == [200, 429] and seconds >= 0.1
    assert json.loads(answers[-1].text)["code"] == "E_RATE_LIMITED"
    process.terminate()
    process.communicate(timeout=20)
    assert process.returncode == 0
