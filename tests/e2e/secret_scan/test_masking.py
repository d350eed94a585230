# Copyright (c) fiskaly.management contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where ansible-core 2.22 masks a registered key secret, and where it cannot: the cases of the secrets guide's table.

Masked wherever the registered variable is sure to survive the task: ``ignore_errors`` true as evaluated at run time,
a block with a ``rescue`` at any depth, ``failed_when: false``, a literal ``changed_when`` (a loop only on the local
connection or with ``ignore_unreachable``). Before 2.22 nothing masks: the same tasks run with
``no_log`` there, and must hide the secrets as well. Each run's output and every callback event is scanned for every
secret the emulator minted (the harness); the variable must still hold each secret, so that nothing is lost.

Where the variable may die with the play (a failure in a ``rescue`` section, a loop, ``failed_when`` with a condition,
``until``, another ``changed_when``, a loop that an unreachable item may end), the output is the secret's only copy: shown on every core, as the guide says."""

from __future__ import annotations

import json

from harness import MASK, MASKS_SECRETS, report

MODULE = "fiskaly.management.fiskaly_api_key"
TOKEN = "fiskaly.management.fiskaly_token"
MASKING = "2.22 masking (masked where the variable survives; no_log before 2.22)"


def minted_key_secrets(emulator) -> dict[str, str]:
    return {secret.owner: secret.value for secret in emulator.minted_secrets() if secret.kind == "key_secret"}


def hidden(task: dict) -> dict:
    """The task as a user of this core hides its secrets: masking from 2.22 on, no_log before."""
    return task if MASKS_SECRETS else {**task, "no_log": True}


def fleet(task_name: str, names: list[str], register: str, **keywords) -> dict:
    return {
        "name": task_name,
        MODULE: {"kind": "test", "api_keys": [{"name": name} for name in names], "max_concurrent_requests": 1},
        "register": register,
        **keywords,
    }


def assert_masked(shown: dict, secrets: list[str]) -> None:
    """What a callback received: each secret masked (2.22), or the whole result censored by no_log (before)."""
    text = repr(shown)
    assert not any(secret in text for secret in secrets)
    assert (MASK in text) if MASKS_SECRETS else ("censored" in shown)


def test_failed_when_false_masks_one_key_a_fleet_and_a_loop_also_when_an_item_fails(ansible, emulator):
    emulator.inject("PUT", "/api_keys/mask-fw-loop-b", [{"status": 400}])
    loop = {
        "name": "loop",
        MODULE: {"name": "{{ item }}", "kind": "test"},
        "loop": ["mask-fw-loop-a", "mask-fw-loop-b"],
        "register": "looped",
    }
    tasks = [
        hidden({"name": "one", MODULE: {"name": "mask-fw", "kind": "test"}, "register": "one", "failed_when": False}),
        hidden(fleet("fleet", ["mask-fw-a", "mask-fw-b"], "many", failed_when=False)),
        # ansible-core 2.22 fails a loop with failed_when only by an item whose condition held: never, here
        hidden({**loop, "failed_when": "false"}),
    ]

    run = ansible.playbook(tasks, verbosity=1, keep=("one", "many", "looped"))

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and run.status("loop") == "changed", run.output[-3000:]
    assert run.kept("one")["secret"] == minted["mask-fw"]
    assert [item["secret"] for item in run.kept("many")["fleet"]] == [minted["mask-fw-a"], minted["mask-fw-b"]]
    assert [item.get("secret") for item in run.kept("looped")["results"]] == [minted["mask-fw-loop-a"], None]
    assert_masked(run.task("one"), [minted["mask-fw"]])
    assert_masked(run.task("fleet"), [minted["mask-fw-a"], minted["mask-fw-b"]])
    assert_masked(run.task("loop"), [minted["mask-fw-loop-a"]])
    report(
        MASKING,
        "failed_when: false, one key, a fleet, a loop with a failing item; -v",
        "masked; the variable keeps the secrets",
    )


