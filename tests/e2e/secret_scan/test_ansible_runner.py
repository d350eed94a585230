# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret channels under ansible-runner, the component AWX and AAP run playbooks with: the job events it stores
(artifacts/<ident>/job_events/*.json, what AWX shows and keeps for every job) and its stdout show no secret the
emulator minted, no input secret and no traceback, while every secret still reaches where the docs say.

ansible-runner comes from tests/e2e/requirements.txt; where it is not installed the test is skipped, saying so."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness import BIN, PYTHON, leaked_inputs, leaked_minted, report, traceback_count
from harness.collection_path import collections_root

ansible_runner = pytest.importorskip(
    "ansible_runner", reason="ansible-runner is not installed (tests/e2e/requirements.txt)"
)

MODULE = "fiskaly.management.fiskaly_api_key"
TOKEN = "fiskaly.management.fiskaly_token"
INFO = "fiskaly.management.fiskaly_api_key_info"
ROLE = "fiskaly.management.api_keys"


def channels(out: Path, token_defaults: dict) -> list[dict]:
    """Every documented way to receive a secret, each handing it to a file of ``out`` so that the test sees it arrived."""

    def keep(variable: str) -> dict:
        return {
            "name": f"keep {variable}",
            "no_log": True,
            "ansible.builtin.copy": {
                "content": f"{{{{ {variable} | to_json }}}}",
                "dest": str(out / f"{variable}.json"),
                "mode": "0600",
            },
        }

    return [
        {"name": "one key", MODULE: {"name": "runner-one", "kind": "test"}, "register": "one", "no_log": True},
        keep("one"),
        {
            "name": "fleet",
            MODULE: {"kind": "live", "api_keys": [{"name": "runner-f1"}, {"name": "runner-f2"}]},
            "register": "fleet",
            "no_log": True,
        },
        keep("fleet"),
        {
            "name": "secret file",
            MODULE: {"name": "runner-file", "kind": "test", "secret_file": str(out / "one.secret")},
        },
        {
            "name": "secrets file",
            MODULE: {"kind": "test", "api_keys": [{"name": "runner-m1"}], "secrets_file": str(out / "many.json")},
        },
        {
            "name": "role",
            "ansible.builtin.include_role": {"name": ROLE},
            "vars": {
                "api_keys_list": [{"name": "runner-r1", "kind": "live"}],
                "api_keys_secrets_dir": str(out / "role"),
            },
        },
        {
            "name": "hand over",
            "ansible.builtin.set_fact": {"handed_over": "{{ api_keys_created_secrets }}"},
            "no_log": True,
        },
        keep("handed_over"),
        {"name": "login", TOKEN: {}, "register": "login", "no_log": True},
        {
            "name": "with the token",
            "module_defaults": token_defaults,
            "block": [{"name": "read", INFO: {"name": "runner-one"}, "register": "read"}],
        },
    ]


def test_the_job_events_of_ansible_runner_show_no_secret(emulator, tmp_path):
    out = tmp_path / "received"
    (out / "role").mkdir(parents=True, mode=0o700)
    private = tmp_path / "runner"
    (private / "project").mkdir(parents=True)
    token_defaults = {"group/fiskaly.management.fiskaly": {"access_token": "{{ login.access_token }}"}}
    play = {
        "name": "secret channels",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": channels(out, token_defaults),
    }
    (private / "project" / "channels.yml").write_text(json.dumps([play], indent=2))  # JSON is YAML
    # As AWX hands a credential to a job: in the environment, never in the playbook or its variables.
    envvars = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
        "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": str(emulator.ca_path),
        "FISKALY_API_KEY": emulator.api_key,
        "FISKALY_API_SECRET": emulator.api_secret,
    }

    runner = ansible_runner.run(
        private_data_dir=str(private),
        playbook="channels.yml",
        inventory="localhost ansible_connection=local",
        envvars=envvars,
        cmdline="--diff",
        verbosity=4,
        ident="channels",
        quiet=True,
    )

    artifacts = private / "artifacts" / "channels"
    stdout = (artifacts / "stdout").read_text(encoding="utf-8", errors="replace")
    assert runner.status == "successful" and runner.rc == 0, stdout[-3000:]
    events = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted((artifacts / "job_events").glob("*.json"))
    ]
    seen = stdout + "\n".join(json.dumps(event) for event in events)
    minted = emulator.minted_secrets()
    key_secrets = {secret.owner: secret.value for secret in minted if secret.kind == "key_secret"}
    # The secrets arrived where the docs say ...
    assert json.loads((out / "one.json").read_text())["secret"] == key_secrets["runner-one"]
    assert {item["name"]: item["secret"] for item in json.loads((out / "fleet.json").read_text())["fleet"]} == {
        "runner-f1": key_secrets["runner-f1"],
        "runner-f2": key_secrets["runner-f2"],
    }
    assert (out / "one.secret").read_text() == key_secrets["runner-file"]
    assert json.loads((out / "many.json").read_text()) == {"runner-m1": key_secrets["runner-m1"]}
    assert json.loads((out / "handed_over.json").read_text()) == {"runner-r1": key_secrets["runner-r1"]}
    # ... the job events hold every task (so the scan saw them) ...
    ok_tasks = {event["event_data"].get("task") for event in events if event["event"] == "runner_on_ok"}
    assert {"one key", "fleet", "secret file", "secrets file", "login", "read"} <= ok_tasks
    assert [
        event["event_data"]["res"]["count"]
        for event in events
        if event["event"] == "runner_on_ok" and event["event_data"].get("task") == "read"
    ] == [1]
    # ... and none of them, nor the stdout, shows a secret or a traceback.
    assert len(key_secrets) == 6 and any(secret.kind == "access_token" for secret in minted)
    assert leaked_inputs(seen, {emulator.api_secret, emulator.readonly_api_secret}) == []
    assert [f"{secret.kind} of {secret.owner}" for secret in leaked_minted(seen, minted)] == []
    assert traceback_count(seen) == 0
    report(
        "secret channels under ansible-runner",
        f"{len(events)} job events and stdout, -vvvv --diff",
        "0 minted secrets, 0 input secrets",
    )
