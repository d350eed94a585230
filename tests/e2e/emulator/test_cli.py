# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator: its command line (python -m fiskaly_emulator) in a separate process."""

# pylint: disable=missing-function-docstring,redefined-outer-name  # pytest tests and fixtures
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

# Where the package lies in a checkout and in the installed collection: python -m finds it from there.
EMULATOR_DIR = Path(__file__).resolve().parents[3] / "emulator"
ENV_FILE_MARKER = "# written by the fiskaly Management API emulator; it removes this file when it stops"
# The env file an earlier emulator left behind: the only kind of existing file that the launcher replaces.
STALE = "stale-from-an-earlier-run"


def read_env_file(path: Path, process: subprocess.Popen[str], timeout: float = 20) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    # The launcher removes a stale file first, then writes the new one atomically once listening.
    while True:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        if "\nexport " in text and STALE not in text:
            break
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "emulator did not write its env file"
        time.sleep(0.05)
    values = {}
    for line in text.splitlines()[1:]:  # after the emulator's marker line
        name, _equals, value = line.removeprefix("export ").partition("=")
        values[name] = shlex.split(value)[0]
    return values


@pytest.fixture
def launch() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def start(launch: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    # Not a with-block: the launch fixture reaps the process even when the test fails.
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "fiskaly_emulator", *args],
        cwd=EMULATOR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    launch.append(process)
    return process


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_start_serve_and_stop(tmp_path: Path, launch: list[subprocess.Popen[str]], signum: int) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"name": "seeded-1", "kind": "live", "status": "enabled"}]), encoding="utf-8")
    env_file = tmp_path / "emulator.env"
    env_file.write_text(
        f"{ENV_FILE_MARKER}\nexport FISKALY_API_KEY={STALE}\nexport FISKALY_BASE_URL=https://127.0.0.1:1/api/v0\n",
        encoding="utf-8",
    )
    process = start(
        launch,
        "--port",
        "0",
        "--tls-dir",
        str(tmp_path / "tls"),
        "--env-file",
        str(env_file),
        "--seed",
        str(seed),
        "--api-key",
        "cli-key",
        "--api-secret",
        "cli-secret",
        "--access-token-ttl",
        "60",
    )
    env = read_env_file(env_file, process)
    assert set(env) == {"FISKALY_BASE_URL", "FISKALY_CA_PATH", "FISKALY_API_KEY", "FISKALY_API_SECRET"}
    assert env["FISKALY_API_KEY"] == "cli-key" and env["FISKALY_API_SECRET"] == "cli-secret"
    assert env["FISKALY_CA_PATH"] == str(tmp_path / "tls" / "ca.pem") and env["FISKALY_BASE_URL"].startswith(
        "https://127.0.0.1:"
    )
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    token = requests.post(
        env["FISKALY_BASE_URL"] + "/auth",
        json={"api_key": "cli-key", "api_secret": "cli-secret"},
        verify=env["FISKALY_CA_PATH"],
        timeout=10,
    ).json()
    assert token["access_token_expires_in"] == 60
    listed = requests.get(
        env["FISKALY_BASE_URL"] + "/api_keys",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        verify=env["FISKALY_CA_PATH"],
        timeout=10,
    ).json()
    assert [key["name"] for key in listed["data"]] == ["seeded-1"]
    stats = requests.get(
        env["FISKALY_BASE_URL"].replace("/api/v0", "/_emulator/stats"), verify=env["FISKALY_CA_PATH"], timeout=10
    ).json()
    assert stats["requests"] == 2
    process.send_signal(signum)
    stdout = process.communicate(timeout=20)[0]
    assert process.returncode == 0
    assert f"base_url: {env['FISKALY_BASE_URL']}" in stdout and "api_secret: cli-secret" in stdout
    assert f"export FISKALY_CA_PATH={env['FISKALY_CA_PATH']}" in stdout
    assert not env_file.exists()


def test_cli_defaults_print_documented_credentials(tmp_path: Path, launch: list[subprocess.Popen[str]]) -> None:
    env_file = tmp_path / "env"
    process = start(launch, "--port", "0", "--env-file", str(env_file), "--verbose")
    env = read_env_file(env_file, process)
    assert (env["FISKALY_API_KEY"], env["FISKALY_API_SECRET"]) == ("emulator-api-key", "emulator-api-secret")
    requests.get(env["FISKALY_BASE_URL"] + "/api_keys", verify=env["FISKALY_CA_PATH"], timeout=10)
    ca_path = Path(env["FISKALY_CA_PATH"])
    process.terminate()
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 0 and "GET /api_keys 401" in stderr
    assert not ca_path.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])