def test_a_loop_under_ignore_errors_masks_every_item_also_when_one_fails(ansible, emulator):
    emulator.inject("PUT", "/api_keys/mask-loop-b", [{"status": 400}])
    loop = {
        "name": "loop",
        MODULE: {"name": "{{ item }}", "kind": "test"},
        "loop": ["mask-loop-a", "mask-loop-b", "mask-loop-c"],
        "register": "keys",
    }

    run = ansible.playbook([hidden({**loop, "ignore_errors": True})], verbosity=1, keep=("keys",))

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and run.status("loop") == "failed", run.output[-3000:]
    assert [item.get("secret") for item in run.kept("keys")["results"]] == [
        minted["mask-loop-a"],
        None,
        minted["mask-loop-c"],
    ]
    items = [entry for entry in run.results if entry["event"] == "item"]
    assert [entry["status"] for entry in items] == ["changed", "failed", "changed"]
    for entry in items[::2]:
        assert_masked(entry["result"], [minted["mask-loop-a"], minted["mask-loop-c"]])
    assert_masked(run.task("loop"), [minted["mask-loop-a"], minted["mask-loop-c"]])
    report(MASKING, "loop + register + ignore_errors, an item failing, -v", "masked in each item and the task result")


def test_a_fleet_failing_part_way_under_ignore_errors_is_masked_in_the_fatal_line(ansible, emulator):
    emulator.inject("PUT", "/api_keys/mask-ie-b", [{"status": 400}])
    emulator.inject("PUT", "/api_keys/mask-tpl-b", [{"status": 400}])
    tasks = [
        hidden(fleet("literal", ["mask-ie-a", "mask-ie-b"], "literal", ignore_errors=True)),
        # ignore_errors as evaluated when the task runs
        hidden(fleet("templated", ["mask-tpl-a", "mask-tpl-b"], "templated", ignore_errors="{{ tolerate }}")),
    ]

    run = ansible.playbook(tasks, verbosity=0, keep=("literal", "templated"), play_vars={"tolerate": True})

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and run.status("literal") == "failed" and run.status("templated") == "failed", run.output[-3000:]
    assert run.stdout.count("fatal: [localhost]: FAILED!") == 2 and run.stdout.count("...ignoring") == 2
    assert run.kept("literal")["fleet"][0]["secret"] == minted["mask-ie-a"]
    assert run.kept("templated")["fleet"][0]["secret"] == minted["mask-tpl-a"]
    assert_masked(run.task("literal"), [minted["mask-ie-a"]])
    assert_masked(run.task("templated"), [minted["mask-tpl-a"]])
    report(
        MASKING,
        "fleet failing part-way, ignore_errors literal and templated, default verbosity",
        "masked in the fatal: line",
    )


def test_a_block_with_a_rescue_at_any_depth_masks_what_fails_inside_it(ansible, emulator):
    for name in ("mask-deep-b", "mask-inc-b", "mask-imp-b", "mask-lr-b"):
        emulator.inject("PUT", f"/api_keys/{name}", [{"status": 400}])
    for way, prefix in (("included", "mask-inc"), ("imported", "mask-imp")):
        task = hidden(fleet(way, [f"{prefix}-a", f"{prefix}-b"], way))
        (ansible.workdir / f"{way}.yml").write_text(json.dumps([task]))  # JSON is YAML
    loop = {
        "name": "loop",
        MODULE: {"name": "{{ item }}", "kind": "test"},
        "loop": ["mask-lr-a", "mask-lr-b"],
        "register": "looped",
    }
    tasks = [
        {
            "name": "outer",
            "block": [
                {
                    "name": "inner",
                    "block": [hidden(fleet("deep", ["mask-deep-a", "mask-deep-b"], "deep"))],
                    "always": [{"ansible.builtin.debug": {"msg": "inner always"}}],
                }
            ],
            "rescue": [{"name": "rescued deep", "ansible.builtin.debug": {"msg": "{{ deep.fleet | length }} keys"}}],
        },
        {
            "name": "through an include",
            "block": [{"name": "include", "ansible.builtin.include_tasks": str(ansible.workdir / "included.yml")}],
            "rescue": [{"ansible.builtin.debug": {"msg": "rescued"}}],
        },
        {
            "name": "through an import",
            "block": [{"name": "import", "ansible.builtin.import_tasks": str(ansible.workdir / "imported.yml")}],
            "rescue": [{"ansible.builtin.debug": {"msg": "rescued"}}],
        },
        {"name": "a loop", "block": [hidden(loop)], "rescue": [{"ansible.builtin.debug": {"msg": "rescued"}}]},
    ]

    run = ansible.playbook(tasks, verbosity=1, keep=("deep", "included", "imported", "looped"))

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and {run.status(name) for name in ("deep", "included", "imported", "loop")} == {"failed"}, (
        run.output[-3000:]
    )
    assert "rescued=4" in run.stdout
    assert run.kept("deep")["fleet"][0]["secret"] == minted["mask-deep-a"]
    assert run.kept("included")["fleet"][0]["secret"] == minted["mask-inc-a"]
    assert run.kept("imported")["fleet"][0]["secret"] == minted["mask-imp-a"]
    assert run.kept("looped")["results"][0]["secret"] == minted["mask-lr-a"]
    assert_masked(run.task("deep"), [minted["mask-deep-a"]])
    assert_masked(run.task("included"), [minted["mask-inc-a"]])
    assert_masked(run.task("imported"), [minted["mask-imp-a"]])
    assert_masked(run.task("loop"), [minted["mask-lr-a"]])
    report(
        MASKING,
        "rescue two blocks up, through include_tasks and import_tasks, around a loop; -v",
        "masked; the rescue sees the variable",
    )


