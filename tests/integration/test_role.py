"""The api_keys role hands the secrets of new keys to api_keys_created_secrets, removes its secrets file after a run
that succeeded, and keeps it, named in the failure, after a run that failed mid-way."""

from __future__ import annotations

import json
import os
import stat

from harness import report

ROLE = "fiskaly.management.api_keys"
RECONCILE = f"{ROLE} : Reconcile the declared API keys"
FLEET = [{"name": "role-a", "kind": "live"}, {"name": "role-b", "kind": "test", "state": "disabled"}, {"name": "role-c", "kind": "live"}]


def role_tasks(secrets_dir) -> list[dict]:
    """The role inside a block whose rescue and a later task show what a playbook gets, never a secret itself."""
    return [
        {"name": "fleet", "block": [{"name": "declare", "ansible.builtin.include_role": {"name": ROLE},
                                     "vars": {"api_keys_list": FLEET, "api_keys_secrets_dir": str(secrets_dir)}}],
         "rescue": [{"name": "rescued", "ansible.builtin.set_fact": {"rescued": True}}]},
        {"name": "secrets handed over", "ansible.builtin.set_fact": {
            "handed_over": "{{ api_keys_created_secrets | dict2items | map(attribute='key') | list }}",
            "non_empty_strings": "{{ api_keys_created_secrets.values() | select('string') | select | list | length }}"}},
    ]


def test_the_role_hands_over_the_secrets_and_removes_its_file(ansible, emulator, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)

    run = ansible.playbook(role_tasks(secrets_dir))

    assert run.rc == 0 and run.status(RECONCILE) == "changed"
    assert run.task("secrets handed over")["ansible_facts"]["handed_over"] == ["role-a", "role-b", "role-c"]
    assert int(run.task("secrets handed over")["ansible_facts"]["non_empty_strings"]) == 3
    assert not list(secrets_dir.iterdir())
    assert emulator.keys()["role-b"]["status"] == "disabled"


def test_a_role_run_that_fails_mid_way_keeps_the_secrets_file_and_names_it(ansible, emulator, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    emulator.inject("PUT", "/api_keys/role-c", [{"status": 400}])

    run = ansible.playbook(role_tasks(secrets_dir))

    result = run.task(RECONCILE)
    assert run.status(RECONCILE) == "failed" and run.task("rescued")["ansible_facts"]["rescued"] is True
    files = list(secrets_dir.iterdir())
    assert len(files) == 1 and f"The secrets of the keys created before (2) are in {files[0]}" in result["msg"]
    created = json.loads(files[0].read_text())
    assert sorted(created) == ["role-a", "role-b"] and not [secret for secret in created.values() if secret in run.output]
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert run.task("secrets handed over")["ansible_facts"]["handed_over"] == ["role-a", "role-b"]
    assert [item.get("error") is not None for item in result["fleet"]] == [False, False, True]
    assert result["summary"]["created"] == 2 and result["summary"]["failed"] == 1
    report("secrets", "role run failing at the 3rd of 3 keys (HTTP 400)",
           "secrets of the 2 created kept in the file the message names, and in api_keys_created_secrets for a rescue")


def test_the_role_included_again_in_a_play_keeps_the_secrets_of_the_earlier_include(ansible, emulator, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)

    def include(name: str, keys: list[dict]) -> dict:
        return {"name": name, "ansible.builtin.include_role": {"name": ROLE},
                "vars": {"api_keys_list": keys, "api_keys_secrets_dir": str(secrets_dir)}}

    tasks = [
        include("first", [{"name": "twice-a", "kind": "live"}]),
        include("again, nothing to create", []),
        include("again, one more key", [{"name": "twice-a"}, {"name": "twice-b", "kind": "test"}]),
        {"name": "hand over", "ansible.builtin.set_fact": {"handed_over": "{{ api_keys_created_secrets }}"}, "no_log": True},
    ]

    run = ansible.playbook(tasks, keep=("handed_over",))

    assert run.rc == 0, run.output[-3000:]
    minted = {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}
    assert run.kept("handed_over") == {"twice-a": minted["twice-a"], "twice-b": minted["twice-b"]}
    report("secrets", "role included three times in a play", "api_keys_created_secrets merges: no earlier secret dropped")
