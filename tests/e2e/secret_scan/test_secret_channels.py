# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented way to receive a secret, at -vvvv with --diff (and --diff at default verbosity): the secret reaches
the user where the docs say, and no output shows it. The harness scans each run (stdout, stderr, every callback event)
for every secret the emulator minted; these tests add that the secret is really received, so nothing is lost."""

from __future__ import annotations

import json

from harness import MASK, MASKS_SECRETS, report

MODULE = "fiskaly.management.fiskaly_api_key"
TOKEN = "fiskaly.management.fiskaly_token"
INFO = "fiskaly.management.fiskaly_api_key_info"
ROLE = "fiskaly.management.api_keys"
CHANNELS = "secret channels (0 minted secrets in any output, secret received)"


def minted_key_secrets(emulator) -> dict[str, str]:
    return {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}


def test_one_key_with_no_log_hands_its_secret_to_the_play_only(ansible, emulator):
    tasks = [{"name": "create", MODULE: {"name": "chan-one", "kind": "test"}, "register": "created", "no_log": True}]

    run = ansible.playbook(tasks, diff=True, keep=("created",))

    assert run.status("create") == "changed" and "censored" in run.task("create")
    assert run.kept("created")["secret"] == minted_key_secrets(emulator)["chan-one"]
    report(CHANNELS, "one key, no_log", "secret in the registered variable only")


def test_a_fleet_with_no_log_hands_over_every_secret_when_it_succeeds_and_when_it_fails_part_way(ansible, emulator):
    emulator.inject("PUT", "/api_keys/chan-f3", [{"status": 400}])
    tasks = [
        {
            "name": "fleet",
            MODULE: {"kind": "live", "api_keys": [{"name": "chan-f1"}, {"name": "chan-f2"}]},
            "register": "fleet",
            "no_log": True,
        },
        {
            "name": "failing fleet",
            MODULE: {"kind": "live", "api_keys": [{"name": name} for name in ("chan-f4", "chan-f5", "chan-f3")]},
            "register": "failing",
            "no_log": True,
            "ignore_errors": True,
        },
    ]

    run = ansible.playbook(tasks, diff=True, keep=("fleet", "failing"))

    minted = minted_key_secrets(emulator)
    # ansible-core 2.19 and 2.20 showed a no_log result's "results" items: the fleet's list has a name of its own.
    assert (
        "censored" in run.task("fleet")
        and "censored" in run.task("failing fleet")
        and run.status("failing fleet") == "failed"
    )
    assert {item["name"]: item["secret"] for item in run.kept("fleet")["fleet"]} == {
        "chan-f1": minted["chan-f1"],
        "chan-f2": minted["chan-f2"],
    }
    failing = run.kept("failing")
    assert {item["name"]: item.get("secret") for item in failing["fleet"]} == {
        "chan-f4": minted["chan-f4"],
        "chan-f5": minted["chan-f5"],
        "chan-f3": None,
    }
    assert failing["summary"]["created"] == 2 and failing["summary"]["failed"] == 1
    report(
        CHANNELS,
        "fleet, no_log, succeeding and failing at its 3rd key",
        "every created secret in the registered variable only",
    )


def test_secret_file_and_secrets_file_receive_the_secrets_and_diff_shows_the_keys(ansible, emulator, tmp_path):
    one, many = tmp_path / "one.secret", tmp_path / "many.json"
    tasks = [
        {"name": "one", MODULE: {"name": "chan-file", "kind": "test", "secret_file": str(one)}},
        {
            "name": "fleet",
            MODULE: {"kind": "test", "api_keys": [{"name": "chan-m1"}, {"name": "chan-m2"}], "secrets_file": str(many)},
        },
    ]

    for verbosity in (4, 0):  # the dedicated -vvvv run, then --diff at the default verbosity, as CI logs keep it
        emulator.reset()
        one.unlink(missing_ok=True)
        many.unlink(missing_ok=True)
        run = ansible.playbook(tasks, diff=True, verbosity=verbosity)
        minted = minted_key_secrets(emulator)
        assert run.rc == 0, run.output[-3000:]
        assert one.read_text() == minted["chan-file"]
        assert json.loads(many.read_text()) == {"chan-m1": minted["chan-m1"], "chan-m2": minted["chan-m2"]}
        # The diffs were shown: the key's before and after, and the fleet's line per key.
        assert "API key chan-file" in run.stdout and "  + chan-m2: " in run.stdout
    report(
        CHANNELS,
        "secret_file, secrets_file, --diff at -vvvv and at default verbosity",
        "secrets in the files only; diffs shown",
    )


def test_the_role_hands_the_secrets_to_its_fact(ansible, emulator, tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    tasks = [
        {
            "name": "declare",
            "ansible.builtin.include_role": {"name": ROLE},
            "vars": {
                "api_keys_list": [{"name": "chan-r1", "kind": "live"}, {"name": "chan-r2", "kind": "test"}],
                "api_keys_secrets_dir": str(secrets_dir),
            },
        },
        {
            "name": "hand over",
            "ansible.builtin.set_fact": {"handed_over": "{{ api_keys_created_secrets }}"},
            "no_log": True,
        },
    ]

    run = ansible.playbook(tasks, diff=True, keep=("handed_over",))

    minted = minted_key_secrets(emulator)
    assert run.kept("handed_over") == {"chan-r1": minted["chan-r1"], "chan-r2": minted["chan-r2"]}
    assert not list(secrets_dir.iterdir())
    report(CHANNELS, "role api_keys", "secrets in api_keys_created_secrets only")


def test_a_token_from_fiskaly_token_with_no_log_serves_a_later_task(ansible, emulator, tmp_path):
    with_token = {
        "group/fiskaly.management.fiskaly": {
            "base_url": emulator.base_url,
            "ca_path": emulator.ca_path,
            "access_token": "{{ login.access_token }}",
        }
    }
    block = [
        {"name": "create", MODULE: {"name": "chan-token", "kind": "test", "secret_file": str(tmp_path / "s")}},
        {"name": "read", INFO: {"name": "chan-token"}},
    ]
    tasks = [
        {"name": "login", TOKEN: {}, "register": "login", "no_log": True},
        {"name": "with the token", "module_defaults": with_token, "block": block},
    ]

    run = ansible.playbook(tasks, diff=True)

    assert run.rc == 0, run.output[-3000:]
    assert "censored" in run.task("login") and run.task("read")["count"] == 1
    assert len(emulator.requests("POST", "/auth")) == 1
    assert (tmp_path / "s").read_text() == minted_key_secrets(emulator)["chan-token"]
    report(CHANNELS, "fiskaly_token with no_log, token used by later tasks", "tokens in no output; one login")


def test_an_adhoc_create_shows_the_new_secret_on_screen_on_every_core(ansible, emulator):
    # Ad hoc, the screen is the only copy: masking it there (ansible-core 2.22) would lose the secret for good.
    run = ansible.adhoc(
        "fiskaly_api_key",
        {"name": "chan-adhoc", "kind": "test", **ansible.connection},
        verbosity=0,
        shows=("chan-adhoc",),
    )

    assert run.rc == 0, run.output[-3000:]
    assert minted_key_secrets(emulator)["chan-adhoc"] in run.stdout
    report(CHANNELS, "ad hoc create, no secret_file", "secret on screen, every core (2.22 included): the only copy")


def test_a_registered_result_without_no_log_is_masked_from_ansible_core_2_22_on(ansible, emulator):
    tasks = [
        {"name": "one", MODULE: {"name": "chan-reg", "kind": "test"}, "register": "one"},
        {
            "name": "fleet",
            MODULE: {"kind": "test", "api_keys": [{"name": "chan-reg-a"}, {"name": "chan-reg-b"}]},
            "register": "fleet",
        },
        {"name": "login", TOKEN: {}, "register": "login"},
    ]

    # Older cores show what a task without no_log returns: declared, so the scan checks 2.22's masking alone.
    run = ansible.playbook(
        tasks,
        diff=True,
        keep=("one", "fleet", "login"),
        shows=() if MASKS_SECRETS else ("chan-reg", "chan-reg-a", "chan-reg-b", "tokens"),
    )

    minted = minted_key_secrets(emulator)
    assert run.kept("one")["secret"] == minted["chan-reg"]
    assert [item["secret"] for item in run.kept("fleet")["fleet"]] == [minted["chan-reg-a"], minted["chan-reg-b"]]
    assert run.kept("login")["access_token"].count(".") == 2
    shown = (
        run.task("one")["secret"],
        [item["secret"] for item in run.task("fleet")["fleet"]],
        run.task("login")["access_token"],
    )
    if MASKS_SECRETS:
        assert shown == (MASK, [MASK, MASK], MASK)
        report(
            CHANNELS,
            "registered result without no_log (2.22+)",
            "masked in every output and callback; variables keep the secrets",
        )
    else:
        assert shown == (
            minted["chan-reg"],
            [minted["chan-reg-a"], minted["chan-reg-b"]],
            run.kept("login")["access_token"],
        )


def test_a_registered_result_whose_task_fails_is_never_masked_its_output_being_the_only_copy(ansible, emulator):
    # Without a rescue, a failed task ends the play and the registered variable with it: masking the secrets of the
    # keys created before the failure (ansible-core 2.22) would lose them. So a failed result is shown as on every core.
    emulator.inject("PUT", "/api_keys/chan-fail-b", [{"status": 400}])
    emulator.inject("PUT", "/api_keys/chan-loop-b", [{"status": 400}])
    fleet = [
        {
            "name": "fleet",
            MODULE: {"kind": "test", "api_keys": [{"name": "chan-fail-a"}, {"name": "chan-fail-b"}]},
            "register": "fleet",
        }
    ]
    loop = [
        {
            "name": "loop",
            MODULE: {"name": "{{ item }}", "kind": "test"},
            "loop": ["chan-loop-a", "chan-loop-b"],
            "register": "keys",
        }
    ]

    failed_fleet = ansible.playbook(
        fleet, verbosity=0, shows=("chan-fail-a",)
    )  # the FAILED line, at the default verbosity
    failed_loop = ansible.playbook(loop, verbosity=1, shows=("chan-loop-a",))  # a loop's items show at -v

    minted = minted_key_secrets(emulator)
    assert failed_fleet.status("fleet") == "failed" and minted["chan-fail-a"] in failed_fleet.stdout
    assert failed_loop.status("loop") == "failed" and minted["chan-loop-a"] in failed_loop.stdout
    report(
        CHANNELS,
        "registered fleet or loop that fails, no no_log (2.22 too)",
        "not masked: the output, its only copy, shows the secret",
    )