def test_where_the_variable_may_die_with_the_play_the_output_shows_the_secret_on_every_core(ansible, emulator):
    # Not masked on 2.22 either: each of these failures ends the play (no ignore_errors, no rescue around the task).
    emulator.inject("PUT", "/api_keys/show-rescue-b", [{"status": 400}])
    in_rescue = {
        "name": "block",
        "block": [{"ansible.builtin.fail": {"msg": "first failure"}}],
        "rescue": [fleet("in rescue", ["show-rescue-a", "show-rescue-b"], "r")],
    }
    emulator.inject("PUT", "/api_keys/show-always-b", [{"status": 400}])
    in_always = {
        "name": "outer",
        "block": [
            {
                "name": "inner",
                "block": [{"ansible.builtin.debug": {"msg": "ok"}}],
                "rescue": [{"ansible.builtin.debug": {"msg": "r"}}],
                "always": [fleet("in always", ["show-always-a", "show-always-b"], "a")],
            }
        ],
    }
    emulator.inject("PUT", "/api_keys/show-tpl-b", [{"status": 400}])
    not_ignored = fleet("not ignored", ["show-tpl-a", "show-tpl-b"], "n", ignore_errors="{{ tolerate }}")

    runs = [
        ansible.playbook([in_rescue], verbosity=0, shows=("show-rescue-a",)),
        ansible.playbook([in_always], verbosity=0, shows=("show-always-a",)),
        ansible.playbook([not_ignored], verbosity=0, shows=("show-tpl-a",), play_vars={"tolerate": False}),
    ]
    loop = {
        "name": "loop",
        MODULE: {"name": "{{ item }}", "kind": "test"},
        "loop": ["show-loop-a", "show-loop-b"],
        "register": "keys",
    }
    condition = {
        "name": "condition",
        MODULE: {"name": "show-fw", "kind": "test"},
        "register": "fw",
        "failed_when": "fw.api_key.status != 'enabled'",
    }
    until = {
        "name": "until",
        MODULE: {"name": "show-until", "kind": "test"},
        "register": "u",
        "until": "u is succeeded",
        "retries": 1,
        "delay": 0,
    }
    changed_when = {
        "name": "changed_when",
        MODULE: {"name": "show-cw", "kind": "test"},
        "register": "cw",
        "changed_when": "cw.secret is defined",
    }
    shown = ("show-loop-a", "show-loop-b", "show-fw", "show-until", "show-cw")
    succeeding = ansible.playbook([loop, condition, until, changed_when], verbosity=1, shows=shown)

    minted = minted_key_secrets(emulator)
    for run, name in zip(runs, ("show-rescue-a", "show-always-a", "show-tpl-a")):
        assert run.rc != 0 and "fatal: [localhost]: FAILED!" in run.stdout and minted[name] in run.stdout, run.output[
            -3000:
        ]
    assert succeeding.rc == 0, succeeding.output[-3000:]
    assert all(minted[name] in succeeding.stdout for name in shown)
    report(
        MASKING,
        "failing in rescue or always, ignore_errors false; loop, failed_when, until, changed_when (-v)",
        "shown on every core: the only copy",
    )


def test_an_adhoc_fiskaly_token_shows_its_tokens_masked_from_2_22_on(ansible, emulator):
    before = len(emulator.minted_secrets())

    run = ansible.adhoc("fiskaly_token", ansible.connection, verbosity=0, shows=() if MASKS_SECRETS else ("tokens",))

    assert run.rc == 0, run.output[-3000:]
    tokens = [secret.value for secret in emulator.minted_secrets(before) if secret.kind != "key_secret"]
    assert len(tokens) == 2
    if MASKS_SECRETS:
        assert '"access_token": "$REDACTED$"' in run.stdout and not any(token in run.stdout for token in tokens)
    else:
        assert all(token in run.stdout for token in tokens)
    report(MASKING, "ad hoc fiskaly_token", "tokens masked from 2.22 on, shown before")


