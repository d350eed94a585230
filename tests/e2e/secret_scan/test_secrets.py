# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No secret leaked or lost: input secrets never reach any output (the harness scans every run at -vvvv), a created
key's secret shows only in its own task's result, and secret files are written once, 0600, and never overwritten."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest
import requests

from harness import MASK, MASKS_SECRETS, report, writes

MODULE = "fiskaly.management.fiskaly_api_key"
TOKEN = "fiskaly.management.fiskaly_token"
INFO = "fiskaly.management.fiskaly_api_key_info"
BAD_INPUTS = "bad inputs tried (each refused with a message, no traceback)"


def refresh_token_of(emulator) -> str:
    """A refresh token obtained outside Ansible, so that it is an input of the run and no output of it."""
    answer = requests.post(
        f"{emulator.base_url}/auth",
        json={"api_key": emulator.api_key, "api_secret": emulator.api_secret},
        verify=emulator.ca_path,
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["refresh_token"]


def sections(output: str) -> dict[str, str]:
    """The -vvvv output of each task, by task name."""
    parts = output.split("TASK [")[1:]
    return {part.split("]", 1)[0]: part for part in parts}


def test_input_secrets_stay_out_of_results_diffs_warnings_and_errors_at_vvvv(ansible, emulator):
    access_token = ansible.secret(emulator.issue_token())
    refresh_token = ansible.secret(refresh_token_of(emulator))
    wrong_secret = ansible.secret("wrong-api-secret-3f9a1c")
    garbage_token = ansible.secret("not-a-jwt-7d2e5b")
    unknown_refresh = ansible.secret("unknown-refresh-token-c41b9e")
    without_pair = {"api_key": None, "api_secret": None}
    tasks = [
        {"name": "read with access_token", INFO: {"access_token": access_token, **without_pair}},
        {"name": "refresh", TOKEN: {"refresh_token": refresh_token, **without_pair}},
        {"name": "create with diff", MODULE: {"name": "secret-diff", "kind": "test", "state": "disabled"}},
        {"name": "insecure", TOKEN: {"validate_certs": False}},
        {"name": "wrong api_secret", TOKEN: {"api_secret": wrong_secret}, "ignore_errors": True},
        {"name": "rejected access_token", INFO: {"access_token": garbage_token, **without_pair}, "ignore_errors": True},
        {
            "name": "unknown refresh_token",
            TOKEN: {"refresh_token": unknown_refresh, **without_pair},
            "ignore_errors": True,
        },
    ]

    run = ansible.playbook(tasks, diff=True, shows=("secret-diff", "tokens"))

    # Each path the brief names was really taken (the scan itself runs in the harness, on all output).
    assert [run.status(task["name"]) for task in tasks] == [
        "ok",
        "ok",
        "changed",
        "ok",
        "failed",
        "failed",
        "failed",
    ], run.output[-3000:]
    assert run.task("create with diff")["diff"]["after"]["status"] == "disabled"
    assert run.task("insecure")["warnings"]
    for name, status in (("wrong api_secret", 401), ("rejected access_token", 401), ("unknown refresh_token", 401)):
        assert run.task(name)["failure"]["status"] == status
        report(BAD_INPUTS, name, run.task(name)["msg"])
    for secret in (access_token, refresh_token, wrong_secret, garbage_token, unknown_refresh, emulator.api_secret):
        assert secret not in run.output
    report(
        "secrets",
        "input api_secret, access_token, refresh_token (7 tasks, -vvvv, diff)",
        "absent from output, results, diffs, warnings, errors",
    )


def test_secret_from_the_environment_stays_out_of_a_failure(ansible, emulator):
    wrong_secret = ansible.secret("env-wrong-secret-8b1f0d")
    env = {
        "FISKALY_API_KEY": emulator.api_key,
        "FISKALY_API_SECRET": wrong_secret,
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": emulator.ca_path,
    }

    run = ansible.playbook([{"name": "login", TOKEN: {}}], connection=False, env=env)

    assert run.status("login") == "failed" and run.task("login")["failure"]["status"] == 401
    assert wrong_secret not in run.output and len(emulator.requests("POST", "/auth")) == 1


def test_created_secret_appears_only_in_the_result_of_the_task_that_created_it(ansible, emulator):
    tasks = [
        {"name": "create", MODULE: {"name": "secret-once", "kind": "live"}, "register": "created"},
        {"name": "again", MODULE: {"name": "secret-once", "kind": "live"}},
        {"name": "read", INFO: {"name": "secret-once"}},
    ]

    run = ansible.playbook(tasks, diff=True, keep=("created",), shows=("secret-once",))

    secret = run.kept("created")["secret"]
    assert isinstance(secret, str) and len(secret) >= 16
    assert secret not in json.dumps(run.task("create")["diff"])
    others = [entry for entry in run.results if entry["task"] != "create"]
    assert {entry["task"] for entry in others} == {"again", "read", "keep created"} and all(
        secret not in json.dumps(entry) for entry in others
    )
    shown = sections(run.stdout)
    assert all(secret not in text for name, text in shown.items() if name != "create")
    assert run.status("again") == "ok" and "secret" not in run.task("again")
    if MASKS_SECRETS:
        # ansible-core 2.22+: a registered result's secret is masked in every display and callback, kept in the
        # variable.
        assert run.task("create")["secret"] == MASK and secret not in shown["create"] and MASK in shown["create"]
        report(
            "secrets",
            "created key's secret, registered (2.22+)",
            "masked in every output and callback; the variable keeps it",
        )
    else:
        assert run.task("create")["secret"] == secret and secret in shown["create"]
        report(
            "secrets", "created key's secret", "only in the creating task's result; not in its diff, nor in later tasks"
        )


def test_secret_file_gets_the_secret_once_with_mode_0600_and_keeps_it_out_of_the_output(ansible, emulator, tmp_path):
    path = tmp_path / "keys" / "pos.secret"
    path.parent.mkdir()
    tasks = [
        {"name": "create", MODULE: {"name": "secret-file", "kind": "test", "secret_file": str(path)}},
        # The key exists now: nothing to write, and the existing file is left alone.
        {"name": "again", MODULE: {"name": "secret-file", "kind": "test", "secret_file": str(path)}},
    ]

    run = ansible.playbook(tasks, diff=True)

    assert run.status("create") == "changed" and run.status("again") == "ok", run.output[-3000:]
    secret = path.read_text()
    assert secret and secret not in run.output and secret not in json.dumps(run.results)
    result = run.task("create")
    assert result["secret_file"] == str(path) and "secret" not in result
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(path.parent) == ["pos.secret"]  # no temporary file left behind
    assert "secret_file" not in run.task("again") and path.read_text() == secret
    report(
        "secrets",
        "secret_file",
        "written once, mode 0600, no temp file left, secret not in output; existing key: file untouched",
    )


def test_existing_secret_file_fails_the_task_before_the_key_is_created(ansible, emulator, tmp_path):
    path = tmp_path / "pos.secret"
    path.write_text("an older secret\n")

    run = ansible.playbook(
        [{"name": "create", MODULE: {"name": "secret-taken", "kind": "test", "secret_file": str(path)}}]
    )

    message = run.task("create")["msg"]
    assert run.status("create") == "failed" and "already exists" in message and "never overwritten" in message
    assert writes(emulator) == [] and emulator.keys() == {}
    assert path.read_text() == "an older secret\n"
    report(BAD_INPUTS, "secret_file that exists, key missing", message)


def test_check_mode_writes_no_secret_file_and_sends_no_write(ansible, emulator, tmp_path):
    path = tmp_path / "pos.secret"
    secrets_file = tmp_path / "fleet.json"
    tasks = [
        {"name": "one", MODULE: {"name": "secret-check", "kind": "test", "secret_file": str(path)}},
        {
            "name": "fleet",
            MODULE: {
                "kind": "test",
                "api_keys": [{"name": "check-a"}, {"name": "check-b"}],
                "secrets_file": str(secrets_file),
            },
        },
    ]

    run = ansible.playbook(tasks, check=True)

    assert run.status("one") == "changed" and run.status("fleet") == "changed"
    assert not path.exists() and not secrets_file.exists()
    assert writes(emulator) == [] and emulator.keys() == {}
    report("secrets", "check mode with secret_file / secrets_file", "no file, no write")


def test_secrets_file_of_a_fleet_holds_every_new_secret_and_the_result_none(ansible, emulator, tmp_path):
    emulator.seed_keys([{"name": "fleet-old", "kind": "live", "status": "enabled"}])
    path = tmp_path / "fleet.json"
    names = ["fleet-old", "fleet-new-1", "fleet-new-2"]

    run = ansible.playbook(
        [
            {
                "name": "fleet",
                MODULE: {"kind": "live", "api_keys": [{"name": name} for name in names], "secrets_file": str(path)},
            }
        ]
    )

    result = run.task("fleet")
    assert run.status("fleet") == "changed" and result["secrets_file"] == str(path)
    secrets = json.loads(path.read_text())
    assert sorted(secrets) == ["fleet-new-1", "fleet-new-2"] and all(secrets.values())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert all("secret" not in item for item in result["fleet"])
    assert not any(secret in run.output for secret in secrets.values())
    report("secrets", "secrets_file (fleet)", "new keys' secrets only in the file (0600), not in results or output")


def test_an_empty_secret_file_or_secrets_file_is_refused_before_any_request(ansible, emulator):
    # A variable that rendered empty must not turn into "no file", which would put the secret in the result and the
    # logs.
    tasks = [
        {"name": "one", MODULE: {"name": "empty-path", "kind": "test", "secret_file": ""}, "ignore_errors": True},
        {
            "name": "fleet",
            MODULE: {"kind": "test", "api_keys": [{"name": "empty-a"}], "secrets_file": ""},
            "ignore_errors": True,
        },
    ]

    run = ansible.playbook(tasks)

    for name, option in (("one", "secret_file"), ("fleet", "secrets_file")):
        assert run.status(name) == "failed" and f"{option} must not be empty" in run.task(name)["msg"]
        report(BAD_INPUTS, f'{option}: ""', run.task(name)["msg"])
    assert emulator.requests() == [] and emulator.keys() == {}


def test_secret_file_paths_the_os_would_refuse_fail_before_the_key_is_created_in_check_mode_too(
    ansible, emulator, tmp_path
):
    keys = tmp_path / "keys"
    keys.mkdir()
    cases = {
        "trailing slash": str(keys) + "/",
        "missing/..": str(keys / "missing" / ".." / "pos.secret"),
        "pseudo file system": "/sys/fiskaly-pos.secret",  # os.access() calls it writable, yet it refuses new files
    }
    tasks = [
        {"name": case, MODULE: {"name": "odd-path", "kind": "test", "secret_file": path}, "ignore_errors": True}
        for case, path in cases.items()
    ]
    tasks.append(
        {
            "name": "fleet",
            MODULE: {"kind": "test", "api_keys": [{"name": "odd-a"}], "secrets_file": cases["missing/.."]},
            "ignore_errors": True,
        }
    )

    for check in (True, False):
        run = ansible.playbook(tasks, check=check)
        for name in [*cases, "fleet"]:
            assert run.status(name) == "failed", (name, run.task(name))
            assert "secret" not in run.task(name) and "file" in run.task(name)["msg"]
            report(BAD_INPUTS, f"secret file path: {name}{' (check mode)' if check else ''}", run.task(name)["msg"])
        assert writes(emulator) == [] and emulator.keys() == {}
    assert os.listdir(keys) == []


@pytest.fixture
def full_disk(tmp_path):
    """A file system with room for new files but none for their content: a full disk, for real (a 4 KiB tmpfs, filled)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full file system needs root to mount a tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k,mode=1777", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount refused here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        (mount_point / "filler").write_bytes(b"\0" * 4096)
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_secret_that_a_full_disk_refuses_goes_to_a_named_fallback_file(ansible, emulator, tmp_path, full_disk):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    task = {
        "name": "create",
        MODULE: {"name": "full-one", "kind": "test", "secret_file": str(full_disk / "pos.secret")},
        "environment": {"TMPDIR": str(elsewhere)},
    }

    run = ansible.playbook([task], verbosity=0)

    result = run.task("create")
    fallback = result["secret_file"]
    assert run.status("create") == "changed" and os.path.dirname(fallback) == str(elsewhere)
    assert (
        os.path.basename(fallback).startswith("fiskaly-secret-pos.secret.")
        and stat.S_IMODE(os.stat(fallback).st_mode) == 0o600
    )
    minted = [secret.value for secret in emulator.minted_secrets() if secret.owner == "full-one"]
    assert open(fallback, encoding="utf-8").read() == minted[0] and "secret" not in result
    # The warning names it, at the default verbosity (2.16 wraps warnings, so compare without white space).
    assert "".join(f"the secrets are in {fallback} instead".split()) in "".join(run.output.split())
    assert not (full_disk / "pos.secret").exists()
    report(
        "secrets",
        "secret_file on a full disk",
        "secret in a named 0600 fallback file, which the result and a warning name",
    )
