# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's secrets file on a fresh host: an empty HOME, Ansible's temporary directories elsewhere, pipelining on
and off. Unless told where, the role makes a private directory (0700) of its own for the file, removes both once the
secrets are in api_keys_created_secrets, and keeps both, named, after a run that failed mid-way. And a relative
secrets_file is reported as the absolute path where the file is."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from harness import report

ROLE = "fiskaly.management.api_keys"
PRIVATE_PREFIX = "fiskaly-api-keys."


@pytest.fixture
def short_tmp():
    """A temporary directory with a short path: ansible-core 2.21+ starts a local RPC server on a Unix socket in
    TMPDIR, whose path must stay within the 107 bytes a socket address allows (pytest's tmp_path under a nox
    session's own temporary directory does not)."""
    path = Path(tempfile.mkdtemp(prefix="fh-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fresh_host(tmp_path, *, remote_tmp: str, pipelining: bool, host_tmp: Path) -> tuple[dict, dict]:
    """The environment of a host that never ran Ansible: an empty HOME, and the host's temporary directory (TMPDIR)."""
    places = {"home": tmp_path / "home", "tmp": host_tmp, "remote-tmp": tmp_path / "remote-tmp"}
    for name in ("home", "remote-tmp"):
        places[name].mkdir()
    env = {"HOME": str(places["home"]), "TMPDIR": str(places["tmp"]), "ANSIBLE_PIPELINING": str(pipelining)}
    if remote_tmp == "elsewhere":
        env["ANSIBLE_REMOTE_TMP"] = str(places["remote-tmp"])
    # The harness already puts ANSIBLE_LOCAL_TEMP (and ANSIBLE_HOME) outside HOME.
    return env, places


def role_task(keys: list[str], **options) -> dict:
    return {
        "name": "fleet",
        "ansible.builtin.include_role": {"name": ROLE},
        "vars": {"api_keys_list": [{"name": name, "kind": "test"} for name in keys], **options},
    }


def minted_since(emulator, start: int) -> dict[str, str]:
    """The key secrets that the emulator minted since ``start``, by key name."""
    return {secret.owner: secret.value for secret in emulator.minted_secrets(start) if secret.kind == "key_secret"}


def left_in(directory) -> list[str]:
    """What the role left in a directory, and in any directory under it."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if "fiskaly" in str(path.relative_to(directory))
    )


@pytest.mark.parametrize("pipelining", [False, True], ids=["pipelining-off", "pipelining-on"])
@pytest.mark.parametrize("remote_tmp", ["default", "elsewhere"], ids=["remote-tmp-default", "remote-tmp-elsewhere"])
def test_the_role_works_on_first_use_of_a_fresh_host_and_leaves_nothing(
    ansible, emulator, tmp_path, remote_tmp, pipelining, short_tmp
):
    env, places = fresh_host(tmp_path, remote_tmp=remote_tmp, pipelining=pipelining, host_tmp=short_tmp)

    start = len(emulator.minted_secrets())

    run = ansible.playbook([role_task(["fresh-a", "fresh-b"])], env=env, keep=("api_keys_created_secrets",))

    assert run.rc == 0, run.output[-3000:]
    minted = minted_since(emulator, start)
    assert run.kept("api_keys_created_secrets") == minted and sorted(minted) == ["fresh-a", "fresh-b"]
    # The file and the private directory are gone; nothing was written to HOME.
    assert left_in(places["tmp"]) == [] and left_in(places["home"]) == []
    report(
        "role on a fresh host",
        f"remote tmp {remote_tmp}, pipelining {'on' if pipelining else 'off'}",
        "both keys created, secrets handed over, nothing left",
    )


def test_after_a_failure_mid_way_the_private_directory_keeps_the_named_file(ansible, emulator, tmp_path, short_tmp):
    env, places = fresh_host(tmp_path, remote_tmp="elsewhere", pipelining=True, host_tmp=short_tmp)
    emulator.inject("PUT", "/api_keys/kept-c", [{"status": 400}])
    task = role_task(["kept-a", "kept-b", "kept-c"], api_keys_max_concurrent_requests=1)
    tasks = [
        {
            "name": "declare",
            "block": [task],
            "rescue": [{"name": "rescued", "ansible.builtin.set_fact": {"api_keys_test_rescued": True}}],
        }
    ]
    start = len(emulator.minted_secrets())

    run = ansible.playbook(tasks, env=env, keep=("api_keys_result", "api_keys_test_rescued"))

    assert run.rc == 0 and run.kept("api_keys_test_rescued") is True
    directories = list(places["tmp"].iterdir())
    assert len(directories) == 1 and directories[0].name.startswith(PRIVATE_PREFIX)
    assert stat.S_IMODE(directories[0].stat().st_mode) == 0o700
    files = list(directories[0].iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    result = run.kept("api_keys_result")
    assert result["secrets_file"] == str(files[0]) and f"are in {files[0]}" in result["msg"]
    assert f"go to {files[0]} (mode 0600)" in run.output  # named before any key was created
    minted = minted_since(emulator, start)
    assert json.loads(files[0].read_text()) == minted and sorted(minted) == ["kept-a", "kept-b"]
    report(
        "role on a fresh host",
        "failed mid-way",
        "the private directory (0700) keeps the named 0600 file of both secrets",
    )


def test_check_mode_on_a_fresh_host_sends_no_write_and_leaves_nothing(ansible, emulator, tmp_path, short_tmp):
    env, places = fresh_host(tmp_path, remote_tmp="elsewhere", pipelining=True, host_tmp=short_tmp)

    run = ansible.playbook([role_task(["dry-a"])], env=env, check=True, keep=("api_keys_result",))

    assert run.rc == 0, run.output[-3000:]
    assert run.kept("api_keys_result")["summary"]["created"] == 1
    assert (
        emulator.keys() == {} and [entry for entry in emulator.requests() if entry["method"] in ("PUT", "PATCH")] == []
    )
    assert left_in(places["tmp"]) == [] and left_in(places["home"]) == []


def test_a_relative_secrets_file_is_reported_where_it_is(ansible, emulator, tmp_path):
    # With the local connection the module runs in ansible-playbook's directory (the harness's workdir).
    task = {
        "name": "fleet",
        "fiskaly.management.fiskaly_api_key": {
            "kind": "test",
            "api_keys": [{"name": "relative-a"}],
            "secrets_file": "relative.json",
        },
    }

    run = ansible.playbook([task])

    assert run.task("fleet")["secrets_file"] == str(ansible.workdir / "relative.json")
    assert list(json.loads((ansible.workdir / "relative.json").read_text())) == ["relative-a"]
    assert os.path.isabs(run.task("fleet")["secrets_file"])