def test_a_literal_changed_when_masks_as_without_it(ansible, emulator):
    # A literal true or false cannot fail to evaluate: the task fails only as it would without changed_when.
    tasks = [
        hidden(
            {
                "name": "false",
                MODULE: {"name": "mask-cw-false", "kind": "test"},
                "register": "off",
                "changed_when": False,
            }
        ),
        hidden(
            {"name": "true", MODULE: {"name": "mask-cw-true", "kind": "test"}, "register": "on", "changed_when": "true"}
        ),
        hidden(fleet("fleet", ["mask-cw-a", "mask-cw-b"], "many", changed_when=[False], failed_when=False)),
    ]

    run = ansible.playbook(tasks, verbosity=1, keep=("off", "on", "many"))

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and run.status("false") == "ok" and run.status("true") == "changed", run.output[-3000:]
    assert run.kept("off")["secret"] == minted["mask-cw-false"]
    assert run.kept("on")["secret"] == minted["mask-cw-true"]
    assert [item["secret"] for item in run.kept("many")["fleet"]] == [minted["mask-cw-a"], minted["mask-cw-b"]]
    assert_masked(run.task("false"), [minted["mask-cw-false"]])
    assert_masked(run.task("true"), [minted["mask-cw-true"]])
    assert_masked(run.task("fleet"), [minted["mask-cw-a"], minted["mask-cw-b"]])
    report(
        MASKING,
        "changed_when: false or true (literal), one key and a fleet; -v",
        "masked; the variable keeps the secrets",
    )


# The local connection under another name: to ansible-core a connection that can find its host unreachable.
ELSEWHERE = '''
from ansible.plugins.connection.local import Connection as Local

DOCUMENTATION = """
    name: elsewhere
    short_description: the local connection, as a remote one to the tasks
    description: [Runs on the controller, but its transport is not local.]
    author: fiskaly.management contributors
    options:
        become_success_timeout:
            type: int
            default: 10
            description: [As for the local connection.]
        become_strip_preamble:
            type: bool
            default: true
            description: [As for the local connection.]
    extends_documentation_fragment:
        - connection_pipelining
"""


class Connection(Local):
    transport = "elsewhere"
'''


def test_a_loop_on_a_remote_connection_is_masked_only_where_an_unreachable_item_cannot_end_the_play(ansible, emulator):
    # A later unreachable item takes the host out of the play, ignore_errors and rescue notwithstanding: the
    # variable dies, and the output is the only copy of the secrets of the items before it.
    plugins = ansible.workdir / "connection_plugins"  # next to the playbook, where ansible-core looks
    plugins.mkdir(exist_ok=True)
    (plugins / "elsewhere.py").write_text(ELSEWHERE)
    loop = {
        MODULE: {"name": "{{ item }}", "kind": "test"},
        "vars": {"ansible_connection": "elsewhere"},
        "ignore_errors": True,
    }
    without_ignore_errors = {keyword: value for keyword, value in loop.items() if keyword != "ignore_errors"}
    tasks = [
        {**loop, "name": "unreachable ends it", "loop": ["show-remote-a"], "register": "shown"},
        {
            "name": "rescued",
            "block": [
                {**without_ignore_errors, "name": "in a block", "loop": ["show-remote-b"], "register": "in_block"}
            ],
            "rescue": [{"ansible.builtin.debug": {"msg": "rescued"}}],
        },
        hidden(
            {
                **loop,
                "name": "unreachable ignored",
                "loop": ["mask-remote"],
                "register": "masked",
                "ignore_unreachable": True,
            }
        ),
    ]

    run = ansible.playbook(tasks, verbosity=1, keep=("masked",), shows=("show-remote-a", "show-remote-b"))

    minted = minted_key_secrets(emulator)
    assert run.rc == 0 and {
        run.status(name) for name in ("unreachable ends it", "in a block", "unreachable ignored")
    } == {"changed"}, run.output[-3000:]
    assert minted["show-remote-a"] in run.stdout and minted["show-remote-b"] in run.stdout
    assert run.kept("masked")["results"][0]["secret"] == minted["mask-remote"]
    assert_masked(run.task("unreachable ignored"), [minted["mask-remote"]])
    report(
        MASKING, "loop on a connection other than local: ignore_errors or rescue; ignore_unreachable", "shown; masked"
    )