def test_cli_refuses_non_loopback(launch: list[subprocess.Popen[str]], host: str) -> None:
    process = start(launch, "--host", host, "--port", "0")
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 2 and "non-loopback" in stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "70000"],
        ["--access-token-ttl", "0"],
        ["--refresh-token-ttl", "x"],
        ["--bogus"],
        # whole-string rules: int() alone would take each of these
        ["--port", "8443\n"],
        ["--port", "+8443"],
        ["--access-token-ttl", "3_00"],
        ["--access-token-ttl", " 300"],
    ],
)
def test_cli_bad_arguments(launch: list[subprocess.Popen[str]], args: list[str]) -> None:
    process = start(launch, *args)
    process.communicate(timeout=20)
    assert process.returncode == 2


def test_cli_bad_seed(tmp_path: Path, launch: list[subprocess.Popen[str]]) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"name": "X", "kind": "live", "status": "enabled"}]), encoding="utf-8")
    process = start(launch, "--port", "0", "--seed", str(seed))
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 1 and "key name" in stderr


def test_cli_port_in_use_names_the_port_and_suggests_port_0(
    launch: list[subprocess.Popen[str]], emulator_server: object
) -> None:
    port = str(emulator_server.port)
    process = start(launch, "--port", port)
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 1 and f"cannot listen on 127.0.0.1 port {port}" in stderr and "--port 0" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("records", "named"),
    [
        (
            [
                {"name": "seed-ok", "kind": "live", "status": "enabled"},
                {"name": "seed-bad", "kind": "prod", "status": "enabled"},
            ],
            'seed record 1 ("seed-bad")',
        ),
        (
            [{"name": "seed-ok", "kind": "live", "status": "enabled"}, {"kind": "live", "status": "enabled"}],
            "seed record 1 (without a name)",
        ),
        (
            [
                {"name": "seed-a", "kind": "live", "status": "enabled"},
                {"name": "seed-a", "kind": "test", "status": "enabled"},
            ],
            'seed record 1 ("seed-a")',
        ),
    ],
)
def test_cli_seed_errors_name_the_record(
    tmp_path: Path, launch: list[subprocess.Popen[str]], records: list[object], named: str
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(records), encoding="utf-8")
    process = start(launch, "--port", "0", "--seed", str(seed))
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 1 and named in stderr and "Traceback" not in stderr


def test_cli_seed_file_that_is_no_json_is_named(tmp_path: Path, launch: list[subprocess.Popen[str]]) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text("[{nope", encoding="utf-8")
    process = start(launch, "--port", "0", "--seed", str(seed))
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 1 and f"--seed {seed}: " in stderr and "Traceback" not in stderr


