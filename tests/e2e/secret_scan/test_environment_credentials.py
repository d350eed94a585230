# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The FISKALY_* environment variables where a secret is among them, and ad hoc runs: what an ansible-test target cannot
hold. The task keyword ``environment:`` puts every variable on the EXEC line that ansible-core prints at -vvv, no_log or
not, so a target would print FISKALY_API_SECRET or FISKALY_ACCESS_TOKEN; here they are the environment of the
ansible-playbook or ansible process. The action group, option precedence, FISKALY_CA_PATH and bad input are the targets
tests/integration/targets/module_defaults and connection_options."""

from __future__ import annotations

import pytest

from harness import module_task


def fiskaly_env(emulator, **extra: str) -> dict:
    env = {
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": emulator.ca_path,
        "FISKALY_API_KEY": emulator.api_key,
        "FISKALY_API_SECRET": emulator.api_secret,
    }
    return {**env, **extra}


# ad hoc `ansible` loads callback plugins only when asked to; the harness reads results through one.
ADHOC = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}


def test_environment_variables_alone_configure_a_playbook(ansible, emulator):
    run = ansible.playbook(
        [
            module_task("token", "fiskaly_token"),
            module_task("create", "fiskaly_api_key", {"name": "pos-env-01", "kind": "test"}),
            module_task("list", "fiskaly_api_key_info"),
        ],
        connection=False,
        env=fiskaly_env(emulator),
        shows=("tokens", "pos-env-01"),
    )
    assert run.rc == 0, run.output
    assert run.task("token")["access_token"]
    assert run.task("create")["changed"] is True
    assert [key["name"] for key in run.task("list")["api_keys"]] == ["pos-env-01"]
    assert list(emulator.keys()) == ["pos-env-01"]
    # Each module logged in with the key pair from the environment.
    assert len(emulator.requests("POST", "/auth")) == 3


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("fiskaly_token", {}),
        ("fiskaly_api_key", {"name": "pos-adhoc-01", "kind": "test", "state": "disabled"}),
        ("fiskaly_api_key_info", {"order_by": "name"}),
    ],
)
def test_environment_variables_alone_configure_an_adhoc_run(ansible, emulator, module, args):
    emulator.seed_keys([{"name": "pos-adhoc-00", "kind": "live", "status": "enabled"}])
    # Ad hoc, the screen is the only place a result goes: it shows the new key's secret and the tokens.
    run = ansible.adhoc(module, args, env={**fiskaly_env(emulator), **ADHOC}, shows=("tokens", "pos-adhoc-01"))
    assert run.rc == 0, run.output
    result = run.task(f"fiskaly.management.{module}")
    if module == "fiskaly_token":
        assert result["access_token"] and result["refresh_token"]
    elif module == "fiskaly_api_key":
        assert result["changed"] is True and emulator.keys()["pos-adhoc-01"]["status"] == "disabled"
    else:
        assert [key["name"] for key in result["api_keys"]] == ["pos-adhoc-00"]
    assert emulator.requests()[0]["path"] == "/auth"
    assert [entry for entry in emulator.requests() if entry["status"] not in (200, 404)] == []


def test_access_token_from_the_environment_needs_no_login(ansible, emulator):
    token = ansible.secret(emulator.issue_token())
    env = {
        "FISKALY_BASE_URL": emulator.base_url,
        "FISKALY_CA_PATH": emulator.ca_path,
        "FISKALY_ACCESS_TOKEN": token,
        **ADHOC,
    }
    run = ansible.adhoc("fiskaly_api_key", {"name": "pos-env-token", "kind": "live"}, env=env, shows=("pos-env-token",))
    assert run.rc == 0, run.output
    assert run.task("fiskaly.management.fiskaly_api_key")["changed"] is True
    assert emulator.requests("POST", "/auth") == []
    assert [(entry["method"], entry["path"]) for entry in emulator.requests()] == [
        ("GET", "/api_keys/pos-env-token"),
        ("PUT", "/api_keys/pos-env-token"),
    ]