def test_cli_relative_tls_dir_writes_absolute_paths(tmp_path: Path, launch: list[subprocess.Popen[str]]) -> None:
    env_file, json_file = tmp_path / "env", tmp_path / "emulator.json"
    # Started in the emulator's directory (python -m needs it), with a --tls-dir relative to there.
    tls = Path(os.path.relpath(tmp_path / "tls", EMULATOR_DIR))
    process = start(
        launch, "--port", "0", "--tls-dir", str(tls), "--env-file", str(env_file), "--json-file", str(json_file)
    )
    env = read_env_file(env_file, process)
    assert env["FISKALY_CA_PATH"] == str(tmp_path / "tls" / "ca.pem")
    assert read_json_file(json_file, process)["ca_path"] == str(tmp_path / "tls" / "ca.pem")
    # Sourced in another directory, the env file still leads to the CA.
    shell = f'. {shlex.quote(str(env_file))} && curl -s --cacert "$FISKALY_CA_PATH" "${{FISKALY_BASE_URL%/api/v0}}/_emulator/stats"'
    if shutil.which("curl"):
        answer = subprocess.run(
            ["sh", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=20, check=False
        )
        assert answer.returncode == 0 and '"requests"' in answer.stdout, answer.stderr


def test_cli_two_emulators_never_share_a_tls_dir_env_file_or_json_file(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    env_file, json_file, tls = tmp_path / "env", tmp_path / "emulator.json", tmp_path / "tls"
    first = start(
        launch, "--port", "0", "--tls-dir", str(tls), "--env-file", str(env_file), "--json-file", str(json_file)
    )
    env = read_env_file(env_file, first)
    read_json_file(json_file, first)
    ca, env_text, json_text = (
        (tls / "ca.pem").read_bytes(),
        env_file.read_text(encoding="utf-8"),
        json_file.read_text(encoding="utf-8"),
    )
    refusals = {
        "--tls-dir": (["--tls-dir", str(tls)], 1, f"{tls} is the --tls-dir of an emulator that is running"),
        "--env-file": (
            ["--env-file", str(env_file)],
            2,
            f"--env-file {env_file} belongs to an emulator that is running",
        ),
        "--json-file": (
            ["--json-file", str(json_file)],
            2,
            f"--json-file {json_file} belongs to an emulator that is running",
        ),
        "all three": (
            ["--tls-dir", str(tls), "--env-file", str(env_file), "--json-file", str(json_file)],
            2,
            "belongs to an emulator that is running",
        ),
    }
    for option, (args, status, message) in refusals.items():
        second = start(launch, "--port", "0", *args)
        stderr = second.communicate(timeout=20)[1]
        assert (second.returncode, message in stderr, "Traceback" in stderr) == (status, True, False), (option, stderr)
    # The first emulator's files are as it wrote them, and its TLS still works with its CA.
    assert (
        (tls / "ca.pem").read_bytes() == ca
        and env_file.read_text(encoding="utf-8") == env_text
        and json_file.read_text(encoding="utf-8") == json_text
    )
    assert (
        requests.get(
            env["FISKALY_BASE_URL"].replace("/api/v0", "/_emulator/stats"), verify=env["FISKALY_CA_PATH"], timeout=10
        ).status_code
        == 200
    )
    first.terminate()
    assert first.communicate(timeout=20) and first.returncode == 0
    # Once it stopped, the same paths are free again.
    again = start(
        launch, "--port", "0", "--tls-dir", str(tls), "--env-file", str(env_file), "--json-file", str(json_file)
    )
    env = read_env_file(env_file, again)
    assert (
        requests.get(
            env["FISKALY_BASE_URL"].replace("/api/v0", "/_emulator/stats"), verify=env["FISKALY_CA_PATH"], timeout=10
        ).status_code
        == 200
    )
    again.terminate()
    again.communicate(timeout=20)
    assert again.returncode == 0


def test_cli_help_names_every_output(launch: list[subprocess.Popen[str]]) -> None:
    process = start(launch, "--help")
    stdout = process.communicate(timeout=20)[0]
    assert process.returncode == 0 and "--env-file" in stdout and "--json-file" in stdout and "--idle-exit" in stdout
    assert "python -m fiskaly_emulator" in stdout


def read_json_file(path: Path, process: subprocess.Popen[str], timeout: float = 20) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "emulator did not write its JSON file"
        time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))


def test_cli_json_file_says_how_to_reach_it_and_goes_away_on_exit(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    json_file = tmp_path / "emulator.json"
    process = start(
        launch,
        "--port",
        "0",
        "--tls-dir",
        str(tmp_path / "tls"),
        "--json-file",
        str(json_file),
        "--api-key",
        "cli-key",
        "--api-secret",
        "cli-secret",
    )
    details = read_json_file(json_file, process)
    assert json_file.stat().st_mode & 0o777 == 0o600  # it holds the api_secret
    assert details["api_key"] == "cli-key" and details["api_secret"] == "cli-secret" and details["pid"] == process.pid
    assert details["ca_path"] == str(tmp_path / "tls" / "ca.pem")
    answer = requests.post(
        f"{details['base_url']}/auth",
        json={"api_key": "cli-key", "api_secret": "cli-secret"},
        verify=str(details["ca_path"]),
        timeout=10,
    )
    assert answer.status_code == 200
    admin = requests.get(f"{details['admin_url']}/requests", verify=str(details["ca_path"]), timeout=10)
    assert admin.status_code == 200
    process.terminate()
    process.communicate(timeout=20)
    assert process.returncode == 0 and not json_file.exists()


def assert_left_alone(launch: list[subprocess.Popen[str]], option: str, path: Path, content: str, kind: str) -> None:
    """Given option and a path that holds content not written by an emulator, the CLI exits 2 and leaves the file as it was."""
    path.write_text(content, encoding="utf-8")
    process = start(launch, "--port", "0", option, str(path))
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 2 and f"{option} {path} exists and is not {kind} that an emulator wrote" in stderr
    assert path.read_text(encoding="utf-8") == content and "Traceback" not in stderr


@pytest.mark.parametrize(
    "content", ['{"base_url": "https://fiskaly.example/api/v0"}', "not json", ""], ids=["foreign JSON", "text", "empty"]
)
def test_cli_never_replaces_a_json_file_it_did_not_write(
    tmp_path: Path, launch: list[subprocess.Popen[str]], content: str
) -> None:
    assert_left_alone(launch, "--json-file", tmp_path / "emulator.json", content, "a JSON file")


def test_cli_idle_exit_stops_after_that_long_without_a_connection(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    json_file = tmp_path / "emulator.json"
    started = time.monotonic()
    process = start(launch, "--port", "0", "--json-file", str(json_file), "--idle-exit", "2")
    details = read_json_file(json_file, process)
    for _request in range(3):  # each connection restarts the idle clock
        time.sleep(1)
        requests.get(f"{details['admin_url']}/requests", verify=str(details["ca_path"]), timeout=10)
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 0 and "--idle-exit" in stderr and not json_file.exists()
    assert time.monotonic() - started >= 5


@pytest.mark.parametrize(
    "content",
    [
        "API_TOKEN=project-secret\n",
        "",
        "export FISKALY_API_KEY=prod-key\nexport FISKALY_API_SECRET=prod\n",
        f"{ENV_FILE_MARKER}\nexport FISKALY_API_KEY=x\nrm -rf /\n",
    ],
    ids=["a project's .env", "empty", "hand-written FISKALY_* exports", "marker, exports and more"],
)
def test_cli_never_replaces_a_file_it_did_not_write(
    tmp_path: Path, launch: list[subprocess.Popen[str]], content: str
) -> None:
    assert_left_alone(launch, "--env-file", tmp_path / ".env", content, "an env file")


def test_cli_env_file_in_a_missing_directory_is_a_plain_error(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    process = start(launch, "--port", "0", "--env-file", str(tmp_path / "missing" / "env"))
    stderr = process.communicate(timeout=20)[1]
    assert process.returncode == 2 and f"the directory {tmp_path / 'missing'} does not exist" in stderr
    assert "Traceback" not in stderr


def test_cli_leaves_an_env_file_that_someone_else_replaced_on_exit(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    env_file = tmp_path / "env"
    process = start(launch, "--port", "0", "--env-file", str(env_file))
    read_env_file(env_file, process)
    env_file.unlink()
    env_file.write_text("theirs\n", encoding="utf-8")
    process.terminate()
    process.communicate(timeout=20)
    assert process.returncode == 0 and env_file.read_text(encoding="utf-8") == "theirs\n"


def test_cli_tls_dir_never_overwrites_a_foreign_ca_pem_but_reuses_its_own(
    tmp_path: Path, launch: list[subprocess.Popen[str]]
) -> None:
    tls = tmp_path / "tls"
    tls.mkdir()
    (tls / "ca.pem").write_text("my own CA\n", encoding="utf-8")
    refused = start(launch, "--port", "0", "--tls-dir", str(tls))
    stderr = refused.communicate(timeout=20)[1]
    assert (
        refused.returncode == 1
        and "exists and is not a CA that an emulator wrote" in stderr
        and "Traceback" not in stderr
    )
    assert (tls / "ca.pem").read_text(encoding="utf-8") == "my own CA\n"
    own = tmp_path / "own"
    for _run in range(2):  # a second run replaces the CA that the first wrote
        process = start(launch, "--port", "0", "--tls-dir", str(own), "--env-file", str(tmp_path / "env"))
        env = read_env_file(tmp_path / "env", process)
        assert env["FISKALY_CA_PATH"] == str(own / "ca.pem")
        process.terminate()
        process.communicate(timeout=20)
        assert process.returncode == 0
